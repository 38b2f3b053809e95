using System.Collections.Generic;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using OpenPipe.Client;
using OpenPipe.Gateway.Access;
using OpenPipe.Gateway.Logs;
using OpenPipe.Server;

namespace OpenPipe.Gateway.UsageReports;

/// <summary><c>GET /usage?group_by=key|model|day</c>, for API keys (their own) and admin keys (every key's).</summary>
internal static class UsageEndpoints
{
    private static readonly HashSet<string> Parameters = ["group_by", "from", "to", "key_id"];

    public static void Map(RouteGroupBuilder api) =>
        api.MapGet("/usage", GetAsync).RequireAuthorization(GatewayAuthorization.ViewerPolicy).WithName("OpenPipe.GetUsage");

    private static async Task<IResult> GetAsync(HttpContext context, GatewayAccess access, UsageService usage)
    {
        var viewer = access.ViewerOf(context.User)!;
        if (!LogQueryParser.TryParse(context.Request.Query, Parameters, out var query, out var error)
            || !LogQueryService.TryScope(viewer, query, out query, out error))
        {
            return LogEndpoints.Problem(error);
        }

        UsageGroupBy? groupBy = context.Request.Query["group_by"].ToString() switch
        {
            "key" => UsageGroupBy.Key,
            "model" => UsageGroupBy.Model,
            "day" => UsageGroupBy.Day,
            _ => null,
        };
        if (groupBy is not { } by)
        {
            return LogEndpoints.Problem(LogQueryParser.Invalid("group_by", $"group_by is required: key, model or day (not '{context.Request.Query["group_by"]}')."));
        }

        return new OpenPipeJsonResult(await usage.GetAsync(viewer, by, query.KeyId, query.From, query.To, context.RequestAborted).ConfigureAwait(false));
    }
}
