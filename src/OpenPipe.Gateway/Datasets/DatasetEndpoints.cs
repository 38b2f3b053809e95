using System;
using System.Collections.Generic;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using OpenPipe.Client;
using OpenPipe.Gateway.Access;
using OpenPipe.Gateway.Api;
using OpenPipe.Gateway.Logs;
using OpenPipe.Server;

namespace OpenPipe.Gateway.Datasets;

/// <summary>
/// OpenPipe's <c>POST /unstable/dataset/create</c> and <c>POST /unstable/dataset-entry/create</c>, and
/// the gateway's <c>GET /datasets</c>, <c>POST /datasets/{dataset_id}/entries/from-logs</c> and
/// <c>GET /datasets/{dataset_id}/export</c>, for API keys and admin keys.
/// </summary>
internal static class DatasetEndpoints
{
    /// <summary>OpenPipe's bounds on one <c>dataset-entry/create</c> call.</summary>
    private const int MaxEntries = 100;

    private static readonly HashSet<string> FromLogsParameters = [.. LogQueryParser.FilterNames, "split"];
    private static readonly HashSet<string> ExportParameters = ["split"];

    public static void Map(RouteGroupBuilder api)
    {
        api.MapPost("/unstable/dataset/create", CreateAsync).RequireAuthorization(GatewayAuthorization.ViewerPolicy).WithName("OpenPipe.UnstableDatasetCreate");
        api.MapPost("/unstable/dataset-entry/create", CreateEntriesAsync).RequireAuthorization(GatewayAuthorization.ViewerPolicy).WithName("OpenPipe.UnstableDatasetEntryCreate");
        api.MapGet("/datasets", ListAsync).RequireAuthorization(GatewayAuthorization.ViewerPolicy).WithName("OpenPipe.ListDatasets");
        api.MapPost("/datasets/{dataset_id}/entries/from-logs", AddLogsAsync).RequireAuthorization(GatewayAuthorization.ViewerPolicy).WithName("OpenPipe.AddLogsToDataset");
        api.MapGet("/datasets/{dataset_id}/export", ExportAsync).RequireAuthorization(GatewayAuthorization.ViewerPolicy).WithName("OpenPipe.ExportDataset");
    }

    private static async Task<IResult> CreateAsync(HttpContext context, GatewayAccess access, DatasetService datasets)
    {
        var read = await OpenPipeRequestBody.ReadAsync<CreateDatasetRequest>(context, context.RequestAborted).ConfigureAwait(false);
        if (!read.IsValid)
        {
            return read.Error;
        }

        var body = read.Value;

        string name = body.Name.Trim();
        if (name.Length is 0 or > DatasetService.MaxNameLength)
        {
            return ApiErrors.Error(StatusCodes.Status400BadRequest, $"name must be 1 to {DatasetService.MaxNameLength} characters.", ["name"]);
        }

        return new OpenPipeJsonResult(await datasets.CreateAsync(access.ViewerOf(context.User)!, name, context.RequestAborted).ConfigureAwait(false));
    }

    private static async Task<IResult> CreateEntriesAsync(HttpContext context, GatewayAccess access, DatasetService datasets)
    {
        var read = await OpenPipeRequestBody.ReadAsync<CreateDatasetEntriesRequest>(context, context.RequestAborted).ConfigureAwait(false);
        if (!read.IsValid)
        {
            return read.Error;
        }

        var body = read.Value;
        if (body.ArchiveId is { } archive && body.DatasetId is { } dataset && !string.Equals(archive, dataset, StringComparison.Ordinal))
        {
            return ApiErrors.Error(StatusCodes.Status400BadRequest, "archiveId and datasetId name different datasets; give one.", ["archiveId"]);
        }

        if ((body.ArchiveId ?? body.DatasetId) is not { Length: > 0 } id)
        {
            return ApiErrors.Error(StatusCodes.Status400BadRequest, "archiveId (or datasetId) is required: the id POST /unstable/dataset/create answered.", ["archiveId"]);
        }

        if (body.Entries.Count is 0 or > MaxEntries)
        {
            return ApiErrors.Error(StatusCodes.Status400BadRequest, $"entries must hold 1 to {MaxEntries} entries (it holds {body.Entries.Count}).", ["entries"]);
        }

        for (int i = 0; i < body.Entries.Count; i++)
        {
            if (body.Entries[i].Split is { IsKnown: false } split)
            {
                return ApiErrors.Error(StatusCodes.Status400BadRequest, $"split must be TRAIN or TEST, not '{split.Value}'.", ["entries", i, "split"]);
            }
        }

        if (await datasets.FindAsync(access.ViewerOf(context.User)!, id, context.RequestAborted).ConfigureAwait(false) is not { } found)
        {
            return NotFound(id);
        }

        return new OpenPipeJsonResult(await datasets.AddEntriesAsync(found, body.Entries, context.RequestAborted).ConfigureAwait(false));
    }

    private static async Task<IResult> ListAsync(HttpContext context, GatewayAccess access, DatasetService datasets) =>
        new OpenPipeJsonResult(await datasets.ListAsync(access.ViewerOf(context.User)!, context.RequestAborted).ConfigureAwait(false));

    private static async Task<IResult> AddLogsAsync(HttpContext context, string dataset_id, GatewayAccess access, DatasetService datasets)
    {
        var viewer = access.ViewerOf(context.User)!;
        if (!LogQueryParser.TryParse(context.Request.Query, FromLogsParameters, out var query, out var error)
            || !TrySplit(context.Request.Query, out var split, out error)
            || !LogQueryService.TryScope(viewer, query, out query, out error))
        {
            return LogEndpoints.Problem(error);
        }

        if (await datasets.FindAsync(viewer, dataset_id, context.RequestAborted).ConfigureAwait(false) is not { } dataset)
        {
            return NotFound(dataset_id);
        }

        return new OpenPipeJsonResult(await datasets.AddLogsAsync(dataset, query, split, context.RequestAborted).ConfigureAwait(false));
    }

    private static async Task<IResult> ExportAsync(HttpContext context, string dataset_id, GatewayAccess access, DatasetService datasets)
    {
        if (!LogQueryParser.TryParse(context.Request.Query, ExportParameters, out _, out var error) || !TrySplit(context.Request.Query, out var split, out error))
        {
            return LogEndpoints.Problem(error);
        }

        return await datasets.FindAsync(access.ViewerOf(context.User)!, dataset_id, context.RequestAborted).ConfigureAwait(false) is { } dataset
            ? datasets.Export(dataset, split)
            : NotFound(dataset_id);
    }

    /// <summary>Reads <c>split</c>: <c>TRAIN</c> or <c>TEST</c> (any case), or none.</summary>
    private static bool TrySplit(IQueryCollection query, out DatasetSplit? split, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out ErrorResponse? error)
    {
        split = null;
        error = null;
        if (!query.TryGetValue("split", out var value))
        {
            return true;
        }

        switch (value.ToString().ToUpperInvariant())
        {
            case "TRAIN":
                split = DatasetSplit.TRAIN;
                return true;
            case "TEST":
                split = DatasetSplit.TEST;
                return true;
            default:
                error = LogQueryParser.Invalid("split", $"split must be TRAIN or TEST, not '{value}'.");
                return false;
        }
    }

    /// <summary>404 for a dataset this viewer has no access to, or that does not exist (the same answer for both).</summary>
    internal static OpenPipeJsonResult NotFound(string id) =>
        new(OpenPipeErrors.Create(StatusCodes.Status404NotFound, $"No dataset '{id}' for this key."), StatusCodes.Status404NotFound);
}
