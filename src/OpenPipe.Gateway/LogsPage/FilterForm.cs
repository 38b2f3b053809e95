using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Microsoft.AspNetCore.Http;
using OpenPipe.Gateway.Logs;

namespace OpenPipe.Gateway.LogsPage;

/// <summary>
/// The filter form's fields as the query string has them, to fill the form again; times that read as
/// times are given back as UTC in the form a <c>datetime-local</c> field takes.
/// </summary>
public sealed class FilterForm
{
    /// <summary>The page sizes offered.</summary>
    public static IReadOnlyList<int> PageSizes { get; } = [25, 50, 100, LogQueryParser.MaxLimit];

    /// <summary>The list's parameters: the filters and paging.</summary>
    public static IReadOnlyList<string> ListNames { get; } = [.. LogQueryParser.FilterNames, .. LogQueryParser.PageNames];

    private FilterForm(IQueryCollection query)
    {
        Query = query;
    }

    /// <summary>The query without empty values.</summary>
    public IQueryCollection Query { get; }

    /// <summary>model.</summary>
    public string? Model => Value("model");

    /// <summary>backend.</summary>
    public string? Backend => Value("backend");

    /// <summary>status.</summary>
    public string? Status => Value("status");

    /// <summary>Every tag=NAME=VALUE.</summary>
    public IReadOnlyList<string> Tags => Query["tag"].Where(t => t is not null).Select(t => t!).ToList();

    /// <summary>criterion.</summary>
    public string? Criterion => Value("criterion");

    /// <summary>cache_hit.</summary>
    public string? CacheHit => Value("cache_hit");

    /// <summary>from, for a datetime-local field.</summary>
    public string? From => Time("from");

    /// <summary>to, for a datetime-local field.</summary>
    public string? To => Time("to");

    /// <summary>q.</summary>
    public string? Text => Value("q");

    /// <summary>key_id.</summary>
    public string? KeyId => Value("key_id");

    /// <summary>limit, or the default.</summary>
    public int Limit => int.TryParse(Value("limit"), NumberStyles.None, CultureInfo.InvariantCulture, out int limit) ? limit : LogQueryParser.DefaultLimit;

    /// <summary>Whether any filter is set.</summary>
    public bool AnyFilter => LogQueryParser.FilterNames.Any(Query.ContainsKey);

    /// <summary>The set filters as "name: value" lines, for a summary.</summary>
    public IEnumerable<string> Summary =>
        LogQueryParser.FilterNames.SelectMany(name => Query[name].Select(value => $"{name}: {value}"));

    /// <summary>Reads the form from a request's query.</summary>
    /// <param name="query">The query.</param>
    /// <returns>The form.</returns>
    public static FilterForm Read(IQueryCollection query) => new(LogsPageQuery.Clean(query));

    private string? Value(string name) => Query.TryGetValue(name, out var values) ? values.ToString() : null;

    private string? Time(string name) =>
        Value(name) is { } text && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time)
            ? time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture)
            : Value(name);
}
