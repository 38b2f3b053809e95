using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace OpenPipe.Gateway.LogsPage;

/// <summary>
/// The page's query strings. A filter form sends every field, filled or not, and an empty field means
/// "any": those are dropped before <see cref="Logs.LogQueryParser"/> reads the rest, which it then reads
/// exactly as the API's routes do (an unknown or repeated parameter, or a value it cannot read, is a
/// message). Links (the next page, the export, the dataset form) are built from the same parameters.
/// </summary>
public static class LogsPageQuery
{
    /// <summary>The query without empty values.</summary>
    /// <param name="query">The request's query.</param>
    /// <returns>The parameters that have a value, in their order.</returns>
    public static QueryCollection Clean(IQueryCollection query)
    {
        ArgumentNullException.ThrowIfNull(query);
        var kept = new Dictionary<string, StringValues>(StringComparer.Ordinal);
        foreach (var (name, values) in query)
        {
            string?[] filled = values.Where(v => !string.IsNullOrWhiteSpace(v)).ToArray();
            if (filled.Length > 0)
            {
                kept[name] = new StringValues(filled);
            }
        }

        return new QueryCollection(kept);
    }

    /// <summary>
    /// A link to <paramref name="path"/> with <paramref name="query"/>'s parameters, of which only those in
    /// <paramref name="keep"/> are kept, then <paramref name="set"/>'s (a null value leaves the parameter out).
    /// </summary>
    /// <param name="path">The path.</param>
    /// <param name="query">The current parameters.</param>
    /// <param name="keep">The names to keep.</param>
    /// <param name="set">Parameters to set (they replace any of the same name).</param>
    /// <returns>The path and query string, URL-encoded.</returns>
    public static string Link(string path, IQueryCollection query, IEnumerable<string> keep, params (string Name, string? Value)[] set)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(keep);
        var names = keep.ToHashSet(StringComparer.Ordinal);
        var replaced = set.Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
        var pairs = new List<KeyValuePair<string, string?>>();
        foreach (var (name, values) in query)
        {
            if (names.Contains(name) && !replaced.Contains(name))
            {
                pairs.AddRange(values.Select(v => new KeyValuePair<string, string?>(name, v)));
            }
        }

        pairs.AddRange(set.Where(s => s.Value is not null).Select(s => new KeyValuePair<string, string?>(s.Name, s.Value)));
        return path + QueryString.Create(pairs).ToUriComponent();
    }

    /// <summary>Whether <paramref name="url"/> is a path of the page (for a link back after signing in or from a call): local, under <see cref="LogsPageDefaults.BasePath"/>.</summary>
    /// <param name="url">The URL, from a query string.</param>
    /// <returns>True for a page path such as <c>/logs?model=x</c>.</returns>
    public static bool IsPagePath(string? url)
    {
        // Local ("/...", not "//host" nor "/\host", which browsers read as another site), without a way
        // out of /logs ("..") or characters a header cannot carry, and the path /logs or below it.
        if (string.IsNullOrEmpty(url) || !url.StartsWith('/') || url.StartsWith("//", StringComparison.Ordinal)
            || url.Contains('\\', StringComparison.Ordinal) || url.Contains("..", StringComparison.Ordinal) || url.Any(char.IsControl))
        {
            return false;
        }

        return new PathString(url.Split('?', '#')[0]).StartsWithSegments(LogsPageDefaults.BasePath, StringComparison.Ordinal);
    }
}
