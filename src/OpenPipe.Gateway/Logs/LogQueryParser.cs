using System;
using System.Collections.Generic;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Linq;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using OpenPipe.Client;
using OpenPipe.Gateway.Storage;
using OpenPipe.Server;

namespace OpenPipe.Gateway.Logs;

/// <summary>
/// Reads the log filters and paging parameters from a query string, the one place that knows their
/// names and rules (the API's routes and the web page both use it). Anything it cannot read is an
/// <see cref="ErrorResponse"/> for a 400 whose issue names the parameter: an unknown parameter (a
/// typo would otherwise widen the result silently), a repeated one (other than <c>tag</c>), or a
/// value it cannot read.
/// </summary>
public static class LogQueryParser
{
    /// <summary>The longest free-text search.</summary>
    public const int MaxTextLength = 200;

    /// <summary>The largest page.</summary>
    public const int MaxLimit = 200;

    /// <summary>The page size when none is asked for.</summary>
    public const int DefaultLimit = 50;

    /// <summary>The filter parameters, in the order the API lists them.</summary>
    public static IReadOnlyList<string> FilterNames { get; } = ["model", "backend", "status", "tag", "criterion", "cache_hit", "from", "to", "q", "key_id"];

    /// <summary>The paging parameters of <c>GET /logs</c>.</summary>
    public static IReadOnlyList<string> PageNames { get; } = ["limit", "cursor"];

    /// <summary>Reads the filters in <paramref name="query"/>, accepting only the parameters in <paramref name="allowed"/>.</summary>
    /// <param name="query">The query string.</param>
    /// <param name="allowed">Every parameter the route takes (filters and others).</param>
    /// <param name="filters">The filters read.</param>
    /// <param name="error">What is wrong, for a 400.</param>
    /// <returns>True when every parameter was read.</returns>
    public static bool TryParse(IQueryCollection query, IEnumerable<string> allowed, out LogQuery filters, [NotNullWhen(false)] out ErrorResponse? error)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(allowed);
        filters = LogQuery.All;
        var known = allowed as IReadOnlySet<string> ?? allowed.ToHashSet(StringComparer.Ordinal);
        foreach (var (name, values) in query)
        {
            if (!known.Contains(name))
            {
                error = Invalid(name, $"Unknown query parameter '{name}'. This route takes: {string.Join(", ", known)}.");
                return false;
            }

            if (values.Count > 1 && name != "tag")
            {
                error = Invalid(name, $"The query parameter '{name}' is given {values.Count} times; give it once.");
                return false;
            }
        }

        var result = new LogQuery();
        if (!TryText(query, "model", out string? model, out error) || !TryText(query, "backend", out string? backend, out error)
            || !TryText(query, "criterion", out string? criterion, out error) || !TryText(query, "key_id", out string? keyId, out error)
            || !TryText(query, "q", out string? text, out error))
        {
            return false;
        }

        if (text is { Length: > MaxTextLength })
        {
            error = Invalid("q", $"q is {text.Length} characters long; search for at most {MaxTextLength}.");
            return false;
        }

        if (!TryStatuses(query, out var statuses, out error) || !TryTags(query, out var tags, out error)
            || !TryBoolean(query, "cache_hit", out bool? cacheHit, out error)
            || !TryTime(query, "from", out var from, out error) || !TryTime(query, "to", out var to, out error))
        {
            return false;
        }

        if (from is { } start && to is { } end && start >= end)
        {
            error = Invalid("to", "to must be later than from.");
            return false;
        }

        filters = result with
        {
            Model = model, Backend = backend, Criterion = criterion, KeyId = keyId, Text = text,
            Statuses = statuses, Tags = tags, CacheHit = cacheHit, From = from, To = to,
        };
        error = null;
        return true;
    }

    /// <summary>Reads <c>limit</c> (1 to <see cref="MaxLimit"/>, default <see cref="DefaultLimit"/>) and <c>cursor</c>.</summary>
    /// <param name="query">The query string.</param>
    /// <param name="limit">The page size.</param>
    /// <param name="cursor">Where the previous page ended, or null for the first page.</param>
    /// <param name="error">What is wrong, for a 400.</param>
    /// <returns>True when both were read.</returns>
    public static bool TryParsePage(IQueryCollection query, out int limit, out LogCursor? cursor, [NotNullWhen(false)] out ErrorResponse? error)
    {
        ArgumentNullException.ThrowIfNull(query);
        limit = DefaultLimit;
        cursor = null;
        if (query.TryGetValue("limit", out var limitText)
            && (!int.TryParse(limitText.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > MaxLimit))
        {
            error = Invalid("limit", $"limit must be a whole number from 1 to {MaxLimit}, not '{limitText}'.");
            return false;
        }

        if (query.TryGetValue("cursor", out var cursorText) && !LogCursor.TryDecode(cursorText.ToString(), out cursor))
        {
            error = Invalid("cursor", "cursor is not a cursor this API handed out; pass a page's next_cursor as it is.");
            return false;
        }

        error = null;
        return true;
    }

    /// <summary>A 400 body whose one issue names the query parameter.</summary>
    /// <param name="parameter">The parameter.</param>
    /// <param name="message">What is wrong with it.</param>
    /// <returns>The body.</returns>
    public static ErrorResponse Invalid(string parameter, string message) =>
        OpenPipeErrors.Create(400, message, [new ErrorIssue { Message = message, Path = [parameter] }]);

    private static bool TryText(IQueryCollection query, string name, out string? value, [NotNullWhen(false)] out ErrorResponse? error)
    {
        value = null;
        error = null;
        if (!query.TryGetValue(name, out var values))
        {
            return true;
        }

        value = values.ToString();
        if (value.Length == 0)
        {
            error = Invalid(name, $"{name} is empty; leave it out to match every call.");
            return false;
        }

        return true;
    }

    private static bool TryBoolean(IQueryCollection query, string name, out bool? value, [NotNullWhen(false)] out ErrorResponse? error)
    {
        value = null;
        error = null;
        if (!query.TryGetValue(name, out var values))
        {
            return true;
        }

        if (!bool.TryParse(values.ToString(), out bool parsed))
        {
            error = Invalid(name, $"{name} must be true or false, not '{values}'.");
            return false;
        }

        value = parsed;
        return true;
    }

    private static bool TryTime(IQueryCollection query, string name, out DateTimeOffset? value, [NotNullWhen(false)] out ErrorResponse? error)
    {
        value = null;
        error = null;
        if (!query.TryGetValue(name, out var values))
        {
            return true;
        }

        string text = values.ToString();
        // An ISO 8601 date or date-time; a '+' of an offset that was not escaped arrives as a space.
        if (text.Length < 10 || text[4] != '-' || text[7] != '-' || text.Contains(' ', StringComparison.Ordinal)
            || !DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed))
        {
            error = Invalid(name, $"{name} must be an ISO 8601 time such as 2025-01-31T12:00:00Z (escape a '+' in an offset as %2B), not '{text}'.");
            return false;
        }

        value = parsed;
        return true;
    }

    private static bool TryStatuses(IQueryCollection query, out IReadOnlyList<StatusRange> statuses, [NotNullWhen(false)] out ErrorResponse? error)
    {
        statuses = [];
        error = null;
        if (!query.TryGetValue("status", out var values))
        {
            return true;
        }

        var ranges = new List<StatusRange>();
        foreach (string part in values.ToString().Split(','))
        {
            string item = part.Trim();
            if (item.Length == 3 && item[0] is >= '1' and <= '5' && item.EndsWith("xx", StringComparison.OrdinalIgnoreCase))
            {
                int low = (item[0] - '0') * 100;
                ranges.Add(new StatusRange(low, low + 99));
            }
            else if (item.Length is >= 1 and <= 3 && int.TryParse(item, NumberStyles.None, CultureInfo.InvariantCulture, out int code))
            {
                ranges.Add(new StatusRange(code, code));
            }
            else
            {
                error = Invalid("status", $"status must be codes (429) or classes (4xx), comma-separated; '{item}' is neither.");
                return false;
            }
        }

        statuses = ranges;
        return true;
    }

    private static bool TryTags(IQueryCollection query, out IReadOnlyList<TagCondition> tags, [NotNullWhen(false)] out ErrorResponse? error)
    {
        tags = [];
        error = null;
        if (!query.TryGetValue("tag", out StringValues values))
        {
            return true;
        }

        var conditions = new List<TagCondition>();
        foreach (string? item in values)
        {
            int equals = item?.IndexOf('=', StringComparison.Ordinal) ?? -1;
            if (item is null || equals <= 0)
            {
                error = Invalid("tag", $"tag must be NAME=VALUE, not '{item}'.");
                return false;
            }

            string name = item[..equals];
            string value = item[(equals + 1)..];
            conditions.Add(new TagCondition(name, TextsOf(value)));
        }

        tags = conditions;
        return true;
    }

    /// <summary>
    /// The stored texts a query value matches. A tag is stored as the text it compares by, so a
    /// value that reads as a JSON number also matches that number's text (<c>2.0</c> also matches
    /// the number <c>2</c>), as <c>/logs/update-tags</c>'s filters do.
    /// </summary>
    private static string[] TextsOf(string value)
    {
        if (value.Length > 0 && (char.IsAsciiDigit(value[0]) || value[0] == '-'))
        {
            try
            {
                string number = LogFilter.TextOf(TagValue.FromJsonNumber(value));
                if (!string.Equals(number, value, StringComparison.Ordinal))
                {
                    return [value, number];
                }
            }
            catch (FormatException)
            {
                // Not a JSON number: it matches as text only.
            }
        }

        return [value];
    }
}
