// Adds: the gateway's health checks (Microsoft.Extensions.Diagnostics.HealthChecks): GET /healthz is
// liveness (the process answers), GET /readyz is readiness: the storage (SQLite or PostgreSQL)
// answers a read, and each configured upstream answers HTTP at all within a few seconds.

using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using OpenPipe.Gateway.Storage;

namespace OpenPipe.Gateway.Health;

/// <summary>Registers and maps the gateway's liveness and readiness checks.</summary>
internal static class GatewayHealth
{
    public const string LivePath = "/healthz";
    public const string ReadyPath = "/readyz";
    public const string UpstreamProbeClient = "health:upstream";
    private const string LiveTag = "live";
    private const string ReadyTag = "ready";

    public static IServiceCollection AddGatewayHealthChecks(this IServiceCollection services)
    {
        services.AddHttpClient(UpstreamProbeClient, http => http.Timeout = TimeSpan.FromSeconds(5));
        services.AddHealthChecks()
            .AddCheck("self", () => HealthCheckResult.Healthy(), [LiveTag])
            .AddCheck<StorageCheck>("storage", tags: [ReadyTag])
            .AddCheck<UpstreamReachabilityCheck>("upstreams", tags: [ReadyTag]);
        return services;
    }

    public static WebApplication MapGatewayHealthChecks(this WebApplication app)
    {
        app.MapHealthChecks(LivePath, new HealthCheckOptions { Predicate = r => r.Tags.Contains(LiveTag), ResponseWriter = WritePlainAsync }).AllowAnonymous();
        app.MapHealthChecks(ReadyPath, new HealthCheckOptions { Predicate = r => r.Tags.Contains(ReadyTag), ResponseWriter = WriteReportAsync }).AllowAnonymous();
        return app;
    }

    private static Task WritePlainAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "text/plain";
        return context.Response.WriteAsync(report.Status == HealthStatus.Healthy ? "ok" : report.Status.ToString().ToLowerInvariant());
    }

    /// <summary>Each check's status and description as JSON; exceptions stay in the log, not the response.</summary>
    private static Task WriteReportAsync(HttpContext context, HealthReport report) =>
        context.Response.WriteAsJsonAsync(new
        {
            status = report.Status.ToString(),
            checks = report.Entries.ToDictionary(e => e.Key, e => new { status = e.Value.Status.ToString(), description = e.Value.Description }),
        });
}

/// <summary>Ready when the gateway's storage (SQLite or PostgreSQL) answers a cache read within 5 s.</summary>
internal sealed class StorageCheck(IGatewayStore store, TimeProvider time) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(5));
        try
        {
            await store.GetCachedAsync("openpipe-health-probe", time.GetUtcNow(), timeout.Token).ConfigureAwait(false);
            return HealthCheckResult.Healthy($"The {store.Provider} storage answers.");
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            // The exception goes to the health-check log, not into the response.
            return HealthCheckResult.Unhealthy($"The {store.Provider} storage does not answer (Gateway:Storage).", e);
        }
    }
}

/// <summary>Ready when every configured upstream answers HTTP (any status) within the probe's time-out.</summary>
internal sealed class UpstreamReachabilityCheck(IOptions<GatewayOptions> options, IHttpClientFactory clients) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var upstreams = options.Value.Upstreams.Where(u => u.Value.BaseUrl is not null).ToList();
        if (upstreams.Count == 0)
        {
            return HealthCheckResult.Healthy("No upstreams are configured.");
        }

        var http = clients.CreateClient(GatewayHealth.UpstreamProbeClient);
        var unreachable = new List<string>();
        foreach (var (name, upstream) in upstreams)
        {
            try
            {
                // Any answer, even 401 or 404, shows the upstream is there; the key is never sent.
                using var response = await http.GetAsync(upstream.BaseUrl, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                unreachable.Add(name);
            }
        }

        return unreachable.Count == 0
            ? HealthCheckResult.Healthy($"{upstreams.Count} upstream(s) answer.")
            : HealthCheckResult.Unhealthy($"Unreachable upstream(s): {string.Join(", ", unreachable)}.");
    }
}
