using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using OpenPipe.Client;
using OpenPipe.Gateway.Logs;

namespace OpenPipe.Gateway.Storage;

/// <summary>
/// Reads the request log: pages of calls, one call, the export stream, usage sums and a key's tokens
/// of the day, all filtered in SQL. Callers pass a <see cref="LogQuery"/> whose key id was already
/// narrowed to what the viewer may see (<see cref="LogQueryService"/> does that).
/// </summary>
public interface IRequestLogReader
{
    /// <summary>Up to <paramref name="take"/> calls that match, newest first (by <c>received_at</c>, then <c>id</c>), after <paramref name="after"/>.</summary>
    /// <param name="query">The filters.</param>
    /// <param name="after">Where the previous page ended, or null for the first page.</param>
    /// <param name="take">How many rows at most.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The calls, without their bodies.</returns>
    Task<IReadOnlyList<LogEntry>> ListLogsAsync(LogQuery query, LogCursor? after, int take, CancellationToken cancellationToken = default);

    /// <summary>One call with its request, response and metadata.</summary>
    /// <param name="id">The call's id.</param>
    /// <param name="keyId">Only a call logged under this key id; null for any.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The call, or null.</returns>
    Task<LogEntry?> GetLogAsync(long id, string? keyId, CancellationToken cancellationToken = default);

    /// <summary>The newest call, in OpenPipe's shape.</summary>
    /// <param name="keyId">Only calls logged under this key id; null for any.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The call, or null when there is none.</returns>
    Task<LatestLoggedCall?> GetLatestLogAsync(string? keyId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Every call that matches, newest first, read one row at a time from the database (never all at
    /// once). With <paramref name="totals"/>, the rows are counted first, in the same snapshot, and
    /// the counts are in it before the first row arrives.
    /// </summary>
    /// <param name="query">The filters.</param>
    /// <param name="totals">Gets the counts, or null to skip counting.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The rows.</returns>
    IAsyncEnumerable<ExportRow> ReadExportRowsAsync(LogQuery query, ExportTotals? totals = null, CancellationToken cancellationToken = default);

    /// <summary>Requests, errors, tokens and cache hits of the calls, summed per group, ordered by group.</summary>
    /// <param name="groupBy">Key id, model or UTC day.</param>
    /// <param name="keyId">Only calls logged under this key id; null for every key.</param>
    /// <param name="from">Only calls received at or after this time.</param>
    /// <param name="to">Only calls received before this time.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>One row per group.</returns>
    Task<IReadOnlyList<UsageRow>> GetUsageAsync(UsageGroupBy groupBy, string? keyId, DateTimeOffset? from, DateTimeOffset? to, CancellationToken cancellationToken = default);

    /// <summary>
    /// The total tokens of a key's calls received since <paramref name="since"/> that a model answered,
    /// the logged ones and those counted without being logged (<see cref="RequestLogEntry.TokensOnly"/>):
    /// reported calls (<c>backend</c> <c>report</c>) and cache hits do not count.
    /// </summary>
    /// <param name="keyId">The key id.</param>
    /// <param name="since">The start of the period.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The tokens.</returns>
    Task<long> GetTokensUsedAsync(string keyId, DateTimeOffset since, CancellationToken cancellationToken = default);
}

/// <summary>One row of an export: a logged call's status and bodies, or a dataset entry's own JSON.</summary>
/// <param name="Status">The call's HTTP status (200 for an entry with its own JSON).</param>
/// <param name="RequestJson">The call's request, or null.</param>
/// <param name="ResponseJson">The call's response, or null when it has none.</param>
/// <param name="EntryJson">A dataset entry's messages and tools, when it was added as JSON rather than from the log.</param>
public readonly record struct ExportRow(int Status, string? RequestJson, string? ResponseJson, string? EntryJson);
