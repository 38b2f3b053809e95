using System;
using System.Collections.Generic;

namespace OpenPipe.Gateway.Logs;

/// <summary>
/// Which logged calls a list, an export, a usage report or a dataset import covers: every set
/// condition must hold. <see cref="LogQueryParser"/> reads it from the query string, and
/// <see cref="LogQueryService"/> narrows <see cref="KeyId"/> to what the viewer may see before any
/// store runs it, so the filters mean the same on every route and on both storages.
/// </summary>
public sealed record LogQuery
{
    /// <summary>No condition: every call (that the viewer may see).</summary>
    public static LogQuery All { get; } = new();

    /// <summary>Only calls for this model (exact name).</summary>
    public string? Model { get; init; }

    /// <summary>Only calls answered by this backend.</summary>
    public string? Backend { get; init; }

    /// <summary>Only calls whose status falls in one of these ranges; empty for any status.</summary>
    public IReadOnlyList<StatusRange> Statuses { get; init; } = [];

    /// <summary>Only calls that have every one of these tags.</summary>
    public IReadOnlyList<TagCondition> Tags { get; init; } = [];

    /// <summary>Only calls whose <c>op-criteria</c> named this criterion id.</summary>
    public string? Criterion { get; init; }

    /// <summary>Only calls the cache answered (true) or did not (false).</summary>
    public bool? CacheHit { get; init; }

    /// <summary>Only calls received at or after this time.</summary>
    public DateTimeOffset? From { get; init; }

    /// <summary>Only calls received before this time.</summary>
    public DateTimeOffset? To { get; init; }

    /// <summary>Only calls whose request or response JSON contains this text, ignoring case.</summary>
    public string? Text { get; init; }

    /// <summary>Only calls logged under this key id.</summary>
    public string? KeyId { get; init; }
}

/// <summary>A range of HTTP statuses, both ends included (<c>4xx</c> is 400 to 499).</summary>
/// <param name="Min">The lowest status.</param>
/// <param name="Max">The highest status.</param>
public readonly record struct StatusRange(int Min, int Max);

/// <summary>
/// A tag a call must have: its name, and the texts its value may read as (a tag compares by its
/// text, as <see cref="Storage.LogFilter.TextOf"/> writes it, so <c>2</c> and <c>"2"</c> both read <c>2</c>).
/// </summary>
/// <param name="Name">The tag's name.</param>
/// <param name="Texts">The texts that match (one, or two when the value reads as a number written another way).</param>
public sealed record TagCondition(string Name, IReadOnlyList<string> Texts);
