using System;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using OpenPipe.Client;
using OpenPipe.Gateway.Access;
using OpenPipe.Gateway.Storage;
using OpenPipe.Server;

namespace OpenPipe.Gateway.Logs;

/// <summary>
/// The request log as a viewer sees it: every read narrows the filters to the viewer's key id first
/// (an API key sees its own calls, an admin key everyone's), then pages, gets, exports or finds the
/// latest call. The API's routes and the web page both call it, so scoping and paging are the same.
/// </summary>
public sealed class LogQueryService(IRequestLogReader log, RequestLogQueue queue, TimeProvider time)
{
    private static readonly TimeSpan WriterWait = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The filters narrowed to what <paramref name="viewer"/> may see: an API key's own key id (asking
    /// for another key's is a 403), or for an admin key the key id asked for, if any.
    /// </summary>
    /// <param name="viewer">The viewer.</param>
    /// <param name="query">The filters as asked.</param>
    /// <param name="scoped">The filters to run.</param>
    /// <param name="forbidden">The 403 body, when an API key asked for another key's calls.</param>
    /// <returns>False when refused.</returns>
    public static bool TryScope(GatewayViewer viewer, LogQuery query, out LogQuery scoped, [NotNullWhen(false)] out ErrorResponse? forbidden)
    {
        ArgumentNullException.ThrowIfNull(viewer);
        ArgumentNullException.ThrowIfNull(query);
        if (!viewer.TryScope(query.KeyId, out string? keyId))
        {
            scoped = query;
            const string Message = "key_id names another key: an API key reads only its own calls (an admin key reads every key's).";
            forbidden = OpenPipeErrors.Create(403, Message, [new ErrorIssue { Message = Message, Path = ["key_id"] }]);
            return false;
        }

        scoped = query with { KeyId = keyId };
        forbidden = null;
        return true;
    }

    /// <summary>One page of calls, newest first.</summary>
    /// <param name="viewer">The viewer.</param>
    /// <param name="query">The filters, scoped with <see cref="TryScope"/>.</param>
    /// <param name="limit">The page size.</param>
    /// <param name="after">Where the previous page ended, or null.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The page, with the cursor of the next one.</returns>
    public async Task<LogList> ListAsync(GatewayViewer viewer, LogQuery query, int limit, LogCursor? after, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(viewer);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        EnsureScoped(viewer, query);

        // One row more than the page says whether another page follows.
        var rows = await log.ListLogsAsync(query, after, limit + 1, cancellationToken).ConfigureAwait(false);
        bool more = rows.Count > limit;
        var page = rows.Take(limit).ToList();
        return new LogList
        {
            Object = "list",
            Data = page,
            HasMore = more,
            NextCursor = more ? new LogCursor(page[^1].ReceivedAt, page[^1].Id).Encode() : null,
        };
    }

    /// <summary>One call with its bodies, when the viewer may see it.</summary>
    /// <param name="viewer">The viewer.</param>
    /// <param name="id">The call's id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The call, or null (also for another key's call).</returns>
    public Task<LogEntry?> GetAsync(GatewayViewer viewer, long id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(viewer);
        return log.GetLogAsync(id, viewer.IsAdmin ? null : viewer.KeyId, cancellationToken);
    }

    /// <summary>
    /// The viewer's latest call in OpenPipe's shape, after this instance's log writer stored what was
    /// queued before (OpenPipe's SDK tests ask right after their call).
    /// </summary>
    /// <param name="viewer">The viewer.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The call, or null.</returns>
    public async Task<LatestLoggedCall?> GetLatestAsync(GatewayViewer viewer, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(viewer);
        await queue.WaitForWriterAsync(WriterWait, cancellationToken).ConfigureAwait(false);
        return await log.GetLatestLogAsync(viewer.IsAdmin ? null : viewer.KeyId, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The fine-tuning JSONL of every call that matches, as a download (see <see cref="JsonlExport"/>).</summary>
    /// <param name="viewer">The viewer.</param>
    /// <param name="query">The filters, scoped with <see cref="TryScope"/>.</param>
    /// <returns>The download.</returns>
    public JsonlExport Export(GatewayViewer viewer, LogQuery query)
    {
        ArgumentNullException.ThrowIfNull(viewer);
        EnsureScoped(viewer, query);
        var totals = new ExportTotals();
        return new JsonlExport(log.ReadExportRowsAsync(query, totals), totals, string.Create(CultureInfo.InvariantCulture, $"openpipe-logs-{time.GetUtcNow():yyyyMMdd-HHmmss}.jsonl"));
    }

    /// <summary>An API key's query must be narrowed to its own key id before it runs: a second check behind <see cref="TryScope"/>.</summary>
    private static void EnsureScoped(GatewayViewer viewer, LogQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (!viewer.IsAdmin && !string.Equals(query.KeyId, viewer.KeyId, StringComparison.Ordinal))
        {
            throw new InvalidOperationException("The query was not scoped to the viewer's key: call LogQueryService.TryScope first.");
        }
    }
}
