using System;
using System.Collections.Generic;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace OpenPipe.Gateway.Storage;

/// <summary>
/// The background writer. At start it creates the schema (a database that cannot be reached stops
/// the gateway with a clear error). Then it takes entries from the queue in batches (up to
/// <see cref="StorageOptions.BatchSize"/> rows, or what arrived within <see cref="StorageOptions.FlushInterval"/>)
/// and writes each batch in one transaction. A batch that fails for a transient reason (the database
/// went away) is written again with growing waits while new entries wait in the bounded queue; a
/// database that comes back without the gateway's tables gets them again before the batch is
/// written again; a batch the database rejects for good is dropped and counted. On shutdown it drains the queue.
/// </summary>
public sealed partial class RequestLogWriter(IGatewayStore store, RequestLogQueue queue, IOptions<GatewayOptions> options, ILogger<RequestLogWriter> logger)
    : IHostedService, IDisposable
{
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(30);
    private readonly CancellationTokenSource stopping = new();
    private Task? loop;

    /// <inheritdoc />
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        string where = store is PostgresGatewayStore pg ? pg.Description : store is SqliteGatewayStore sqlite ? $"SQLite file {sqlite.DatabasePath}" : store.Provider;
        try
        {
            await store.InitializeAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            throw new InvalidOperationException(
                $"The gateway's storage ({where}) could not be opened at start: {e.Message} Check Gateway:Storage:Provider and Gateway:Storage:ConnectionString.", e);
        }

        LogStorage(logger, where);

        loop = Task.Run(WriteAllAsync, CancellationToken.None);
    }

    /// <inheritdoc />
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        queue.Complete();
        if (loop is null)
        {
            return;
        }

        // Drain what is queued; when the host's shutdown time-out fires, retries stop and what is left is counted as dropped.
        using var registration = cancellationToken.Register(stopping.Cancel);
        await loop.ConfigureAwait(false);
    }

    /// <inheritdoc />
    public void Dispose() => stopping.Dispose();

    private async Task WriteAllAsync()
    {
        var settings = options.Value.Storage;
        var batch = new List<RequestLogEntry>(settings.BatchSize);
        var reader = queue.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            batch.Clear();
            using (var window = new CancellationTokenSource(settings.FlushInterval))
            {
                try
                {
                    while (batch.Count < settings.BatchSize)
                    {
                        if (reader.TryRead(out var entry))
                        {
                            batch.Add(entry);
                        }
                        else if (!await reader.WaitToReadAsync(window.Token).ConfigureAwait(false))
                        {
                            break;
                        }
                    }
                }
                catch (OperationCanceledException) when (window.IsCancellationRequested)
                {
                    // The flush interval passed: write what there is.
                }
            }

            if (batch.Count > 0)
            {
                await WriteWithRetriesAsync(batch, settings.RetryDelay).ConfigureAwait(false);
            }
        }
    }

    private async Task WriteWithRetriesAsync(List<RequestLogEntry> batch, TimeSpan firstDelay)
    {
        var delay = firstDelay;
        bool recreatedAtOnce = false;
        for (int attempt = 1; ; attempt++)
        {
            Exception failure;
            try
            {
                await store.WriteLogAsync(batch, stopping.Token).ConfigureAwait(false);
                queue.MarkProcessed(batch.Count);
                if (attempt > 1)
                {
                    LogRecovered(logger, batch.Count, attempt);
                }

                return;
            }
            catch (Exception e) when (stopping.IsCancellationRequested)
            {
                queue.MarkDropped(batch.Count, "the gateway stopped while the database was unavailable: " + e.Message);
                queue.MarkProcessed(batch.Count);
                return;
            }
            catch (Exception e) when (IsTransient(e) || StorageSchema.IsMissing(e))
            {
                failure = e;
            }
            catch (Exception e)
            {
                LogRejected(logger, e, batch.Count);
                queue.MarkDropped(batch.Count, "the database rejected the batch: " + e.Message);
                queue.MarkProcessed(batch.Count);
                return;
            }

            // A database that came back without the gateway's tables gets them again; the first time, the batch is written again at once.
            if (StorageSchema.IsMissing(failure) && await RecreateSchemaAsync(failure).ConfigureAwait(false) && !recreatedAtOnce)
            {
                recreatedAtOnce = true;
                continue;
            }

            LogRetrying(logger, batch.Count, attempt, delay.TotalSeconds, queue.Waiting, failure.Message);
            try
            {
                await Task.Delay(delay, stopping.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Shutting down: one last attempt above decides.
            }

            delay = TimeSpan.FromTicks(Math.Min(MaxRetryDelay.Ticks, delay.Ticks * 2));
        }
    }

    /// <summary>Creates the schema again after a write found it missing; a failure is left to the retries.</summary>
    private async Task<bool> RecreateSchemaAsync(Exception missing)
    {
        try
        {
            await store.InitializeAsync(stopping.Token).ConfigureAwait(false);
            LogSchemaRecreated(logger, missing.Message);
            return true;
        }
        catch (Exception e) when (!stopping.IsCancellationRequested)
        {
            LogSchemaNotRecreated(logger, e.Message);
            return false;
        }
    }

    /// <summary>Whether a write may succeed later: the database is unreachable, busy or restarting.</summary>
    private static bool IsTransient(Exception e) => e switch
    {
        PostgresException pg => pg.IsTransient || pg.SqlState.StartsWith("57", StringComparison.Ordinal) || pg.SqlState.StartsWith("08", StringComparison.Ordinal),
        NpgsqlException => true,
        SqliteException sqlite => sqlite.SqliteErrorCode is 5 or 6 or 10 or 13 or 14, // busy, locked, I/O, full, cannot open
        IOException or TimeoutException or System.Net.Sockets.SocketException => true,
        InvalidOperationException { InnerException: { } inner } => IsTransient(inner),
        _ => false,
    };

    [LoggerMessage(Level = LogLevel.Information, Message = "Request log and response cache: {Where}.")]
    private static partial void LogStorage(ILogger logger, string where);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Request log: writing {Count} entries failed (attempt {Attempt}); retrying in {DelaySeconds:0.#} s, {Waiting} more waiting in the queue. {Reason}")]
    private static partial void LogRetrying(ILogger logger, int count, int attempt, double delaySeconds, int waiting, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Request log: the database had lost the gateway's tables ({Reason}); they were created again.")]
    private static partial void LogSchemaRecreated(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Request log: the database lost the gateway's tables and creating them again failed ({Reason}); retrying.")]
    private static partial void LogSchemaNotRecreated(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Request log: the database is back; {Count} entries written on attempt {Attempt}.")]
    private static partial void LogRecovered(ILogger logger, int count, int attempt);

    [LoggerMessage(Level = LogLevel.Error, Message = "Request log: the database rejected a batch of {Count} entries.")]
    private static partial void LogRejected(ILogger logger, Exception exception, int count);
}
