using System;
using System.Buffers;
using System.Collections.Generic;
using System.Globalization;
using System.IO.Pipelines;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenPipe.Gateway.Storage;
using OpenPipe.Server;

namespace OpenPipe.Gateway.Logs;

/// <summary>
/// A fine-tuning JSONL download: rows are read one at a time from the database and each line is
/// written to the response as soon as it is made (flushed every 64 KiB), so memory stays the size of
/// one row whatever the row count. What is known before the first line goes in headers, counted in
/// the rows' own snapshot: <c>op-export-rows</c>, <c>op-export-skipped-failed</c>,
/// <c>op-export-skipped-no-response</c>. What is known only at the end goes in HTTP trailers where
/// the connection carries them (HTTP/2; Kestrel sends none over HTTP/1.1): <c>op-export-written</c>,
/// <c>op-export-skipped</c>, <c>op-export-skipped-unusable</c>. Without trailers, the lines are
/// the written count and the rest of <c>op-export-rows</c> was skipped. A failure before the first
/// byte is a JSON error; after it, the connection is cut so the client sees an incomplete download
/// rather than a short file that looks whole.
/// </summary>
/// <param name="rows">The rows; their first read fills <paramref name="totals"/>.</param>
/// <param name="totals">The counts the rows' source fills before its first row.</param>
/// <param name="fileName">The file name offered to the client.</param>
public sealed partial class JsonlExport(IAsyncEnumerable<ExportRow> rows, ExportTotals totals, string fileName) : IResult
{
    /// <summary>The content type of the download.</summary>
    public const string ContentType = "application/jsonl; charset=utf-8";

    /// <summary>The trailer with the number of lines written.</summary>
    public const string WrittenTrailer = "op-export-written";

    /// <summary>The trailer with the number of rows left out.</summary>
    public const string SkippedTrailer = "op-export-skipped";

    /// <summary>The trailer with the number of rows left out as no example the format can carry.</summary>
    public const string UnusableTrailer = "op-export-skipped-unusable";

    /// <summary>The header with the number of rows the export reads.</summary>
    public const string RowsHeader = "op-export-rows";

    /// <summary>The header with the number of rows left out because the call failed.</summary>
    public const string FailedHeader = "op-export-skipped-failed";

    /// <summary>The header with the number of rows left out because the call has no response.</summary>
    public const string NoResponseHeader = "op-export-skipped-no-response";

    private const int FlushBytes = 64 * 1024;
    private static readonly string[] Trailers = [WrittenTrailer, SkippedTrailer, UnusableTrailer];

    /// <summary>The counts, once the export ended.</summary>
    public ExportCounts Counts { get; } = new();

    /// <inheritdoc />
    public async Task ExecuteAsync(HttpContext httpContext)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        var response = httpContext.Response;
        var cancellationToken = httpContext.RequestAborted;
        var enumerator = rows.GetAsyncEnumerator(cancellationToken);
        try
        {
            bool any;
            try
            {
                // The query runs here, before anything is sent: a database that cannot answer is still a JSON error.
                any = await enumerator.MoveNextAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogFailed(Logger(httpContext), e, fileName);
                await OpenPipeErrors.WriteAsync(httpContext, StatusCodes.Status503ServiceUnavailable, "The request log could not be read; try again.").ConfigureAwait(false);
                return;
            }

            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = ContentType;
            response.Headers.ContentDisposition = $"attachment; filename=\"{fileName}\"";
            response.Headers.CacheControl = "no-store";
            response.Headers[RowsHeader] = Number(totals.Rows);
            response.Headers[FailedHeader] = Number(totals.Failed);
            response.Headers[NoResponseHeader] = Number(totals.NoResponse);
            bool trailers = response.SupportsTrailers();
            if (trailers)
            {
                foreach (string name in Trailers)
                {
                    response.DeclareTrailer(name);
                }
            }

            try
            {
                await WriteAsync(enumerator, any, response.BodyWriter, Counts, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                LogFailed(Logger(httpContext), e, fileName);
                httpContext.Abort();
                return;
            }

            if (trailers)
            {
                response.AppendTrailer(WrittenTrailer, Number(Counts.Written));
                response.AppendTrailer(SkippedTrailer, Number(Counts.Skipped));
                response.AppendTrailer(UnusableTrailer, Number(Counts.SkippedUnusable));
            }
        }
        finally
        {
            await enumerator.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Writes every row's line (or counts why not) to <paramref name="output"/>, one row in memory at a time.</summary>
    /// <param name="rows">The rows.</param>
    /// <param name="output">Where the lines go.</param>
    /// <param name="cancellationToken">Cancels the export.</param>
    /// <returns>The counts.</returns>
    public static async Task<ExportCounts> WriteAsync(IAsyncEnumerable<ExportRow> rows, PipeWriter output, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var counts = new ExportCounts();
        var enumerator = rows.GetAsyncEnumerator(cancellationToken);
        await using (enumerator.ConfigureAwait(false))
        {
            bool any = await enumerator.MoveNextAsync().ConfigureAwait(false);
            await WriteAsync(enumerator, any, output, counts, cancellationToken).ConfigureAwait(false);
        }

        return counts;
    }

    private static async Task WriteAsync(IAsyncEnumerator<ExportRow> enumerator, bool hasCurrent, PipeWriter output, ExportCounts counts, CancellationToken cancellationToken)
    {
        // Each line is made in this buffer first, so a row that turns out unusable halfway leaves nothing in the output.
        var line = new ArrayBufferWriter<byte>(4096);
        long unflushed = 0;
        for (bool has = hasCurrent; has; has = await enumerator.MoveNextAsync().ConfigureAwait(false))
        {
            var row = enumerator.Current;
            line.ResetWrittenCount();
            ExportSkip? skip = row.EntryJson is { } entry
                ? FineTuningLine.TryWriteEntry(entry, line, out _) ? null : ExportSkip.Unusable
                : FineTuningLine.TryWriteCall(row.Status, row.RequestJson, row.ResponseJson, line, out _);
            switch (skip)
            {
                case null:
                    output.Write(line.WrittenSpan);
                    output.Write("\n"u8);
                    unflushed += line.WrittenCount + 1;
                    counts.Written++;
                    break;
                case ExportSkip.Failed:
                    counts.SkippedFailed++;
                    break;
                case ExportSkip.NoResponse:
                    counts.SkippedNoResponse++;
                    break;
                default:
                    counts.SkippedUnusable++;
                    break;
            }

            if (unflushed >= FlushBytes)
            {
                unflushed = 0;
                var flushed = await output.FlushAsync(cancellationToken).ConfigureAwait(false);
                if (flushed.IsCanceled || flushed.IsCompleted)
                {
                    throw new OperationCanceledException("The client stopped reading the export.", cancellationToken);
                }
            }

            // A line far larger than most (a long prompt) does not keep its buffer for the rest of the export.
            if (line.Capacity > 1024 * 1024)
            {
                line = new ArrayBufferWriter<byte>(4096);
            }
        }

        await output.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    private static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static ILogger Logger(HttpContext context) =>
        (ILogger?)context.RequestServices.GetService<ILoggerFactory>()?.CreateLogger<JsonlExport>() ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;

    [LoggerMessage(Level = LogLevel.Error, Message = "The export {FileName} failed.")]
    private static partial void LogFailed(ILogger logger, Exception exception, string fileName);
}
