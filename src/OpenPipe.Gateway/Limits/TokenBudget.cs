using System;
using System.Collections.Concurrent;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Logging;
using OpenPipe.Gateway.Storage;

namespace OpenPipe.Gateway.Limits;

/// <summary>
/// Each key's tokens of the current UTC day, summed from the database: the request log and the counts
/// of calls that were not logged (so every instance on one database agrees once the rows are written). A key's sum is read again when it is older than
/// <see cref="Refresh"/>, so a busy key costs one small query a second, not one per request. When
/// the database cannot answer, the last known sum (or none) stands: a database outage does not stop
/// chat completions, as it does not stop them elsewhere in the gateway.
/// </summary>
public sealed partial class TokenBudget(IRequestLogReader log, TimeProvider time, ILogger<TokenBudget> logger)
{
    /// <summary>How long a key's sum is used before it is read again.</summary>
    public static readonly TimeSpan Refresh = TimeSpan.FromSeconds(1);

    private readonly ConcurrentDictionary<string, Known> known = new(StringComparer.Ordinal);

    /// <summary>The start of the current UTC day.</summary>
    public DateTimeOffset DayStart => new(time.GetUtcNow().UtcDateTime.Date, TimeSpan.Zero);

    /// <summary>When the day's count starts again (the next 00:00 UTC).</summary>
    public DateTimeOffset NextReset => DayStart.AddDays(1);

    /// <summary>The key's tokens since 00:00 UTC (reported calls and cache hits not counted).</summary>
    /// <param name="keyId">The key id.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The tokens.</returns>
    public async ValueTask<long> UsedTodayAsync(string keyId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(keyId);
        var now = time.GetUtcNow();
        var day = DayStart;
        if (known.TryGetValue(keyId, out var last) && last.Day == day && now - last.ReadAt < Refresh)
        {
            return last.Tokens;
        }

        try
        {
            long tokens = await log.GetTokensUsedAsync(keyId, day, cancellationToken).ConfigureAwait(false);
            known[keyId] = new Known(day, now, tokens);
            return tokens;
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            LogUnavailable(logger, e, keyId);
            return last is not null && last.Day == day ? last.Tokens : 0;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Token limit: the day's tokens of {KeyId} could not be read; the request goes on with the last known count.")]
    private static partial void LogUnavailable(ILogger logger, Exception exception, string keyId);

    private sealed record Known(DateTimeOffset Day, DateTimeOffset ReadAt, long Tokens);
}
