// Adds: PostgreSQL's schema for the logs API, datasets and the limits: indexes for newest-first
// pages per key, model, key and model, and status (the log's own received_at index orders the
// rest), the label tables behind the tag and criterion filters, the dataset tables, the
// migrations record, the token counts of calls that were not logged (for the per-key token
// limits), and a pg_trgm index over each row's request and response text for free-text
// search (ILIKE), made where the extension can be created. Label rows go in with one statement
// per batch; a page runs without parallel workers.

using System;
using System.Data.Common;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Npgsql;

namespace OpenPipe.Gateway.Storage;

/// <content>Schema and SQL for queries.</content>
public sealed partial class PostgresGatewayStore
{
    /// <summary>The text free-text search looks in: the request and the response, as one string (the trigram index is on it).</summary>
    private const string SearchText = "(request_json || ' ' || coalesce(response_json, ''))";

    private const string QuerySchema = """
        CREATE INDEX IF NOT EXISTS request_log_key_time ON request_log (key_id, received_at, id);
        CREATE INDEX IF NOT EXISTS request_log_model_time ON request_log (model, received_at, id);
        CREATE INDEX IF NOT EXISTS request_log_key_model_time ON request_log (key_id, model, received_at, id);
        CREATE INDEX IF NOT EXISTS request_log_status_time ON request_log (status, received_at, id);
        CREATE TABLE IF NOT EXISTS request_log_tags (
            log_id BIGINT NOT NULL,
            name   TEXT   NOT NULL,
            value  TEXT   NOT NULL,
            PRIMARY KEY (log_id, name)
        );
        CREATE INDEX IF NOT EXISTS request_log_tags_value ON request_log_tags (name, value, log_id);
        CREATE TABLE IF NOT EXISTS request_log_criteria (
            log_id    BIGINT NOT NULL,
            criterion TEXT   NOT NULL,
            PRIMARY KEY (log_id, criterion)
        );
        CREATE INDEX IF NOT EXISTS request_log_criteria_value ON request_log_criteria (criterion, log_id);
        CREATE TABLE IF NOT EXISTS datasets (
            id         TEXT        PRIMARY KEY,
            name       TEXT        NOT NULL,
            key_id     TEXT        NOT NULL,
            created_at TIMESTAMPTZ NOT NULL
        );
        CREATE INDEX IF NOT EXISTS datasets_key ON datasets (key_id, created_at);
        CREATE TABLE IF NOT EXISTS dataset_entries (
            id         BIGINT      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            dataset_id TEXT        NOT NULL,
            split      TEXT        NOT NULL,
            log_id     BIGINT,
            entry_json TEXT,
            created_at TIMESTAMPTZ NOT NULL
        );
        CREATE UNIQUE INDEX IF NOT EXISTS dataset_entries_log ON dataset_entries (dataset_id, log_id);
        CREATE INDEX IF NOT EXISTS dataset_entries_order ON dataset_entries (dataset_id, split, id);
        CREATE TABLE IF NOT EXISTS gateway_migrations (
            name       TEXT        PRIMARY KEY,
            applied_at TIMESTAMPTZ NOT NULL
        );
        CREATE TABLE IF NOT EXISTS unlogged_usage (
            entry_id     TEXT        PRIMARY KEY,
            key_id       TEXT        NOT NULL,
            received_at  TIMESTAMPTZ NOT NULL,
            total_tokens BIGINT      NOT NULL
        );
        CREATE INDEX IF NOT EXISTS unlogged_usage_key_time ON unlogged_usage (key_id, received_at);
        CREATE INDEX IF NOT EXISTS unlogged_usage_time ON unlogged_usage (received_at);
        """;

    private const string TextIndexSchema = $"""
        CREATE EXTENSION IF NOT EXISTS pg_trgm;
        CREATE INDEX IF NOT EXISTS request_log_text_trgm ON request_log USING gin ({SearchText} gin_trgm_ops);
        """;

    /// <summary>Whether free-text search gets its trigram index (<see cref="StorageOptions.TextIndex"/>); false drops it. Default true.</summary>
    public bool TextIndex { get; init; } = true;

    /// <summary>
    /// Why free-text search has no index (pg_trgm could not be created: it is not installed, or the
    /// user may not create extensions), or null when it has one. Search still works without it, by
    /// reading every row the other filters leave.
    /// </summary>
    public string? TextIndexProblem { get; private set; }

    /// <inheritdoc />
    protected override string TextMatchSql(string parameter) => $"{SearchText.Replace("request_json", "r.request_json", StringComparison.Ordinal).Replace("response_json", "r.response_json", StringComparison.Ordinal)} ILIKE {parameter} ESCAPE '\\'";

    /// <inheritdoc />
    private protected override string ExplainPrefix => "EXPLAIN (ANALYZE, BUFFERS) ";

    /// <summary>
    /// A page of 50 rows runs without parallel workers (SET LOCAL, so only for its own transaction):
    /// starting them cost more than the whole indexed page on the benchmark machine (15 to 40 ms of
    /// a 2 to 5 ms query), and a planner that counts on them picks a parallel scan over the index
    /// that gives the page's order directly.
    /// </summary>
    /// <inheritdoc />
    protected override async Task<DbTransaction?> BeginPageAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using var serial = new NpgsqlCommand("SET LOCAL max_parallel_workers_per_gather = 0", (NpgsqlConnection)connection, (NpgsqlTransaction)transaction);
        await serial.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        return transaction;
    }

    /// <inheritdoc />
    protected override string UtcDaySql(string column) => $"to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD')";

    /// <summary>Sends every label row of a batch in one statement per table (<c>unnest</c> of arrays).</summary>
    /// <inheritdoc />
    protected override async Task InsertLabelRowsAsync(DbConnection connection, DbTransaction? transaction, Labels labels, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(labels);
        if (labels.Tags.Count > 0)
        {
            await using var insert = new NpgsqlCommand(
                "INSERT INTO request_log_tags (log_id, name, value) SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[]) ON CONFLICT (log_id, name) DO NOTHING",
                (NpgsqlConnection)connection, (NpgsqlTransaction?)transaction);
            insert.Parameters.Add(new NpgsqlParameter { Value = labels.Tags.Select(t => t.LogId).ToArray() });
            insert.Parameters.Add(new NpgsqlParameter { Value = labels.Tags.Select(t => t.Name).ToArray() });
            insert.Parameters.Add(new NpgsqlParameter { Value = labels.Tags.Select(t => t.Value).ToArray() });
            await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        if (labels.Criteria.Count > 0)
        {
            await using var insert = new NpgsqlCommand(
                "INSERT INTO request_log_criteria (log_id, criterion) SELECT * FROM unnest($1::bigint[], $2::text[]) ON CONFLICT (log_id, criterion) DO NOTHING",
                (NpgsqlConnection)connection, (NpgsqlTransaction?)transaction);
            insert.Parameters.Add(new NpgsqlParameter { Value = labels.Criteria.Select(c => c.LogId).ToArray() });
            insert.Parameters.Add(new NpgsqlParameter { Value = labels.Criteria.Select(c => c.Criterion).ToArray() });
            await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Creates the query schema inside the schema transaction (under its lock), the trigram index
    /// where pg_trgm can be created (a savepoint keeps a refusal from aborting the rest), and fills
    /// the label tables of rows logged before them.
    /// </summary>
    private async Task InitializeQueriesAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        await using (var schema = new NpgsqlCommand(QuerySchema, connection, transaction))
        {
            await schema.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        if (!TextIndex)
        {
            await using var drop = new NpgsqlCommand("DROP INDEX IF EXISTS request_log_text_trgm", connection, transaction);
            await drop.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            TextIndexProblem = "Gateway:Storage:TextIndex is false; free-text search reads rows without an index.";
        }
        else
        {
            await CreateTextIndexAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
        }

        await BackfillLabelsAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Creates pg_trgm and the trigram index, under a savepoint: a refusal leaves the rest of the schema transaction intact.</summary>
    private async Task CreateTextIndexAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        await transaction.SaveAsync("text_index", cancellationToken).ConfigureAwait(false);
        try
        {
            await using var index = new NpgsqlCommand(TextIndexSchema, connection, transaction);
            await index.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            await transaction.ReleaseAsync("text_index", cancellationToken).ConfigureAwait(false);
            TextIndexProblem = null;
        }
        catch (PostgresException e)
        {
            await transaction.RollbackAsync("text_index", cancellationToken).ConfigureAwait(false);
            TextIndexProblem = $"pg_trgm could not be created ({e.SqlState}: {e.MessageText}); free-text search reads rows without an index.";
        }
    }
}
