using System;
using System.Collections.Generic;
using System.Data.Common;
using System.Globalization;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Data.Sqlite;

namespace OpenPipe.Gateway.Storage;

/// <summary>
/// The embedded engine: one SQLite file (WAL journal), by default <c>openpipe-gateway.db</c> in the
/// gateway's data folder (<see cref="GatewayDataFolder"/>). <c>received_at</c> is ISO-8601 text; cache times are Unix milliseconds.
/// </summary>
public sealed partial class SqliteGatewayStore : RelationalGatewayStore
{
    private const string Schema = """
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
        CREATE TABLE IF NOT EXISTS response_cache (
            cache_key       TEXT    PRIMARY KEY,
            completion_json TEXT    NOT NULL,
            created_at      INTEGER NOT NULL,
            expires_at      INTEGER NOT NULL
        );
        """;

    // Columns added after the first release: added to an older file at start.
    private static readonly (string Name, string Type)[] AddedColumns =
        [("entry_id", "TEXT"), ("criteria", "TEXT"), ("cache_hit", "INTEGER NOT NULL DEFAULT 0"), ("completion_id", "TEXT")];

    private readonly string connectionString;

    /// <summary>Creates the store.</summary>
    /// <param name="connectionString">A SQLite connection string; a relative <c>Data Source</c> is resolved against <paramref name="contentRoot"/>.</param>
    /// <param name="contentRoot">The gateway's content root.</param>
    public SqliteGatewayStore(string connectionString, string contentRoot)
    {
        var builder = new SqliteConnectionStringBuilder(connectionString);
        if (!string.IsNullOrEmpty(builder.DataSource) && builder.DataSource != ":memory:")
        {
            builder.DataSource = System.IO.Path.GetFullPath(builder.DataSource, contentRoot);
        }

        if (builder.Mode == SqliteOpenMode.ReadWrite)
        {
            builder.Mode = SqliteOpenMode.ReadWriteCreate;
        }

        DatabasePath = builder.DataSource;
        this.connectionString = builder.ToString();
    }

    /// <summary>The database file's full path.</summary>
    public string DatabasePath { get; }

    /// <inheritdoc />
    public override string Provider => StorageOptions.Sqlite;

    /// <inheritdoc />
    public override async Task InitializeAsync(CancellationToken cancellationToken = default)
    {
        string? folder = System.IO.Path.GetDirectoryName(DatabasePath);
        if (!string.IsNullOrEmpty(folder))
        {
            System.IO.Directory.CreateDirectory(folder);
        }

        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(connection, "PRAGMA journal_mode=WAL;", cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(connection, Schema, cancellationToken).ConfigureAwait(false);
        var existing = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        await using (var info = connection.CreateCommand())
        {
            info.CommandText = "SELECT name FROM pragma_table_info('request_log')";
            await using var reader = await info.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                existing.Add(reader.GetString(0));
            }
        }

        foreach (var (name, type) in AddedColumns)
        {
            if (!existing.Contains(name))
            {
                await ExecuteAsync(connection, $"ALTER TABLE request_log ADD COLUMN {name} {type};", cancellationToken).ConfigureAwait(false);
            }
        }

        await ExecuteAsync(connection, """
            CREATE UNIQUE INDEX IF NOT EXISTS request_log_entry_id ON request_log (entry_id);
            CREATE INDEX IF NOT EXISTS request_log_completion_id ON request_log (completion_id);
            """, cancellationToken).ConfigureAwait(false);
        await InitializeQueriesAsync(connection, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    protected override async ValueTask<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(connectionString) { DefaultTimeout = 30 };
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <inheritdoc />
    protected override object ReceivedAtValue(DateTimeOffset receivedAt) => receivedAt.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);
}
