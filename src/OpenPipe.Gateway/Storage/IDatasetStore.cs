using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using OpenPipe.Client;
using OpenPipe.Gateway.Logs;

namespace OpenPipe.Gateway.Storage;

/// <summary>Datasets: named sets of training entries, each its own JSON or a reference to a logged call.</summary>
public interface IDatasetStore
{
    /// <summary>Creates an empty dataset.</summary>
    /// <param name="id">Its id.</param>
    /// <param name="name">Its name.</param>
    /// <param name="keyId">The id of the key that owns it.</param>
    /// <param name="createdAt">When it was created.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when stored.</returns>
    Task CreateDatasetAsync(string id, string name, string keyId, DateTimeOffset createdAt, CancellationToken cancellationToken = default);

    /// <summary>A dataset with its entry counts.</summary>
    /// <param name="id">Its id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The dataset, or null.</returns>
    Task<DatasetInfo?> GetDatasetAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>Datasets with their entry counts, newest first.</summary>
    /// <param name="keyId">Only datasets of this key id; null for all.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The datasets.</returns>
    Task<IReadOnlyList<DatasetInfo>> ListDatasetsAsync(string? keyId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Adds entries in one transaction. An entry without a split goes to TRAIN while fewer than four
    /// in five of the dataset's entries are in TRAIN, else to TEST.
    /// </summary>
    /// <param name="datasetId">The dataset.</param>
    /// <param name="entries">Each entry's split (or null) and JSON.</param>
    /// <param name="createdAt">When they were added.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>How many were added.</returns>
    Task<int> AddDatasetEntriesAsync(string datasetId, IReadOnlyList<(DatasetSplit? Split, string EntryJson)> entries, DateTimeOffset createdAt, CancellationToken cancellationToken = default);

    /// <summary>
    /// Adds every logged call that matches <paramref name="query"/> and succeeded with a response, as a
    /// reference to the call, once (a call already in the dataset is skipped).
    /// </summary>
    /// <param name="datasetId">The dataset.</param>
    /// <param name="query">The filters, its key id already narrowed to the viewer's.</param>
    /// <param name="split">The split of every added call; null puts one call in five (by id) in TEST.</param>
    /// <param name="createdAt">When they were added.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>How many matched, were added, and were skipped and why.</returns>
    Task<AddLogsToDatasetResponse> AddLogsToDatasetAsync(string datasetId, LogQuery query, DatasetSplit? split, DateTimeOffset createdAt, CancellationToken cancellationToken = default);

    /// <summary>The dataset's entries in the order they were added, read one row at a time; with <paramref name="totals"/>, counted first in the same snapshot.</summary>
    /// <param name="datasetId">The dataset.</param>
    /// <param name="split">Only this split; null for both.</param>
    /// <param name="totals">Gets the counts, or null to skip counting.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The rows.</returns>
    IAsyncEnumerable<ExportRow> ReadDatasetRowsAsync(string datasetId, DatasetSplit? split, ExportTotals? totals = null, CancellationToken cancellationToken = default);
}
