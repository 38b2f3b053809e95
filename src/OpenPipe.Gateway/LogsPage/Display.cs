using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using OpenPipe.Gateway.Storage;

namespace OpenPipe.Gateway.LogsPage;

/// <summary>How the page writes values: UTC times, grouped numbers, tags as their text.</summary>
public static class Display
{
    /// <summary>A time in UTC, to the second.</summary>
    /// <param name="time">The time.</param>
    /// <returns>The text.</returns>
    public static string Time(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);

    /// <summary>A time as a <c>time</c> element's machine-readable value.</summary>
    /// <param name="time">The time.</param>
    /// <returns>The text.</returns>
    public static string Iso(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    /// <summary>A count with thousands grouped.</summary>
    /// <param name="value">The count.</param>
    /// <returns>The text, or a dash for none.</returns>
    public static string Number(long? value) => value is { } number ? number.ToString("N0", CultureInfo.InvariantCulture) : "–";

    /// <summary>A latency in milliseconds.</summary>
    /// <param name="milliseconds">The latency.</param>
    /// <returns>The text.</returns>
    public static string Latency(double milliseconds) =>
        milliseconds >= 10_000 ? (milliseconds / 1000).ToString("0.0", CultureInfo.InvariantCulture) + " s" : milliseconds.ToString("0.#", CultureInfo.InvariantCulture) + " ms";

    /// <summary>The style of a status: ok (2xx), warn (4xx), error (5xx and anything else).</summary>
    /// <param name="status">The HTTP status.</param>
    /// <returns>The class name.</returns>
    public static string StatusClass(int status) => status switch
    {
        >= 200 and < 300 => "ok",
        >= 400 and < 500 => "warn",
        _ => "error",
    };

    /// <summary>A tag as the logs API's <c>tag</c> filter compares it: <c>name=text</c>.</summary>
    /// <param name="name">The tag's name.</param>
    /// <param name="value">The value as the log reader gives it.</param>
    /// <returns>The text.</returns>
    public static string Tag(string name, object? value) => name + "=" + TagText(value);

    /// <summary>A tag's value with its JSON type shown (<c>"p1"</c>, <c>2</c>, <c>true</c>).</summary>
    /// <param name="value">The value.</param>
    /// <returns>The JSON text.</returns>
    public static string TagJson(object? value) => value is TagValue tag ? tag.ToJson() : value?.ToString() ?? "null";

    /// <summary>The tags in name order.</summary>
    /// <param name="tags">The tags.</param>
    /// <returns>The tags, sorted.</returns>
    public static IEnumerable<KeyValuePair<string, object>> Sorted(IDictionary<string, object> tags) =>
        (tags ?? throw new ArgumentNullException(nameof(tags))).OrderBy(t => t.Key, StringComparer.Ordinal);

    private static string TagText(object? value) => value is TagValue tag ? LogFilter.TextOf(tag) : value?.ToString() ?? string.Empty;
}
