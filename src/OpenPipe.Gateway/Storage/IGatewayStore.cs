using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using OpenPipe.Client;

namespace OpenPipe.Gateway.Storage;

/// <summary>
/// The database behind the gateway: the request log and the <c>op-cache</c> response cache. One
/// implementation per engine (<see cref="SqliteGatewayStore"/>, <see cref="PostgresGatewayStore"/>);
/// several gateway instances on one PostgreSQL share both.
/// </summary>
public interface IGatewayStore
{
    /// <summary>The engine's name, as configured (<c>sqlite</c> or <c>postgres</c>).</summary>
    string Provider { get; }

    /// <summary>Creates or migrates the schema; safe to run again and from several instances at once.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the schema is ready.</returns>
    Task InitializeAsync(CancellationToken cancellationToken = default);

    /// <summary>Writes the entries in one transaction; entries already written (by <see cref="RequestLogEntry.EntryId"/>) are skipped.</summary>
    /// <param name="entries">The entries.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the transaction committed.</returns>
    Task WriteLogAsync(IReadOnlyList<RequestLogEntry> entries, CancellationToken cancellationToken = default);

    /// <summary>The cached completion JSON under <paramref name="key"/>, when one exists that expires after <paramref name="now"/>.</summary>
    /// <param name="key">The cache key.</param>
    /// <param name="now">The current time.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The completion JSON, or null.</returns>
    Task<string?> GetCachedAsync(string key, DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>Stores (or replaces) the completion JSON under <paramref name="key"/> until <paramref name="expiresAt"/>.</summary>
    /// <param name="key">The cache key.</param>
    /// <param name="completionJson">The completion.</param>
    /// <param name="createdAt">When it was stored.</param>
    /// <param name="expiresAt">When it stops answering.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when stored.</returns>
    Task PutCachedAsync(string key, string completionJson, DateTimeOffset createdAt, DateTimeOffset expiresAt, CancellationToken cancellationToken = default);

    /// <summary>
    /// Merges <paramref name="tags"/> into the tags of the caller's log rows that match every filter
    /// (a null tag value removes the tag).
    /// </summary>
    /// <param name="keyId">Only rows logged with this key are touched.</param>
    /// <param name="filters">Field (<c>model</c>, <c>completionId</c>, <c>tags.NAME</c>) and the value it must equal.</param>
    /// <param name="tags">The tags to set, each with its JSON type, or (null) remove.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>How many rows matched.</returns>
    Task<int> UpdateTagsAsync(string keyId, IReadOnlyList<LogFilter> filters, IReadOnlyDictionary<string, TagValue> tags, CancellationToken cancellationToken = default);
}

/// <summary>
/// One filter of <c>POST /logs/update-tags</c>: a field and the value it must equal. As on OpenPipe,
/// values compare by their text (<c>2</c> matches the tag <c>2</c> and the tag <c>"2"</c>, <c>true</c>
/// matches <c>true</c> and <c>"true"</c>), whatever JSON type each was sent as.
/// </summary>
/// <param name="Field"><c>model</c>, <c>completionId</c> or <c>tags.NAME</c>.</param>
/// <param name="EqualsValue">The value.</param>
public sealed record LogFilter(string Field, TagValue EqualsValue)
{
    /// <summary>Whether a tag's value matches this filter's.</summary>
    /// <param name="value">The tag's value.</param>
    /// <returns>True when both read the same as text (a null tag matches nothing).</returns>
    public bool Matches(TagValue value) => !value.IsNull && string.Equals(TextOf(value), TextOf(EqualsValue), StringComparison.Ordinal);

    /// <summary>The text a value compares by: a string as it is, <c>true</c>/<c>false</c>, a number in its shortest form (<c>2.0</c> as <c>2</c>).</summary>
    /// <param name="value">The value.</param>
    /// <returns>The text.</returns>
    public static string TextOf(TagValue value) =>
        value.Kind == TagValueKind.Number && value.TryGetDouble(out double number)
            ? number.ToString("R", System.Globalization.CultureInfo.InvariantCulture).ToLowerInvariant()
            : value.ToString();
}
