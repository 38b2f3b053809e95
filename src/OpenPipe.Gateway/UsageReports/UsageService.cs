using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Options;
using OpenPipe.Client;
using OpenPipe.Gateway.Access;
using OpenPipe.Gateway.Limits;
using OpenPipe.Gateway.Storage;
using OpenPipe.Server;

namespace OpenPipe.Gateway.UsageReports;

/// <summary>
/// Usage as a viewer sees it: sums of the log per key, model or UTC day (computed by the database),
/// and the limits of the keys it covers with their current use.
/// </summary>
public sealed class UsageService(IRequestLogReader log, KeyRequestLimiter requests, TokenBudget tokens, IOptions<GatewayOptions> options, IOptionsMonitor<OpenPipeServerOptions> server)
{
    /// <summary>The usage report.</summary>
    /// <param name="viewer">The viewer.</param>
    /// <param name="groupBy">Per key, model or day.</param>
    /// <param name="keyId">The key id the report is narrowed to (an API key's own; an admin's choice, or null for all).</param>
    /// <param name="from">Only calls received at or after this time.</param>
    /// <param name="to">Only calls received before this time.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The report.</returns>
    public async Task<UsageReport> GetAsync(GatewayViewer viewer, UsageGroupBy groupBy, string? keyId, DateTimeOffset? from, DateTimeOffset? to, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(viewer);
        if (!viewer.IsAdmin && !string.Equals(keyId, viewer.KeyId, StringComparison.Ordinal))
        {
            throw new InvalidOperationException("An API key's usage is narrowed to its own key id.");
        }

        var rows = await log.GetUsageAsync(groupBy, keyId, from, to, cancellationToken).ConfigureAwait(false);
        var limits = new List<KeyLimitStatus>();
        foreach (string id in KeysCovered(keyId))
        {
            limits.Add(await LimitStatusAsync(id, cancellationToken).ConfigureAwait(false));
        }

        return new UsageReport
        {
            Object = "usage",
            GroupBy = groupBy switch { UsageGroupBy.Key => "key", UsageGroupBy.Model => "model", _ => "day" },
            From = from,
            To = to,
            Data = rows.ToList(),
            Limits = limits,
        };
    }

    /// <summary>One key's limits and their current use.</summary>
    /// <param name="keyId">The key id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The status.</returns>
    public async Task<KeyLimitStatus> LimitStatusAsync(string keyId, CancellationToken cancellationToken = default)
    {
        var (perMinute, perDay) = options.Value.Limits.For(keyId);
        return new KeyLimitStatus
        {
            KeyId = keyId,
            RequestsPerMinute = perMinute,
            RequestsThisMinute = requests.UsedThisMinute(keyId),
            TokensPerDay = perDay,
            TokensToday = await tokens.UsedTodayAsync(keyId, cancellationToken).ConfigureAwait(false),
            TokensResetAt = tokens.NextReset,
        };
    }

    /// <summary>The key itself, or for an admin's report on every key, each configured API key and each key with its own limits.</summary>
    private IEnumerable<string> KeysCovered(string? keyId) =>
        keyId is not null
            ? [keyId]
            : server.CurrentValue.ApiKeys.Select(OpenPipeCaller.KeyIdOf).Concat(options.Value.Limits.Keys.Keys).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal);
}
