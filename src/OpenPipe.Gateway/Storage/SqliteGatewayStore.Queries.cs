// Adds: SQLite's schema for the logs API, datasets and the limits: indexes for newest-first pages
// per key, model, key and model, and status (the log's own received_at index orders the rest), the
// label tables behind the tag and criterion filters, the dataset tables, the migrations record, and
// the token counts of calls that were not logged (for the per-key token limits).
// Text search is LIKE over the JSON (no index). An export reads in a deferred transaction.

using System.Data.Common;
using Microsoft.Data.Sqlite;
using System.Threading;
using System.Threading.Tasks;

namespace OpenPipe.Gateway.Storage;

/// <content>Schema for queries.</content>
public sealed partial class SqliteGatewayStore
{
    private const string QuerySchema = """
        CREATE INDEX IF NOT EXISTS request_log_key_time ON request_log (key_id, received_at, id);
        CREATE INDEX IF NOT EXISTS request_log_model_time ON request_log (model, received_at, id);
        CREATE INDEX IF NOT EXISTS request_log_key_model_time ON request_log (key_id, model, received_at, id);
        CREATE INDEX IF NOT EXISTS request_log_status_time ON request_log (status, received_at, id);
        CREATE TABLE IF NOT EXISTS request_log_tags (
            log_id INTEGER NOT NULL,
            name   TEXT    NOT NULL,
            value  TEXT    NOT NULL,
            PRIMARY KEY (log_id, name)
        );
        CREATE INDEX IF NOT EXISTS request_log_tags_value ON request_log_tags (name, value, log_id);
        CREATE TABLE IF NOT EXISTS request_log_criteria (
            log_id    INTEGER NOT NULL,
            criterion TEXT    NOT NULL,
            PRIMARY KEY (log_id, criterion)
        );
        CREATE INDEX IF NOT EXISTS request_log_criteria_value ON request_log_criteria (criterion, log_id);
        CREATE TABLE IF NOT EXISTS datasets (
            id         TEXT PRIMARY KEY,
            name       TEXT NOT NULL,
            key_id     TEXT NOT NULL,
            created_at TEXT NOT NULL
        );
        CREATE INDEX IF NOT EXISTS datasets_key ON datasets (key_id, created_at);
        CREATE TABLE IF NOT EXISTS dataset_entries (
            id         INTEGER PRIMARY KEY AUTOINCREMENT,
            dataset_id TEXT    NOT NULL,
            split      TEXT    NOT NULL,
            log_id     INTEGER,
            entry_json TEXT,
            created_at TEXT    NOT NULL
        );
        CREATE UNIQUE INDEX IF NOT EXISTS dataset_entries_log ON dataset_entries (dataset_id, log_id);
        CREATE INDEX IF NOT EXISTS dataset_entries_order ON dataset_entries (dataset_id, split, id);
        CREATE TABLE IF NOT EXISTS gateway_migrations (
            name       TEXT PRIMARY KEY,
            applied_at TEXT NOT NULL
        );
        CREATE TABLE IF NOT EXISTS unlogged_usage (
            entry_id     TEXT    PRIMARY KEY,
            key_id       TEXT    NOT NULL,
            received_at  TEXT    NOT NULL,
            total_tokens INTEGER NOT NULL
        );
        CREATE INDEX IF NOT EXISTS unlogged_usage_key_time ON unlogged_usage (key_id, received_at);
        CREATE INDEX IF NOT EXISTS unlogged_usage_time ON unlogged_usage (received_at);
        """;

    /// <summary>
    /// A deferred transaction: its first read fixes the snapshot (WAL) and it takes no lock that
    /// would keep the log writer out, where SQLite's default (immediate) transaction would, for as
    /// long as an export streams.
    /// </summary>
    /// <inheritdoc />
    protected override Task<DbTransaction> BeginSnapshotAsync(DbConnection connection, CancellationToken cancellationToken) =>
        Task.FromResult<DbTransaction>(((SqliteConnection)connection).BeginTransaction(deferred: true)); // BEGIN DEFERRED does no I/O: nothing to await


    /// <summary>Creates the query schema and fills the label tables of rows logged before them.</summary>
    private async Task InitializeQueriesAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        await ExecuteAsync(connection, QuerySchema, cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await BackfillLabelsAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }
}
