using System;
using System.Collections.Generic;
using System.IO;
using System.Security.Cryptography;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Net.Http.Headers;
using OpenPipe.Gateway.Datasets;
using OpenPipe.Gateway.Logs;
using OpenPipe.Server;

namespace OpenPipe.Gateway.LogsPage;

/// <summary>
/// The page's routes that answer with something other than a page: the fine-tuning JSONL of the current
/// filter (<c>GET /logs/export</c>, the same download as <c>GET /api/v1/logs/export</c>), a dataset's
/// JSONL (<c>GET /logs/datasets/{id}/export</c>), and the page's style sheet.
/// </summary>
internal static class LogsPageEndpoints
{
    /// <summary>The style sheet's path.</summary>
    public const string StyleSheetPath = LogsPageDefaults.BasePath + "/assets/logs.css";

    private static readonly HashSet<string> ExportParameters = [.. LogQueryParser.FilterNames];
    private static readonly Lazy<StyleSheet> Style = new(StyleSheet.Load);

    public static void Map(IEndpointRouteBuilder app)
    {
        var page = app.MapGroup(LogsPageDefaults.BasePath);
        page.MapGet("/export", Export).RequireAuthorization(LogsPageDefaults.Policy);
        page.MapGet("/datasets/{dataset_id}/export", ExportDatasetAsync).RequireAuthorization(LogsPageDefaults.Policy);
        page.MapGet("/assets/logs.css", () => Results.Bytes(Style.Value.Bytes, "text/css; charset=utf-8", entityTag: Style.Value.Tag)).AllowAnonymous();
    }

    private static IResult Export(HttpContext context, LogsPageSessions sessions, LogQueryService logs)
    {
        var viewer = sessions.ViewerOf(context.User)!;
        if (!LogQueryParser.TryParse(LogsPageQuery.Clean(context.Request.Query), ExportParameters, out var query, out var error)
            || !LogQueryService.TryScope(viewer, query, out query, out error))
        {
            return LogEndpoints.Problem(error);
        }

        return logs.Export(viewer, query);
    }

    private static async Task<IResult> ExportDatasetAsync(HttpContext context, string dataset_id, LogsPageSessions sessions, DatasetService datasets)
    {
        var dataset = await datasets.FindAsync(sessions.ViewerOf(context.User)!, dataset_id, context.RequestAborted).ConfigureAwait(false);
        return dataset is null
            ? DatasetEndpoints.NotFound(dataset_id)
            : datasets.Export(dataset, split: null);
    }

    /// <summary>The style sheet, embedded in the gateway's assembly, with an entity tag of its content.</summary>
    private sealed record StyleSheet(byte[] Bytes, EntityTagHeaderValue Tag)
    {
        public static StyleSheet Load()
        {
            using var stream = typeof(LogsPageEndpoints).Assembly.GetManifestResourceStream("OpenPipe.Gateway.LogsPage.Assets.logs.css")
                ?? throw new InvalidOperationException("The request log page's style sheet is not embedded in the gateway's assembly.");
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            byte[] bytes = copy.ToArray();
            return new StyleSheet(bytes, new EntityTagHeaderValue("\"" + Convert.ToHexStringLower(SHA256.HashData(bytes))[..16] + "\""));
        }
    }
}
