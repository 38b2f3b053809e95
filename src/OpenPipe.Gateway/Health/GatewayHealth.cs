// Adds: the gateway's health checks (Microsoft.Extensions.Diagnostics.HealthChecks): GET /healthz is
// liveness (the process answers), GET /readyz is readiness: whether this instance can serve
// requests. It answers 503 only for what stops serving: start-up not finished (or shutting down),
// or no backend configured. What the gateway serves through (the storage down: the cache is skipped
// and log entries wait in the queue; an upstream unreachable: its models fail, others are served)
// is Degraded, 200, with the detail in the JSON: a load balancer that took every gateway out of
// service for it would turn a partial outage into a full one.

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
using Microsoft.Extensions.Hosting;
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
            .AddCheck<StartupCheck>("startup", tags: [ReadyTag])
            .AddCheck<BackendsCheck>("backends", tags: [ReadyTag])
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

    /// <summary>Each check's status, description and data as JSON; exceptions stay in the log, not the response.</summary>
    private static Task WriteReportAsync(HttpContext context, HealthReport report) =>
        context.Response.WriteAsJsonAsync(new
        {
            status = report.Status.ToString(),
            checks = report.Entries.ToDictionary(e => e.Key, e => new
            {
                status = e.Value.Status.ToString(),
                description = e.Value.Description,
                data = e.Value.Data.Count == 0 ? null : e.Value.Data,
            }),
        });
}

/// <summary>Not ready until the host has started every service (the storage's schema included), nor once it is stopping.</summary>
internal sealed class StartupCheck(IHostApplicationLifetime lifetime) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) => Task.FromResult(
        lifetime.ApplicationStopping.IsCancellationRequested ? HealthCheckResult.Unhealthy("The gateway is stopping.")
        : lifetime.ApplicationStarted.IsCancellationRequested ? HealthCheckResult.Healthy("Started.")
        : HealthCheckResult.Unhealthy("The gateway is still starting."));
}

/// <summary>Not ready when no model can be served: no route and no default backend.</summary>
internal sealed class BackendsCheck(IOptions<GatewayOptions> options) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var gateway = options.Value;
        return Task.FromResult(gateway.Routes.Count == 0 && string.IsNullOrEmpty(gateway.DefaultBackend)
            ? HealthCheckResult.Unhealthy("No backend is configured: Gateway:Routes and Gateway:DefaultBackend are empty, so every model gets 404.")
            : HealthCheckResult.Healthy(string.IsNullOrEmpty(gateway.DefaultBackend)
                ? $"{gateway.Routes.Count} route(s); other models get 404."
                : $"{gateway.Routes.Count} route(s); other models go to '{gateway.DefaultBackend}'."));
    }
}

/// <summary>
/// Healthy when the gateway's storage (SQLite or PostgreSQL) answers a cache read within 5 s;
/// Degraded otherwise, since requests are still served (the cache is skipped, log entries wait in the
/// queue), with the queue's state in the data.
/// </summary>
internal sealed class StorageCheck(IGatewayStore store, RequestLogQueue queue, TimeProvider time) : IHealthCheck
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
            return HealthCheckResult.Degraded(
                $"The {store.Provider} storage does not answer (Gateway:Storage): requests are served without the cache, and log entries wait in the queue until it is back.",
                e,
                new Dictionary<string, object> { ["queued_entries"] = queue.Waiting, ["dropped_entries"] = queue.Dropped });
        }
    }
}

/// <summary>
/// Healthy when every configured upstream answers HTTP (any status) within the probe's time-out;
/// Degraded otherwise (the models of an unreachable upstream fail; the others are served).
/// </summary>
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
            : HealthCheckResult.Degraded($"Unreachable upstream(s): {string.Join(", ", unreachable)}.");
    }
}
