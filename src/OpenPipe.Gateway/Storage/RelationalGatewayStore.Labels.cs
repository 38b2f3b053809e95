// Adds: the label tables the log's tag and criterion filters read (request_log_tags: one row per
// tag, its value as the text it compares by; request_log_criteria: one row per criterion id). They
// are written with each batch and kept in step by /logs/update-tags; rows logged before they
// existed get theirs once, by a migration at start.

using System;
using System.Collections.Generic;
using System.Data.Common;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using OpenPipe.Client;

namespace OpenPipe.Gateway.Storage;

/// <content>Tag and criterion rows.</content>
public abstract partial class RelationalGatewayStore
{
    /// <summary>The migration that fills the label tables for rows logged before them.</summary>
    protected const string LabelsMigration = "request_log_labels_v1";

    private const int BackfillChunk = 1000;

    /// <summary>
    /// Writes the tag and criterion rows of <paramref name="entries"/> (after their log rows, in the
    /// same transaction). A batch written again writes nothing twice.
    /// </summary>
    /// <param name="connection">The open connection.</param>
    /// <param name="transaction">The transaction.</param>
    /// <param name="entries">The entries just inserted.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when written.</returns>
    protected async Task InsertLabelsAsync(DbConnection connection, DbTransaction transaction, IReadOnlyList<RequestLogEntry> entries, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var labelled = entries.Where(e => e.Tags is not null || e.Criteria is not null).ToList();
        if (labelled.Count == 0)
        {
            return;
        }

        // The ids of the rows (they may have been written by an earlier attempt of this batch).
        var ids = new Dictionary<string, long>(StringComparer.Ordinal);
        await using (var select = connection.CreateCommand())
        {
            select.Transaction = transaction;
            var sql = new StringBuilder("SELECT entry_id, id FROM request_log WHERE entry_id IN (");
            for (int i = 0; i < labelled.Count; i++)
            {
                sql.Append(i == 0 ? "@e" : ", @e").Append(i);
                Add(select, "@e" + i, labelled[i].EntryId);
            }

            select.CommandText = sql.Append(')').ToString();
            await using var reader = await select.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                ids[reader.GetString(0)] = reader.GetInt64(1);
            }
        }

        var labels = new Labels();
        foreach (var entry in labelled)
        {
            if (ids.TryGetValue(entry.EntryId, out long id))
            {
                labels.Add(id, entry.Tags, entry.Criteria);
            }
        }

        await InsertLabelRowsAsync(connection, transaction, labels, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Inserts label rows, skipping any that exist. This default runs one prepared single-row insert
    /// per label, the fastest way into an embedded engine; a server engine sends them in one round trip.
    /// </summary>
    /// <param name="connection">The open connection.</param>
    /// <param name="transaction">The transaction.</param>
    /// <param name="labels">The rows.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when written.</returns>
    protected virtual async Task InsertLabelRowsAsync(DbConnection connection, DbTransaction? transaction, Labels labels, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(labels);
        if (labels.Tags.Count > 0)
        {
            await using var insert = connection.CreateCommand();
            insert.Transaction = transaction;
            insert.CommandText = "INSERT INTO request_log_tags (log_id, name, value) VALUES (@log_id, @name, @value) ON CONFLICT (log_id, name) DO NOTHING";
            Add(insert, "@log_id", null);
            Add(insert, "@name", null);
            Add(insert, "@value", null);
            await insert.PrepareAsync(cancellationToken).ConfigureAwait(false);
            foreach (var (logId, name, value) in labels.Tags)
            {
                insert.Parameters[0].Value = logId;
                insert.Parameters[1].Value = name;
                insert.Parameters[2].Value = value;
                await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        if (labels.Criteria.Count > 0)
        {
            await using var insert = connection.CreateCommand();
            insert.Transaction = transaction;
            insert.CommandText = "INSERT INTO request_log_criteria (log_id, criterion) VALUES (@log_id, @criterion) ON CONFLICT (log_id, criterion) DO NOTHING";
            Add(insert, "@log_id", null);
            Add(insert, "@criterion", null);
            await insert.PrepareAsync(cancellationToken).ConfigureAwait(false);
            foreach (var (logId, criterion) in labels.Criteria)
            {
                insert.Parameters[0].Value = logId;
                insert.Parameters[1].Value = criterion;
                await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Replaces one row's tag rows with <paramref name="tags"/> (after <c>/logs/update-tags</c> changed them).</summary>
    /// <param name="connection">The open connection.</param>
    /// <param name="transaction">The transaction.</param>
    /// <param name="logId">The row.</param>
    /// <param name="tags">Its tags now.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when written.</returns>
    protected async Task ReplaceTagRowsAsync(DbConnection connection, DbTransaction transaction, long logId, IReadOnlyDictionary<string, TagValue> tags, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(tags);
        await using (var delete = connection.CreateCommand())
        {
            delete.Transaction = transaction;
            delete.CommandText = "DELETE FROM request_log_tags WHERE log_id = @log_id";
            Add(delete, "@log_id", logId);
            await delete.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        var labels = new Labels();
        labels.AddTags(logId, tags);
        await InsertLabelRowsAsync(connection, transaction, labels, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Fills the label tables from the rows' <c>tags</c> and <c>criteria</c> columns, once per
    /// database (recorded in <c>gateway_migrations</c>), a chunk of rows at a time.
    /// </summary>
    /// <param name="connection">The open connection, inside the schema's transaction.</param>
    /// <param name="transaction">The schema's transaction.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when done.</returns>
    protected async Task BackfillLabelsAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        await using (var applied = connection.CreateCommand())
        {
            applied.Transaction = transaction;
            applied.CommandText = "SELECT COUNT(*) FROM gateway_migrations WHERE name = @name";
            Add(applied, "@name", LabelsMigration);
            if (Convert.ToInt64(await applied.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture) > 0)
            {
                return;
            }
        }

        long last = 0;
        while (true)
        {
            var labels = new Labels();
            int read = 0;
            await using (var select = connection.CreateCommand())
            {
                select.Transaction = transaction;
                select.CommandText = $"SELECT id, tags, criteria FROM request_log WHERE id > @last AND (tags IS NOT NULL OR criteria IS NOT NULL) ORDER BY id LIMIT {BackfillChunk}";
                Add(select, "@last", last);
                await using var reader = await select.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    last = reader.GetInt64(0);
                    read++;
                    labels.Add(last, reader.IsDBNull(1) ? null : reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2));
                }
            }

            await InsertLabelRowsAsync(connection, transaction, labels, cancellationToken).ConfigureAwait(false);
            if (read < BackfillChunk)
            {
                break;
            }
        }

        await using var mark = connection.CreateCommand();
        mark.Transaction = transaction;
        mark.CommandText = "INSERT INTO gateway_migrations (name, applied_at) VALUES (@name, @at)";
        Add(mark, "@name", LabelsMigration);
        Add(mark, "@at", ReceivedAtValue(DateTimeOffset.UtcNow));
        await mark.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The criterion ids in a <c>criteria</c> column (a JSON array of strings).</summary>
    /// <param name="json">The column.</param>
    /// <returns>The ids; empty when the column is not such an array.</returns>
    protected static List<string> CriteriaOf(string json)
    {
        try
        {
            return System.Text.Json.JsonSerializer.Deserialize<List<string?>>(json)?.Where(c => c is not null).Select(c => c!).ToList() ?? [];
        }
        catch (System.Text.Json.JsonException)
        {
            return [];
        }
    }

    /// <summary>Label rows to insert: tags (their values as the text they compare by) and criterion ids, by log row id.</summary>
    protected sealed class Labels
    {
        /// <summary>The tag rows.</summary>
        public List<(long LogId, string Name, string Value)> Tags { get; } = [];

        /// <summary>The criterion rows.</summary>
        public List<(long LogId, string Criterion)> Criteria { get; } = [];

        /// <summary>Adds the labels of a row from its <c>tags</c> and <c>criteria</c> columns.</summary>
        /// <param name="logId">The row's id.</param>
        /// <param name="tagsJson">The tags column.</param>
        /// <param name="criteriaJson">The criteria column.</param>
        public void Add(long logId, string? tagsJson, string? criteriaJson)
        {
            if (tagsJson is not null && OpenPipeTags.TryParse(tagsJson, out var tags, out _))
            {
                AddTags(logId, tags);
            }

            if (criteriaJson is not null)
            {
                foreach (string criterion in CriteriaOf(criteriaJson).Distinct(StringComparer.Ordinal))
                {
                    Criteria.Add((logId, criterion));
                }
            }
        }

        /// <summary>Adds a row's tags (a null tag is no tag).</summary>
        /// <param name="logId">The row's id.</param>
        /// <param name="tags">The tags.</param>
        public void AddTags(long logId, IReadOnlyDictionary<string, TagValue> tags)
        {
            ArgumentNullException.ThrowIfNull(tags);
            foreach (var (name, value) in tags)
            {
                if (!value.IsNull)
                {
                    Tags.Add((logId, name, LogFilter.TextOf(value)));
                }
            }
        }
    }
}
