// Adds: ChatCompletionContext, what a handler knows besides the body: the authenticated caller and
// OpenPipe's op-* request headers as typed values (op-log-request, op-cache, op-tags as a
// dictionary of typed values, op-criteria as a list). Parsing is strict: a value the spec does not allow is a 400
// whose issue names the header. A new header in the spec becomes a property here, never a parameter.

using System;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.Globalization;
using System.Linq;
using System.Reflection;
using System.Runtime.Serialization;
using System.Security.Claims;
using Microsoft.AspNetCore.Http;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace OpenPipe.Server;

/// <summary>The caller and the OpenPipe headers of one chat completion request.</summary>
public sealed class ChatCompletionContext
{
    /// <summary>The header names this context parses (checked against the spec by the tests).</summary>
    internal static readonly string[] HeaderNames = [LogRequestHeader, CacheHeader, TagsHeader, CriteriaHeader];

    private const string LogRequestHeader = "op-log-request";
    private const string CacheHeader = "op-cache";
    private const string TagsHeader = "op-tags";
    private const string CriteriaHeader = "op-criteria";

    /// <summary>Creates a context, e.g. to call a handler from a unit test.</summary>
    /// <param name="caller">The authenticated caller.</param>
    public ChatCompletionContext(OpenPipeCaller caller)
    {
        ArgumentNullException.ThrowIfNull(caller);
        Caller = caller;
    }

    /// <summary>The caller whose API key authenticated the request.</summary>
    public OpenPipeCaller Caller { get; }

    /// <summary>The request's HTTP context, when the request came over HTTP.</summary>
    public HttpContext? HttpContext { get; init; }

    /// <summary>The authenticated user (the caller's claims).</summary>
    public ClaimsPrincipal? User => HttpContext?.User;

    /// <summary><c>op-log-request</c>: whether to log this request; null when the header is absent.</summary>
    public bool? LogRequest { get; init; }

    /// <summary><c>op-cache</c>: the cache mode; null when the header is absent.</summary>
    public CacheMode? Cache { get; init; }

    /// <summary>
    /// <c>op-tags</c>: the tags to store with a logged request, each with its JSON type (string,
    /// number, boolean or null, as OpenPipe's SDKs send them); empty when the header is absent.
    /// </summary>
    public IReadOnlyDictionary<string, TagValue> Tags { get; init; } = OpenPipeTags.Empty;

    /// <summary><c>op-criteria</c>: the criterion ids to evaluate the completion against; empty when absent.</summary>
    public IReadOnlyList<string> Criteria { get; init; } = [];

    /// <summary>
    /// Reads the caller and the op-* headers of <paramref name="httpContext"/>.
    /// </summary>
    /// <param name="httpContext">An authenticated request.</param>
    /// <param name="error">A 400 body with one issue per bad header, when the result is null.</param>
    /// <returns>The context, or null when a header's value is invalid.</returns>
    internal static ChatCompletionContext? TryCreate(HttpContext httpContext, out ErrorResponse? error)
    {
        var caller = httpContext.User.GetOpenPipeCaller()
            ?? throw new InvalidOperationException("The request is not authenticated with an OpenPipe key.");
        var headers = httpContext.Request.Headers;
        var issues = new List<ErrorIssue>();

        bool? logRequest = null;
        if (Single(headers, LogRequestHeader, issues) is { } logText)
        {
            if (bool.TryParse(logText.Trim(), out bool parsed))
            {
                logRequest = parsed;
            }
            else
            {
                issues.Add(Issue(LogRequestHeader, $"The op-log-request header must be \"true\" or \"false\", not \"{logText}\"."));
            }
        }

        CacheMode? cache = null;
        if (Single(headers, CacheHeader, issues) is { } cacheText)
        {
            cache = ParseCache(cacheText.Trim());
            if (cache is null)
            {
                issues.Add(Issue(CacheHeader, $"The op-cache header must be one of {string.Join(", ", CacheNames.Keys)}, not \"{cacheText}\"."));
            }
        }

        IReadOnlyDictionary<string, TagValue> tags = OpenPipeTags.Empty;
        if (Single(headers, TagsHeader, issues) is { } tagsText)
        {
            if (OpenPipeTags.TryParse(tagsText, out var parsed, out string? tagsError))
            {
                tags = parsed;
            }
            else
            {
                issues.Add(Issue(TagsHeader, $"The op-tags header must be a JSON object whose values are strings, numbers, booleans or null, e.g. {{\"prompt_id\": \"first\", \"attempt\": 2}}; {tagsError}."));
            }
        }

        IReadOnlyList<string> criteria = [];
        if (Single(headers, CriteriaHeader, issues) is { } criteriaText)
        {
            criteria = ParseCriteria(criteriaText, issues) ?? [];
        }

        if (issues.Count > 0)
        {
            error = OpenPipeErrors.Create(StatusCodes.Status400BadRequest, issues.Count == 1 ? issues[0].Message : $"{issues.Count} OpenPipe headers are invalid.", issues);
            return null;
        }

        error = null;
        return new ChatCompletionContext(caller)
        {
            HttpContext = httpContext,
            LogRequest = logRequest,
            Cache = cache,
            Tags = tags,
            Criteria = criteria,
        };
    }

    /// <summary>The op-cache wire names, read from the generated enum's <see cref="EnumMemberAttribute"/>s.</summary>
    private static readonly Dictionary<string, CacheMode> CacheNames = Enum.GetValues<CacheMode>().ToDictionary(
        m => typeof(CacheMode).GetField(m.ToString())?.GetCustomAttribute<EnumMemberAttribute>()?.Value ?? m.ToString(),
        m => m,
        StringComparer.OrdinalIgnoreCase);

    private static CacheMode? ParseCache(string text) => CacheNames.TryGetValue(text, out var mode) ? mode : null;

    private static string? Single(IHeaderDictionary headers, string name, List<ErrorIssue> issues)
    {
        if (!headers.TryGetValue(name, out var values) || values.Count == 0)
        {
            return null;
        }

        if (values.Count > 1)
        {
            issues.Add(Issue(name, $"The {name} header was sent {values.Count} times; send it once."));
            return null;
        }

        return values[0];
    }

    private static string[]? ParseCriteria(string text, List<ErrorIssue> issues)
    {
        const string Expected = "The op-criteria header must be a JSON array of criterion ids, e.g. [\"criterion-1@v1\"]";
        if (ParseJson(text) is not JArray json || json.Any(t => t.Type != JTokenType.String || string.IsNullOrWhiteSpace((string?)t)))
        {
            issues.Add(Issue(CriteriaHeader, $"{Expected}."));
            return null;
        }

        return json.Select(t => (string)t!).ToArray();
    }

    private static JToken? ParseJson(string text)
    {
        try
        {
            using var reader = new JsonTextReader(new System.IO.StringReader(text)) { DateParseHandling = DateParseHandling.None, MaxDepth = 8, Culture = CultureInfo.InvariantCulture };
            var token = JToken.ReadFrom(reader);
            return reader.Read() ? null : token; // trailing content is not one JSON value
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static ErrorIssue Issue(string header, string message) => new() { Message = message, Path = [header] };
}
