using System;
using System.Globalization;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using OpenPipe.Client;
using OpenPipe.Gateway.Datasets;
using OpenPipe.Gateway.Logs;
using OpenPipe.Server;

namespace OpenPipe.Gateway.LogsPage;

/// <summary>
/// <c>/logs/dataset?...filters...</c>: adds the calls the list's filters select to a dataset (an existing
/// one or a new one), as <c>POST /api/v1/datasets/{id}/entries/from-logs</c> does, and lists the
/// viewer's datasets with their downloads. The filters stay in the query string; the form posts the
/// dataset, the split and the antiforgery token.
/// </summary>
/// <param name="datasets">Datasets as a viewer sees them.</param>
public sealed class DatasetModel(DatasetService datasets) : LogsPageModel
{
    /// <summary>The filters.</summary>
    public FilterForm Form { get; private set; } = null!;

    /// <summary>The viewer's datasets, newest first.</summary>
    public DatasetList Datasets { get; private set; } = new();

    /// <summary>What is wrong with the filters or the form, or null.</summary>
    public string? Problem { get; private set; }

    /// <summary>What the last add did, or null.</summary>
    public AddLogsToDatasetResponse? Added { get; private set; }

    /// <summary>The dataset added to, or null.</summary>
    public DatasetInfo? Target { get; private set; }

    /// <summary>The split asked for (empty for the automatic one).</summary>
    public string Split { get; private set; } = string.Empty;

    /// <summary>Where the form posts: this page with the same filters.</summary>
    public string FormAction => LogsPageQuery.Link(LogsPageDefaults.BasePath + "/dataset", Form.Query, LogQueryParser.FilterNames);

    /// <summary>The list with the same filters.</summary>
    public string ListLink => LogsPageQuery.Link(LogsPageDefaults.BasePath, Form.Query, LogQueryParser.FilterNames);

    /// <summary>A dataset's download.</summary>
    /// <param name="id">The dataset's id.</param>
    /// <returns>The link.</returns>
    public static string ExportLink(string id) => LogsPageDefaults.BasePath + "/datasets/" + Uri.EscapeDataString(id) + "/export";

    /// <summary>Shows the form.</summary>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <returns>The page (400 or 403 with a message for filters that cannot be used).</returns>
    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken)
    {
        if (!ReadFilters(out _, out var error))
        {
            return await RefuseAsync(error, cancellationToken).ConfigureAwait(false);
        }

        Datasets = await datasets.ListAsync(Viewer, cancellationToken).ConfigureAwait(false);
        return Page();
    }

    /// <summary>Adds the filtered calls to the chosen or a new dataset.</summary>
    /// <param name="cancellationToken">Cancels the work.</param>
    /// <returns>The page with what was added, or with a message (400, 403 or 404).</returns>
    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        if (!ReadFilters(out var query, out var error))
        {
            return await RefuseAsync(error, cancellationToken).ConfigureAwait(false);
        }

        var form = Request.Form;
        string datasetId = form["dataset_id"].ToString().Trim();
        string name = form["new_dataset_name"].ToString().Trim();
        Split = form["split"].ToString();
        DatasetSplit? split = null;
        switch (Split)
        {
            case "":
                break;
            case "TRAIN":
                split = DatasetSplit.TRAIN;
                break;
            case "TEST":
                split = DatasetSplit.TEST;
                break;
            default:
                return await RefuseAsync(LogQueryParser.Invalid("split", $"split must be TRAIN or TEST, not '{Split}'."), cancellationToken).ConfigureAwait(false);
        }

        if ((datasetId.Length == 0) == (name.Length == 0))
        {
            return await RefuseAsync(LogQueryParser.Invalid("dataset_id", "Choose a dataset, or name a new one (not both)."), cancellationToken).ConfigureAwait(false);
        }

        if (name.Length > DatasetService.MaxNameLength)
        {
            return await RefuseAsync(LogQueryParser.Invalid("new_dataset_name", string.Create(CultureInfo.InvariantCulture, $"A dataset's name is at most {DatasetService.MaxNameLength} characters.")), cancellationToken).ConfigureAwait(false);
        }

        if (name.Length > 0)
        {
            datasetId = (await datasets.CreateAsync(Viewer, name, cancellationToken).ConfigureAwait(false)).DatasetId;
        }

        if (await datasets.FindAsync(Viewer, datasetId, cancellationToken).ConfigureAwait(false) is not { } dataset)
        {
            Response.StatusCode = StatusCodes.Status404NotFound;
            Problem = "There is no such dataset for this key.";
            Datasets = await datasets.ListAsync(Viewer, cancellationToken).ConfigureAwait(false);
            return Page();
        }

        Added = await datasets.AddLogsAsync(dataset, query, split, cancellationToken).ConfigureAwait(false);
        Target = await datasets.FindAsync(Viewer, dataset.Id, cancellationToken).ConfigureAwait(false) ?? dataset;
        Datasets = await datasets.ListAsync(Viewer, cancellationToken).ConfigureAwait(false);
        return Page();
    }

    private bool ReadFilters(out LogQuery query, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out ErrorResponse? error)
    {
        ViewData["Section"] = "datasets";
        Form = FilterForm.Read(Request.Query);
        return LogQueryParser.TryParse(Form.Query, LogQueryParser.FilterNames, out query, out error)
            && LogQueryService.TryScope(Viewer, query, out query, out error);
    }

    private async Task<PageResult> RefuseAsync(ErrorResponse error, CancellationToken cancellationToken)
    {
        Problem = error.Message;
        Response.StatusCode = error.Code == OpenPipeErrors.CodeFor(StatusCodes.Status403Forbidden) ? StatusCodes.Status403Forbidden : StatusCodes.Status400BadRequest;
        Datasets = await datasets.ListAsync(Viewer, cancellationToken).ConfigureAwait(false);
        return Page();
    }
}
