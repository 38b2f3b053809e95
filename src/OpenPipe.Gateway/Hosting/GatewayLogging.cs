// Adds: how the gateway logs requests with a missing or rejected key. ASP.NET Core's authentication
// handler logs each one at Information ("AuthenticationScheme: OpenPipeBearer was challenged."), so
// a burst of bad keys would fill the console; the request log and the metrics already count them.
// The gateway lowers that category to Warning by default, a rule that configuration
// (Logging:LogLevel:OpenPipe.Server.OpenPipeBearerHandler) overrides, and writes one line per
// rejection at Debug in its own category instead. Apps that use the server kit are not affected.

using System.Threading.Tasks;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenPipe.Server;

namespace OpenPipe.Gateway.Hosting;

/// <summary>The gateway's logging of rejected keys.</summary>
internal static class GatewayLogging
{
    /// <summary>The authentication handler's log category.</summary>
    public static readonly string BearerHandlerCategory = typeof(OpenPipeBearerHandler).FullName!;

    public static IServiceCollection AddGatewayLogging(this IServiceCollection services)
    {
        // First in the list: a configured rule for the same category comes later, and the later of two equal rules wins.
        services.Configure<LoggerFilterOptions>(o => o.Rules.Insert(0, new LoggerFilterRule(null, BearerHandlerCategory, LogLevel.Warning, null)));
        services.AddSingleton<IAuthorizationMiddlewareResultHandler, RejectedKeyLogger>();
        return services;
    }
}

/// <summary>Writes one Debug line for each request the bearer scheme challenges, then answers as the framework does.</summary>
internal sealed partial class RejectedKeyLogger(ILogger<RejectedKeyLogger> logger) : IAuthorizationMiddlewareResultHandler
{
    private readonly AuthorizationMiddlewareResultHandler inner = new();

    public async Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        if (authorizeResult.Challenged && logger.IsEnabled(LogLevel.Debug))
        {
            // The handler keeps its result for the request, so this does not validate the key again.
            var result = await context.AuthenticateAsync(OpenPipeDefaults.AuthenticationScheme).ConfigureAwait(false);
            LogRejected(logger, context.Request.Method, context.Request.Path.Value ?? "/", result.Failure?.Message ?? "no Authorization header");
        }

        await inner.HandleAsync(next, context, policy, authorizeResult).ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Rejected {Method} {Path}: {Reason}")]
    private static partial void LogRejected(ILogger logger, string method, string path, string reason);
}
