using System;
using System.Buffers;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using OpenPipe.Client;
using OpenPipe.Gateway.Access;
using OpenPipe.Gateway.Logs;
using OpenPipe.Gateway.Storage;

namespace OpenPipe.Gateway.Datasets;

/// <summary>
/// Datasets as a viewer sees them: a key owns the datasets it creates and sees only those (an admin
/// key sees all); entries are added as OpenPipe's API adds them, or from the log by its filters, and
/// exported as fine-tuning JSONL like the log.
/// </summary>
public sealed class DatasetService(IDatasetStore store, TimeProvider time)
{
    /// <summary>The longest dataset name.</summary>
    public const int MaxNameLength = 200;

    /// <summary>Creates an empty dataset owned by the viewer's key.</summary>
    /// <param name="viewer">The viewer.</param>
    /// <param name="name">The name (already checked).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The new dataset's id.</returns>
    public async Task<CreateDatasetResponse> CreateAsync(GatewayViewer viewer, string name, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(viewer);
        string id = Guid.NewGuid().ToString("D", CultureInfo.InvariantCulture);
        await store.CreateDatasetAsync(id, name, viewer.KeyId, time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        return new CreateDatasetResponse { DatasetId = id };
    }

    /// <summary>A dataset the viewer may see.</summary>
    /// <param name="viewer">The viewer.</param>
    /// <param name="id">The dataset's id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The dataset, or null when it does not exist or belongs to another key.</returns>
    public async Task<DatasetInfo?> FindAsync(GatewayViewer viewer, string id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(viewer);
        var dataset = await store.GetDatasetAsync(id, cancellationToken).ConfigureAwait(false);
        return dataset is not null && viewer.CanSee(dataset.KeyId) ? dataset : null;
    }

    /// <summary>The datasets the viewer may see, newest first.</summary>
    /// <param name="viewer">The viewer.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The datasets.</returns>
    public async Task<DatasetList> ListAsync(GatewayViewer viewer, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(viewer);
        var datasets = await store.ListDatasetsAsync(viewer.IsAdmin ? null : viewer.KeyId, cancellationToken).ConfigureAwait(false);
        return new DatasetList { Object = "list", Data = datasets.ToList() };
    }

    /// <summary>
    /// Adds the entries that make training examples, and reports the others by index (as OpenPipe
    /// does): each must hold messages that end with the assistant's answer, in roles and content the
    /// fine-tuning format takes (the export's own rules decide).
    /// </summary>
    /// <param name="dataset">The dataset (found with <see cref="FindAsync"/>).</param>
    /// <param name="entries">The entries.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>How many were added, and why the others were not.</returns>
    public async Task<CreateDatasetEntriesResponse> AddEntriesAsync(DatasetInfo dataset, IList<DatasetEntryInput> entries, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(entries);
        var accepted = new List<(DatasetSplit? Split, string EntryJson)>();
        var errors = new List<DatasetEntryError>();
        var scratch = new ArrayBufferWriter<byte>();
        for (int i = 0; i < entries.Count; i++)
        {
            var entry = entries[i];
            var split = entry.Split;
            entry.Split = null;
            string json = OpenPipeJson.Serialize(entry);
            scratch.ResetWrittenCount();
            if (FineTuningLine.TryWriteEntry(json, scratch, out string? problem))
            {
                accepted.Add((split, json));
            }
            else
            {
                errors.Add(new DatasetEntryError { Index = i, Message = problem ?? "the entry is not a training example" });
            }
        }

        int created = accepted.Count == 0 ? 0 : await store.AddDatasetEntriesAsync(dataset.Id, accepted, time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        return new CreateDatasetEntriesResponse { CreatedEntries = created, Errors = errors };
    }

    /// <summary>Adds the logged calls that match to the dataset.</summary>
    /// <param name="dataset">The dataset (found with <see cref="FindAsync"/>).</param>
    /// <param name="query">The filters, scoped with <see cref="LogQueryService.TryScope"/>.</param>
    /// <param name="split">The split of every added call, or null for one in five in TEST.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>What was added and skipped.</returns>
    public Task<AddLogsToDatasetResponse> AddLogsAsync(DatasetInfo dataset, LogQuery query, DatasetSplit? split, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        return store.AddLogsToDatasetAsync(dataset.Id, query, split, time.GetUtcNow(), cancellationToken);
    }

    /// <summary>The dataset's entries as fine-tuning JSONL, as a download.</summary>
    /// <param name="dataset">The dataset (found with <see cref="FindAsync"/>).</param>
    /// <param name="split">Only this split, or null for both.</param>
    /// <returns>The download.</returns>
    public JsonlExport Export(DatasetInfo dataset, DatasetSplit? split)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        string suffix = split is { } only ? "-" + only.ToString().ToLowerInvariant() : string.Empty;
        var totals = new ExportTotals();
        return new JsonlExport(store.ReadDatasetRowsAsync(dataset.Id, split, totals), totals, $"openpipe-dataset-{dataset.Id}{suffix}.jsonl");
    }
}
