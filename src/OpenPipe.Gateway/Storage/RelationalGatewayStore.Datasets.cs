// Adds: datasets (the datasets and dataset_entries tables). An entry is its own JSON (added through
// /unstable/dataset-entry/create) or a reference to a logged call (added by the log's filters), so
// adding a million calls copies no bodies; the export reads either the same way.

using System;
using System.Collections.Generic;
using System.Data;
using System.Data.Common;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using OpenPipe.Client;
using OpenPipe.Gateway.Logs;

namespace OpenPipe.Gateway.Storage;

/// <content>Datasets.</content>
public abstract partial class RelationalGatewayStore : IDatasetStore
{
    private const string DatasetColumns = """
        d.id, d.name, d.key_id, d.created_at,
        (SELECT COUNT(*) FROM dataset_entries e WHERE e.dataset_id = d.id AND e.split = 'TRAIN'),
        (SELECT COUNT(*) FROM dataset_entries e WHERE e.dataset_id = d.id AND e.split = 'TEST')
        """;

    /// <inheritdoc />
    public async Task CreateDatasetAsync(string id, string name, string keyId, DateTimeOffset createdAt, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var insert = connection.CreateCommand();
        insert.CommandText = "INSERT INTO datasets (id, name, key_id, created_at) VALUES (@id, @name, @key_id, @created_at)";
        Add(insert, "@id", id);
        Add(insert, "@name", name);
        Add(insert, "@key_id", keyId);
        Add(insert, "@created_at", ReceivedAtValue(createdAt));
        await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<DatasetInfo?> GetDatasetAsync(string id, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var select = connection.CreateCommand();
        select.CommandText = $"SELECT {DatasetColumns} FROM datasets d WHERE d.id = @id";
        Add(select, "@id", id);
        await using var reader = await select.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? ReadDataset(reader) : null;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<DatasetInfo>> ListDatasetsAsync(string? keyId, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var select = connection.CreateCommand();
        select.CommandText = $"SELECT {DatasetColumns} FROM datasets d"
            + (keyId is null ? string.Empty : " WHERE d.key_id = @key_id")
            + " ORDER BY d.created_at DESC, d.id DESC";
        if (keyId is not null)
        {
            Add(select, "@key_id", keyId);
        }

        var datasets = new List<DatasetInfo>();
        await using var reader = await select.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            datasets.Add(ReadDataset(reader));
        }

        return datasets;
    }

    /// <inheritdoc />
    public async Task<int> AddDatasetEntriesAsync(string datasetId, IReadOnlyList<(DatasetSplit? Split, string EntryJson)> entries, DateTimeOffset createdAt, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entries);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        long train = 0, total = 0;
        await using (var count = connection.CreateCommand())
        {
            count.Transaction = transaction;
            count.CommandText = "SELECT COALESCE(SUM(CASE WHEN split = 'TRAIN' THEN 1 ELSE 0 END), 0), COUNT(*) FROM dataset_entries WHERE dataset_id = @dataset_id";
            Add(count, "@dataset_id", datasetId);
            await using var reader = await count.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            if (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                train = Convert.ToInt64(reader.GetValue(0), CultureInfo.InvariantCulture);
                total = Convert.ToInt64(reader.GetValue(1), CultureInfo.InvariantCulture);
            }
        }

        await using var insert = connection.CreateCommand();
        insert.Transaction = transaction;
        insert.CommandText = "INSERT INTO dataset_entries (dataset_id, split, log_id, entry_json, created_at) VALUES (@dataset_id, @split, NULL, @entry_json, @created_at)";
        Add(insert, "@dataset_id", datasetId);
        Add(insert, "@split", null);
        Add(insert, "@entry_json", null);
        Add(insert, "@created_at", ReceivedAtValue(createdAt));
        foreach (var (split, json) in entries)
        {
            total++;
            // Without a split, keep four in five entries in TRAIN: TRAIN while train < 0.8 * total.
            var chosen = split ?? (train * 5 < total * 4 ? DatasetSplit.TRAIN : DatasetSplit.TEST);
            train += chosen == DatasetSplit.TRAIN ? 1 : 0;
            insert.Parameters[1].Value = SplitText(chosen);
            insert.Parameters[2].Value = json;
            await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return entries.Count;
    }

    /// <inheritdoc />
    public async Task<AddLogsToDatasetResponse> AddLogsToDatasetAsync(string datasetId, LogQuery query, DatasetSplit? split, DateTimeOffset createdAt, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        const string Usable = " AND r.status BETWEEN 200 AND 299 AND r.response_json IS NOT NULL";
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        long matched = 0, usable = 0;
        await using (var count = connection.CreateCommand())
        {
            count.Transaction = transaction;
            var sql = new StringBuilder("SELECT COUNT(*), COALESCE(SUM(CASE WHEN r.status BETWEEN 200 AND 299 AND r.response_json IS NOT NULL THEN 1 ELSE 0 END), 0) FROM request_log r WHERE 1 = 1");
            AppendFilters(sql, count, query);
            count.CommandText = sql.ToString();
            count.CommandTimeout = 0;
            await using var reader = await count.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            if (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                matched = Convert.ToInt64(reader.GetValue(0), CultureInfo.InvariantCulture);
                usable = Convert.ToInt64(reader.GetValue(1), CultureInfo.InvariantCulture);
            }
        }

        int added;
        await using (var insert = connection.CreateCommand())
        {
            insert.Transaction = transaction;
            var sql = new StringBuilder("INSERT INTO dataset_entries (dataset_id, split, log_id, entry_json, created_at) SELECT @dataset_id, ")
                .Append(split is { } fixedSplit ? $"'{SplitText(fixedSplit)}'" : "CASE WHEN r.id % 5 = 0 THEN 'TEST' ELSE 'TRAIN' END")
                .Append(", r.id, NULL, @created_at FROM request_log r WHERE 1 = 1");
            AppendFilters(sql, insert, query);
            sql.Append(Usable).Append(" ORDER BY r.received_at, r.id ON CONFLICT (dataset_id, log_id) DO NOTHING");
            Add(insert, "@dataset_id", datasetId);
            Add(insert, "@created_at", ReceivedAtValue(createdAt));
            insert.CommandText = sql.ToString();
            insert.CommandTimeout = 0;
            added = await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return new AddLogsToDatasetResponse { Matched = matched, Added = added, SkippedFailed = matched - usable, SkippedDuplicates = usable - added };
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<ExportRow> ReadDatasetRowsAsync(string datasetId, DatasetSplit? split, ExportTotals? totals = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var snapshot = await BeginSnapshotAsync(connection, cancellationToken).ConfigureAwait(false);
        string where = " FROM dataset_entries e LEFT JOIN request_log r ON r.id = e.log_id WHERE e.dataset_id = @dataset_id"
            + (split is null ? string.Empty : " AND e.split = @split");
        if (totals is not null)
        {
            await using var count = connection.CreateCommand();
            count.Transaction = snapshot;
            count.CommandText = """
                SELECT COUNT(*),
                COALESCE(SUM(CASE WHEN e.entry_json IS NULL AND (r.status IS NULL OR r.status NOT BETWEEN 200 AND 299) THEN 1 ELSE 0 END), 0),
                COALESCE(SUM(CASE WHEN e.entry_json IS NULL AND r.status BETWEEN 200 AND 299 AND r.response_json IS NULL THEN 1 ELSE 0 END), 0)
                """ + where;
            AddDatasetParameters(count, datasetId, split);
            count.CommandTimeout = 0;
            await ReadTotalsAsync(count, totals, cancellationToken).ConfigureAwait(false);
        }

        await using var select = connection.CreateCommand();
        select.Transaction = snapshot;
        select.CommandText = "SELECT e.entry_json, r.status, r.request_json, r.response_json" + where + " ORDER BY e.id";
        AddDatasetParameters(select, datasetId, split);
        select.CommandTimeout = 0;
        await using var reader = await select.ExecuteReaderAsync(CommandBehavior.SequentialAccess, cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            string? entry = reader.IsDBNull(0) ? null : reader.GetString(0);
            int status = reader.IsDBNull(1) ? 0 : reader.GetInt32(1);
            string? request = reader.IsDBNull(2) ? null : reader.GetString(2);
            string? response = reader.IsDBNull(3) ? null : reader.GetString(3);
            yield return entry is not null ? new ExportRow(200, null, null, entry) : new ExportRow(status, request, response, null);
        }
    }

    private static void AddDatasetParameters(DbCommand command, string datasetId, DatasetSplit? split)
    {
        Add(command, "@dataset_id", datasetId);
        if (split is { } only)
        {
            Add(command, "@split", SplitText(only));
        }
    }

    private static string SplitText(DatasetSplit split) => split == DatasetSplit.TEST ? "TEST" : "TRAIN";

    private static DatasetInfo ReadDataset(DbDataReader reader) => new()
    {
        Id = reader.GetString(0),
        Name = reader.GetString(1),
        KeyId = reader.GetString(2),
        CreatedAt = ReadTime(reader, 3),
        TrainEntries = Convert.ToInt64(reader.GetValue(4), CultureInfo.InvariantCulture),
        TestEntries = Convert.ToInt64(reader.GetValue(5), CultureInfo.InvariantCulture),
    };
}
