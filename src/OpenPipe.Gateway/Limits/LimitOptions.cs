using System;
using System.Collections.Generic;

namespace OpenPipe.Gateway.Limits;

/// <summary>
/// Per-key limits on chat completions (<c>Gateway:Limits</c>): a default for every key and overrides
/// by key id (<c>Gateway:Limits:Keys:key_0123456789ab:RequestsPerMinute</c>). For each limit, a
/// positive number is the limit, 0 means none, and an override left out takes the default. Read at start.
/// </summary>
public sealed class LimitOptions
{
    /// <summary>
    /// Chat completion requests per minute per key, counted by each gateway instance on its own
    /// (ASP.NET Core's rate limiter, a fixed one-minute window per key id): N instances let a key make
    /// up to N times this. Default none.
    /// </summary>
    public int? RequestsPerMinute { get; set; }

    /// <summary>
    /// Tokens per UTC day per key, summed from the database (so every instance on one PostgreSQL
    /// counts the same): a chat completion is refused once the key's calls of the day, logged or not,
    /// reached it. Default none.
    /// </summary>
    public long? TokensPerDay { get; set; }

    /// <summary>Overrides by key id.</summary>
    public IDictionary<string, KeyLimitOptions> Keys { get; } = new Dictionary<string, KeyLimitOptions>(StringComparer.Ordinal);

    /// <summary>Whether any key has a requests-per-minute limit.</summary>
    public bool AnyRequestLimit => RequestsPerMinute > 0 || HasOverride(k => k.RequestsPerMinute > 0);

    /// <summary>Whether any key has a tokens-per-day limit.</summary>
    public bool AnyTokenLimit => TokensPerDay > 0 || HasOverride(k => k.TokensPerDay > 0);

    /// <summary>The limits of one key.</summary>
    /// <param name="keyId">The key id.</param>
    /// <returns>Its requests per minute and tokens per day; null for none.</returns>
    public (int? RequestsPerMinute, long? TokensPerDay) For(string keyId)
    {
        Keys.TryGetValue(keyId, out var key);
        int? requests = key?.RequestsPerMinute ?? RequestsPerMinute;
        long? tokens = key?.TokensPerDay ?? TokensPerDay;
        return (requests > 0 ? requests : null, tokens > 0 ? tokens : null);
    }

    private bool HasOverride(Func<KeyLimitOptions, bool> limited)
    {
        foreach (var key in Keys.Values)
        {
            if (limited(key))
            {
                return true;
            }
        }

        return false;
    }
}

/// <summary>One key's limits; a value left out takes <see cref="LimitOptions"/>' default, 0 lifts it.</summary>
public sealed class KeyLimitOptions
{
    /// <summary>Chat completion requests per minute, per gateway instance.</summary>
    public int? RequestsPerMinute { get; set; }

    /// <summary>Tokens per UTC day.</summary>
    public long? TokensPerDay { get; set; }
}
