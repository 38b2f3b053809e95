using System;
using System.Collections.Generic;
using System.Linq;
using System.Data.Common;
using System.Threading;
using System.Threading.Tasks;
using Npgsql;

namespace OpenPipe.Gateway.Storage;

/// <summary>
/// PostgreSQL, which several gateway instances can share (the log and the cache are the same rows
/// for all of them). The schema is created under an advisory lock so instances starting together do
/// not race; <c>received_at</c> is <c>timestamptz</c>; cache times are Unix milliseconds.
/// </summary>
public sealed partial class PostgresGatewayStore : RelationalGatewayStore, IAsyncDisposable, IDisposable
{
    // Any constant: the lock only orders schema creation between gateway instances.
    private const long SchemaLock = 0x4F50_4757;

    private const string Schema = """
        CREATE TABLE IF NOT EXISTS request_log (
            id                BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            received_at       TIMESTAMPTZ      NOT NULL,
            key_id            TEXT             NOT NULL,
            model             TEXT             NOT NULL,
            backend           TEXT             NOT NULL,
            stream            INTEGER          NOT NULL,
            status            INTEGER          NOT NULL,
            error             TEXT,
            latency_ms        DOUBLE PRECISION NOT NULL,
            prompt_tokens     BIGINT,
            completion_tokens BIGINT,
            total_tokens      BIGINT,
            request_json      TEXT             NOT NULL,
            response_json     TEXT,
            metadata_json     TEXT,
            tags              TEXT
        );
        ALTER TABLE request_log ADD COLUMN IF NOT EXISTS entry_id TEXT;
        ALTER TABLE request_log ADD COLUMN IF NOT EXISTS criteria TEXT;
        ALTER TABLE request_log ADD COLUMN IF NOT EXISTS cache_hit INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE request_log ADD COLUMN IF NOT EXISTS completion_id TEXT;
        CREATE INDEX IF NOT EXISTS request_log_received_at ON request_log (received_at);
        CREATE UNIQUE INDEX IF NOT EXISTS request_log_entry_id ON request_log (entry_id);
        CREATE INDEX IF NOT EXISTS request_log_completion_id ON request_log (completion_id);
        CREATE TABLE IF NOT EXISTS response_cache (
            cache_key       TEXT   PRIMARY KEY,
            completion_json TEXT   NOT NULL,
            created_at      BIGINT NOT NULL,
            expires_at      BIGINT NOT NULL
        );
        """;

    private readonly NpgsqlDataSource dataSource;

    /// <summary>Creates the store.</summary>
    /// <param name="connectionString">An Npgsql connection string.</param>
    public PostgresGatewayStore(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        Description = $"PostgreSQL at {builder.Host}:{builder.Port}, database '{builder.Database}'";
        dataSource = NpgsqlDataSource.Create(builder);
    }

    /// <summary>Where the database is, for messages (never the password).</summary>
    public string Description { get; }

    /// <inheritdoc />
    public override string Provider => StorageOptions.Postgres;

    /// <inheritdoc />
    public override async Task InitializeAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (var command = connection.CreateCommand())
        {
            command.Transaction = transaction;
            command.CommandText = $"SELECT pg_advisory_xact_lock({SchemaLock}); {Schema}";
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await InitializeQueriesAsync((NpgsqlConnection)connection, (NpgsqlTransaction)transaction, cancellationToken).ConfigureAwait(false);

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => dataSource.DisposeAsync();

    /// <inheritdoc />
    public void Dispose() => dataSource.Dispose();

    /// <inheritdoc />
    protected override async ValueTask<DbConnection> OpenAsync(CancellationToken cancellationToken) =>
        await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// Sends the whole batch as one statement with one array parameter per column
    /// (<c>INSERT ... SELECT * FROM unnest(...)</c>): one round trip and one plan per batch.
    /// </summary>
    /// <inheritdoc />
    protected override async Task InsertRowsAsync(DbConnection connection, DbTransaction transaction, IReadOnlyList<RequestLogEntry> entries, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entries);
        await using var insert = new NpgsqlCommand(UnnestInsert, (NpgsqlConnection)connection, (NpgsqlTransaction)transaction);
        insert.Parameters.Add(new NpgsqlParameter { Value = entries.Select(e => e.EntryId).ToArray() });
        insert.Parameters.Add(new NpgsqlParameter { Value = entries.Select(e => e.ReceivedAt.ToUniversalTime()).ToArray() });
        insert.Parameters.Add(new NpgsqlParameter { Value = entries.Select(e => e.KeyId).ToArray() });
        insert.Parameters.Add(new NpgsqlParameter { Value = entries.Select(e => e.Model).ToArray() });
        insert.Parameters.Add(new NpgsqlParameter { Value = entries.Select(e => e.Backend).ToArray() });
        insert.Parameters.Add(new NpgsqlParameter { Value = entries.Select(e => e.Stream ? 1 : 0).ToArray() });
        insert.Parameters.Add(new NpgsqlParameter { Value = entries.Select(e => e.Status).ToArray() });
        insert.Parameters.Add(new NpgsqlParameter { Value = entries.Select(e => e.Error).ToArray(), NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text });
        insert.Parameters.Add(new NpgsqlParameter { Value = entries.Select(e => e.LatencyMs).ToArray() });
        insert.Parameters.Add(new NpgsqlParameter { Value = entries.Select(e => e.PromptTokens).ToArray() });
        insert.Parameters.Add(new NpgsqlParameter { Value = entries.Select(e => e.CompletionTokens).ToArray() });
        insert.Parameters.Add(new NpgsqlParameter { Value = entries.Select(e => e.TotalTokens).ToArray() });
        insert.Parameters.Add(new NpgsqlParameter { Value = entries.Select(e => e.RequestJson).ToArray() });
        foreach (var column in new Func<RequestLogEntry, string?>[] { e => e.ResponseJson, e => e.MetadataJson, e => e.Tags, e => e.Criteria })
        {
            insert.Parameters.Add(new NpgsqlParameter { Value = entries.Select(column).ToArray(), NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text });
        }

        insert.Parameters.Add(new NpgsqlParameter { Value = entries.Select(e => e.CacheHit ? 1 : 0).ToArray() });
        insert.Parameters.Add(new NpgsqlParameter { Value = entries.Select(e => e.CompletionId).ToArray(), NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text });
        await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static readonly string UnnestInsert =
        $"INSERT INTO request_log ({string.Join(", ", LogColumns)}) SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::int[], $7::int[], $8::text[], $9::float8[], $10::bigint[], $11::bigint[], $12::bigint[], $13::text[], $14::text[], $15::text[], $16::text[], $17::text[], $18::int[], $19::text[]) ON CONFLICT (entry_id) DO NOTHING";

    /// <inheritdoc />
    protected override object ReceivedAtValue(DateTimeOffset receivedAt) => receivedAt.ToUniversalTime();
}
