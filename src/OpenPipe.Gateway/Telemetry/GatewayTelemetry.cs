// Adds: the gateway's OpenTelemetry wiring (traces and metrics of OpenPipe.Client, OpenPipe.Server,
// OpenPipe.Gateway, ASP.NET Core and HttpClient; exported over OTLP only when
// OTEL_EXPORTER_OTLP_ENDPOINT is set) and the OpenPipe.Gateway ActivitySource and Meter: routing
// decisions, cache hits and misses, and request-log entries written or dropped.

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using OpenPipe.Client;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace OpenPipe.Gateway.Telemetry;

/// <summary>The gateway's own spans and metrics (<c>OpenPipe.Gateway</c>) and its OpenTelemetry set-up.</summary>
public static class GatewayTelemetry
{
    /// <summary>The environment variable (or configuration key) that turns OTLP export on.</summary>
    public const string OtlpEndpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";

    /// <summary>The gateway's ActivitySource.</summary>
    public static readonly ActivitySource Source = new(OpenPipeTelemetry.GatewaySourceName);

    private static readonly Meter Meter = new(OpenPipeTelemetry.GatewaySourceName);
    private static readonly Counter<long> Routed = Meter.CreateCounter<long>("openpipe.gateway.routed", "{request}", "Requests by the backend that served them.");
    private static readonly Counter<long> CacheLookups = Meter.CreateCounter<long>("openpipe.gateway.cache.lookups", "{lookup}", "Cache lookups, tagged openpipe.cache.hit true or false.");
    private static readonly Counter<long> LogEntries = Meter.CreateCounter<long>("openpipe.gateway.request_log.entries", "{entry}", "Request-log entries, tagged openpipe.request_log.outcome queued, written or dropped.");

    /// <summary>Notes which backend serves a model, on the current span and in <c>openpipe.gateway.routed</c>.</summary>
    /// <param name="model">The requested model.</param>
    /// <param name="backend">The backend's name.</param>
    public static void RecordRoute(string model, string backend)
    {
        Activity.Current?.SetTag("openpipe.gateway.backend", backend);
        Routed.Add(1, new KeyValuePair<string, object?>("gen_ai.request.model", model), new KeyValuePair<string, object?>("openpipe.gateway.backend", backend));
    }

    /// <summary>Notes a cache lookup, on the current span and in <c>openpipe.gateway.cache.lookups</c>.</summary>
    /// <param name="hit">Whether the cache answered.</param>
    public static void RecordCacheLookup(bool hit)
    {
        Activity.Current?.SetTag("openpipe.cache.hit", hit);
        CacheLookups.Add(1, new KeyValuePair<string, object?>("openpipe.cache.hit", hit));
    }

    /// <summary>Counts a request-log entry by what happened to it.</summary>
    /// <param name="outcome"><c>queued</c>, <c>written</c> or <c>dropped</c>.</param>
    /// <param name="count">How many entries.</param>
    public static void RecordLogEntries(string outcome, long count = 1) =>
        LogEntries.Add(count, new KeyValuePair<string, object?>("openpipe.request_log.outcome", outcome));

    /// <summary>
    /// Adds OpenTelemetry: traces and metrics of the kit's sources, ASP.NET Core (health probes left out)
    /// and HttpClient; exported over OTLP when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set, not at all otherwise.
    /// </summary>
    /// <param name="builder">The application builder.</param>
    /// <returns>The builder.</returns>
    public static WebApplicationBuilder AddGatewayTelemetry(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("openpipe-gateway"))
            .WithTracing(tracing => tracing
                .AddSource(OpenPipeTelemetry.ClientSourceName, OpenPipeTelemetry.ServerSourceName, OpenPipeTelemetry.GatewaySourceName)
                .AddAspNetCoreInstrumentation(o => o.Filter = context => !IsHealthProbe(context))
                .AddHttpClientInstrumentation())
            .WithMetrics(metrics => metrics
                .AddMeter(OpenPipeTelemetry.ClientSourceName, OpenPipeTelemetry.ServerSourceName, OpenPipeTelemetry.GatewaySourceName)
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation());
        if (!string.IsNullOrWhiteSpace(builder.Configuration[OtlpEndpointVariable]))
        {
            telemetry.UseOtlpExporter();
        }

        return builder;
    }

    private static bool IsHealthProbe(HttpContext context) =>
        context.Request.Path.StartsWithSegments("/healthz", StringComparison.Ordinal)
        || context.Request.Path.StartsWithSegments("/readyz", StringComparison.Ordinal);
}
