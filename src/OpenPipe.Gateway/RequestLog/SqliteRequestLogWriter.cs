using System;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace OpenPipe.Gateway.RequestLog;

/// <summary>
/// The background writer: creates the schema at start, writes queued entries to SQLite off the
/// request path, and on shutdown drains the queue before it stops. A failed write is logged and
/// skipped; it never reaches a response.
/// </summary>
public sealed partial class SqliteRequestLogWriter : IHostedService, IDisposable
{
    /// <summary>The table's schema.</summary>
    public const string Schema = """
        CREATE TABLE IF NOT EXISTS request_log (
            id                INTEGER PRIMARY KEY AUTOINCREMENT,
            received_at       TEXT    NOT NULL,
            key_id            TEXT    NOT NULL,
            model             TEXT    NOT NULL,
            backend           TEXT    NOT NULL,
            stream            INTEGER NOT NULL,
            status            INTEGER NOT NULL,
            error             TEXT,
            latency_ms        REAL    NOT NULL,
            prompt_tokens     INTEGER,
            completion_tokens INTEGER,
            total_tokens      INTEGER,
            request_json      TEXT    NOT NULL,
            response_json     TEXT,
            metadata_json     TEXT,
            tags              TEXT
        );
        CREATE INDEX IF NOT EXISTS request_log_received_at ON request_log (received_at);
        """;

    private readonly RequestLogQueue queue;
    private readonly ILogger<SqliteRequestLogWriter> logger;
    private readonly string connectionString;
    private SqliteConnection? connection;
    private Task? loop;

    /// <summary>Creates the writer.</summary>
    /// <param name="queue">The queue to drain.</param>
    /// <param name="options">The gateway options (database path).</param>
    /// <param name="environment">The host environment; a relative path is relative to its content root.</param>
    /// <param name="logger">The logger.</param>
    public SqliteRequestLogWriter(RequestLogQueue queue, IOptions<GatewayOptions> options, IHostEnvironment environment, ILogger<SqliteRequestLogWriter> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(environment);
        this.queue = queue;
        this.logger = logger;
        DatabasePath = System.IO.Path.GetFullPath(options.Value.RequestLog.Path, environment.ContentRootPath);
        connectionString = new SqliteConnectionStringBuilder { DataSource = DatabasePath, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = false }.ToString();
    }

    /// <summary>The database file's full path.</summary>
    public string DatabasePath { get; }

    /// <inheritdoc />
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        connection = new SqliteConnection(connectionString);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (var pragma = connection.CreateCommand())
        {
            pragma.CommandText = "PRAGMA journal_mode=WAL;";
            await pragma.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await using (var create = connection.CreateCommand())
        {
            create.CommandText = Schema;
            await create.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        loop = Task.Run(WriteAllAsync, CancellationToken.None);
    }

    /// <inheritdoc />
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        queue.Complete();
        if (loop is not null)
        {
            // Drain what is queued; the host's shutdown timeout bounds the wait.
            await loop.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public void Dispose() => connection?.Dispose();

    private async Task WriteAllAsync()
    {
        await foreach (var entry in queue.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            try
            {
                await WriteAsync(entry).ConfigureAwait(false);
            }
            catch (SqliteException e)
            {
                LogWriteFailed(logger, e);
            }
        }
    }

    private async Task WriteAsync(RequestLogEntry e)
    {
        await using var insert = connection!.CreateCommand();
        insert.CommandText = """
            INSERT INTO request_log (received_at, key_id, model, backend, stream, status, error, latency_ms,
                prompt_tokens, completion_tokens, total_tokens, request_json, response_json, metadata_json, tags)
            VALUES ($received_at, $key_id, $model, $backend, $stream, $status, $error, $latency_ms,
                $prompt_tokens, $completion_tokens, $total_tokens, $request_json, $response_json, $metadata_json, $tags);
            """;
        insert.Parameters.AddWithValue("$received_at", e.ReceivedAt.UtcDateTime.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
        insert.Parameters.AddWithValue("$key_id", e.KeyId);
        insert.Parameters.AddWithValue("$model", e.Model);
        insert.Parameters.AddWithValue("$backend", e.Backend);
        insert.Parameters.AddWithValue("$stream", e.Stream ? 1 : 0);
        insert.Parameters.AddWithValue("$status", e.Status);
        insert.Parameters.AddWithValue("$error", (object?)e.Error ?? DBNull.Value);
        insert.Parameters.AddWithValue("$latency_ms", e.LatencyMs);
        insert.Parameters.AddWithValue("$prompt_tokens", (object?)e.PromptTokens ?? DBNull.Value);
        insert.Parameters.AddWithValue("$completion_tokens", (object?)e.CompletionTokens ?? DBNull.Value);
        insert.Parameters.AddWithValue("$total_tokens", (object?)e.TotalTokens ?? DBNull.Value);
        insert.Parameters.AddWithValue("$request_json", e.RequestJson);
        insert.Parameters.AddWithValue("$response_json", (object?)e.ResponseJson ?? DBNull.Value);
        insert.Parameters.AddWithValue("$metadata_json", (object?)e.MetadataJson ?? DBNull.Value);
        insert.Parameters.AddWithValue("$tags", (object?)e.Tags ?? DBNull.Value);
        await insert.ExecuteNonQueryAsync().ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Writing a request log entry failed; the entry is skipped.")]
    private static partial void LogWriteFailed(ILogger logger, Exception exception);
}
