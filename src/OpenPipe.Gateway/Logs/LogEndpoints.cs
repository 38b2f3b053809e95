using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using OpenPipe.Client;
using OpenPipe.Gateway.Access;
using OpenPipe.Server;

namespace OpenPipe.Gateway.Logs;

/// <summary>
/// <c>GET /logs</c>, <c>GET /logs/{id}</c>, <c>GET /logs/export</c> and
/// <c>GET /local-testing-only-get-latest-logged-call</c>, for API keys and admin keys.
/// </summary>
internal static class LogEndpoints
{
    private static readonly HashSet<string> ListParameters = [.. LogQueryParser.FilterNames, .. LogQueryParser.PageNames];
    private static readonly HashSet<string> ExportParameters = [.. LogQueryParser.FilterNames];

    public static void Map(RouteGroupBuilder api)
    {
        api.MapGet("/logs", ListAsync).RequireAuthorization(GatewayAuthorization.ViewerPolicy).WithName("OpenPipe.ListLogs");
        api.MapGet("/logs/export", Export).RequireAuthorization(GatewayAuthorization.ViewerPolicy).WithName("OpenPipe.ExportLogs");
        api.MapGet("/logs/{id:long}", GetAsync).RequireAuthorization(GatewayAuthorization.ViewerPolicy).WithName("OpenPipe.GetLog");
        api.MapGet("/local-testing-only-get-latest-logged-call", LatestAsync).RequireAuthorization(GatewayAuthorization.ViewerPolicy)
            .WithName("OpenPipe.LocalTestingOnlyGetLatestLoggedCall");
    }

    /// <summary>The error body as a result, with the status its code stands for (400 or 403).</summary>
    public static OpenPipeJsonResult Problem(ErrorResponse error) =>
        new(error, error.Code == OpenPipeErrors.CodeFor(StatusCodes.Status403Forbidden) ? StatusCodes.Status403Forbidden : StatusCodes.Status400BadRequest);

    private static async Task<IResult> ListAsync(HttpContext context, GatewayAccess access, LogQueryService logs)
    {
        var viewer = access.ViewerOf(context.User)!;
        if (!LogQueryParser.TryParse(context.Request.Query, ListParameters, out var query, out var error)
            || !LogQueryParser.TryParsePage(context.Request.Query, out int limit, out var cursor, out error)
            || !LogQueryService.TryScope(viewer, query, out query, out error))
        {
            return Problem(error);
        }

        return new OpenPipeJsonResult(await logs.ListAsync(viewer, query, limit, cursor, context.RequestAborted).ConfigureAwait(false));
    }

    private static async Task<IResult> GetAsync(HttpContext context, long id, GatewayAccess access, LogQueryService logs)
    {
        long number = id;
        var entry = await logs.GetAsync(access.ViewerOf(context.User)!, number, context.RequestAborted).ConfigureAwait(false);
        return entry is null
            ? new OpenPipeJsonResult(OpenPipeErrors.Create(StatusCodes.Status404NotFound, $"No logged call {number} for this key."), StatusCodes.Status404NotFound)
            : new OpenPipeJsonResult(entry);
    }

    private static IResult Export(HttpContext context, GatewayAccess access, LogQueryService logs)
    {
        var viewer = access.ViewerOf(context.User)!;
        if (!LogQueryParser.TryParse(context.Request.Query, ExportParameters, out var query, out var error)
            || !LogQueryService.TryScope(viewer, query, out query, out error))
        {
            return Problem(error);
        }

        return logs.Export(viewer, query);
    }

    private static async Task<IResult> LatestAsync(HttpContext context, GatewayAccess access, LogQueryService logs)
    {
        if (context.Request.Query.Count > 0)
        {
            string name = context.Request.Query.Keys.First();
            return Problem(LogQueryParser.Invalid(name, $"Unknown query parameter '{name}': this route takes none."));
        }

        var call = await logs.GetLatestAsync(access.ViewerOf(context.User)!, context.RequestAborted).ConfigureAwait(false);
        return call is null ? Results.Text("null", "application/json") : new OpenPipeJsonResult(call);
    }
}
