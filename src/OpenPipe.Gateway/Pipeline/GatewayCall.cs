using System;
using System.Collections.Generic;
using System.Linq;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using OpenPipe.Client;

namespace OpenPipe.Gateway.Pipeline;

/// <summary>OpenPipe's request headers as the caller sent them.</summary>
/// <param name="LogRequest"><c>op-log-request</c>.</param>
/// <param name="Cache"><c>op-cache</c>.</param>
/// <param name="Tags"><c>op-tags</c>, raw.</param>
/// <param name="Criteria"><c>op-criteria</c>, raw.</param>
public sealed record OpenPipeHeaders(bool? LogRequest, CacheMode? Cache, string? Tags, string? Criteria)
{
    /// <summary>
    /// Reads <c>op-criteria</c>: a JSON array of criterion ids (<c>["tone", "accuracy@v2"]</c>), each a
    /// non-empty string. Null when the header is absent.
    /// </summary>
    /// <param name="criteria">The ids.</param>
    /// <param name="error">What is wrong, when it is invalid.</param>
    /// <returns>True when absent or valid.</returns>
    public bool TryParseCriteria(out IList<string>? criteria, out string? error)
    {
        criteria = null;
        error = null;
        if (Criteria is null)
        {
            return true;
        }

        JToken parsed;
        try
        {
            parsed = JToken.Parse(Criteria);
        }
        catch (JsonException e)
        {
            error = $"op-criteria must be a JSON array of criterion ids, e.g. [\"my-criterion\"]: {e.Message}";
            return false;
        }

        if (parsed is not JArray array || array.Any(t => t.Type != JTokenType.String || string.IsNullOrWhiteSpace((string?)t)))
        {
            error = "op-criteria must be a JSON array of non-empty strings (criterion ids), e.g. [\"my-criterion\"].";
            return false;
        }

        criteria = array.Select(t => (string)t!).ToList();
        return true;
    }

    /// <summary><c>op-tags</c> as a string dictionary, or null when absent or not a JSON object.</summary>
    /// <returns>The tags.</returns>
    public IDictionary<string, string>? ParsedTags()
    {
        if (Tags is null)
        {
            return null;
        }

        try
        {
            return JToken.Parse(Tags) is JObject o
                ? o.Properties().Where(p => p.Value.Type != JTokenType.Null).ToDictionary(p => p.Name, p => p.Value.Type == JTokenType.String ? (string)p.Value! : p.Value.ToString(Formatting.None))
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

/// <summary>One chat completion request on its way through the gateway.</summary>
/// <param name="Request">The body.</param>
/// <param name="KeyId">The caller's key id.</param>
/// <param name="Headers">The caller's op-* headers.</param>
public sealed record GatewayCall(ChatCompletionRequest Request, string KeyId, OpenPipeHeaders Headers)
{
    /// <summary>Whether the caller asked for the request to be logged (<c>store: true</c> or <c>op-log-request: true</c>).</summary>
    public bool Store => Request.Store == true || Headers.LogRequest == true;

    /// <summary>Whether the answer is a stream.</summary>
    public bool Stream => Request.Stream == true;
}
