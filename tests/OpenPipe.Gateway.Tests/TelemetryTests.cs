using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using NUnit.Framework;
using OpenPipe.Client;
using OpenPipe.Client.Tests.Support;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace OpenPipe.Gateway.Tests;

/// <summary>The gateway's OpenTelemetry wiring, read through the in-memory exporter added to its own providers.</summary>
[TestFixture]
[NonParallelizable]
public sealed class TelemetryTests
{
    private readonly List<Activity> spans = [];
    private readonly List<Metric> metrics = [];
    private WireMockHost upstream = null!;
    private GatewayFactory factory = null!;
    private Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactory<Program> app = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        upstream = await WireMockHost.StartAsync(TestContext.CurrentContext.TestDirectory);
        factory = new GatewayFactory(new Uri($"http://127.0.0.1:{upstream.Port}/v1"));
        app = factory.WithWebHostBuilder(b => b.ConfigureTestServices(services =>
        {
            services.ConfigureOpenTelemetryTracerProvider(t => t.AddInMemoryExporter(spans));
            services.ConfigureOpenTelemetryMeterProvider(m => m.AddInMemoryExporter(metrics));
        }));
    }

    [OneTimeTearDown]
    public void Stop()
    {
        app.Dispose();
        factory.Dispose();
        upstream.Dispose();
    }

    [SetUp]
    public void Reset()
    {
        upstream.Reset();
        lock (spans)
        {
            spans.Clear();
        }
    }

    [Test]
    public async Task Post_UpstreamModel_TracesTheRequestTheRouteAndTheUpstreamChatSpan()
    {
        // Arrange
        upstream.Stub("upstream-completion.json");
        using var client = CreateClient();
        var request = new ChatCompletionRequest { Model = "up:gpt", Messages = [new UserMessage { Content = "forward me" }], Temperature = 0.2 };
        request.AdditionalProperties["seed"] = 7;
        request.AdditionalProperties["x_vendor"] = new Newtonsoft.Json.Linq.JObject { ["keep"] = true };

        // Act
        await client.CreateChatCompletionAsync(request);

        // Assert
        var server = await SpanAsync(s => s.Source.Name == OpenPipeTelemetry.ServerSourceName);
        Assert.That(server.DisplayName, Is.EqualTo("chat up:gpt"));
        Assert.That(server.Kind, Is.EqualTo(ActivityKind.Server));
        Assert.That(server.GetTagItem("openpipe.gateway.backend"), Is.EqualTo("wm"));
        var http = await SpanAsync(s => s.Source.Name == "Microsoft.AspNetCore" && s.SpanId == server.ParentSpanId);
        var chat = await SpanAsync(s => s.Source.Name == OpenPipeTelemetry.ClientSourceName && s.ParentSpanId == server.SpanId);
        Assert.That(chat.DisplayName, Is.EqualTo("chat up:gpt"));
        Assert.That(chat.TraceId, Is.EqualTo(http.TraceId), "the upstream call is part of the request's trace");
        Assert.That(chat.GetTagItem("gen_ai.response.id"), Is.EqualTo("chatcmpl-up"));
        Assert.That(chat.TagObjects.Select(t => t.Value?.ToString()), Has.None.Contains(GatewayFactory.UpstreamKey));
        Assert.That(spans.Where(s => s.Source.Name == "Microsoft.AspNetCore").Select(s => s.GetTagItem("url.path")), Has.None.EqualTo("/healthz"));
        app.Services.GetRequiredService<MeterProvider>().ForceFlush();
        Assert.That(metrics.Select(m => m.Name), Does.Contain("openpipe.gateway.routed").And.Contain("gen_ai.client.operation.duration").And.Contain("gen_ai.server.request.duration"));
    }

    [Test]
    public async Task Get_Healthz_IsNotTraced()
    {
        // Arrange
        using var http = app.CreateClient();

        // Act
        await http.GetStringAsync("/healthz");
        await http.GetAsync("/api/v1/nothing-here");

        // Assert: the 404 is traced, the probe is not.
        await SpanAsync(s => s.Source.Name == "Microsoft.AspNetCore");
        Assert.That(spans.Select(s => s.GetTagItem("url.path")), Has.None.EqualTo("/healthz"));
    }

    private OpenPipeClient CreateClient()
    {
        var options = new OpenPipeClientOptions { ApiKey = GatewayFactory.Key, MaxRetries = 0 };
        var http = app.CreateDefaultClient(new OpenPipeResilienceHandler(options));
        http.Timeout = Timeout.InfiniteTimeSpan;
        options.BaseUrl = new Uri(http.BaseAddress!, "api/v1");
        return new OpenPipeClient(http, Microsoft.Extensions.Options.Options.Create(options));
    }

    /// <summary>The first exported span that matches; spans end just after the response, so this waits up to 10 s.</summary>
    private async Task<Activity> SpanAsync(Func<Activity, bool> match)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            lock (spans)
            {
                if (spans.FirstOrDefault(match) is { } found)
                {
                    return found;
                }
            }

            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail("No matching span; exported: " + string.Join(", ", spans.Select(s => $"{s.Source.Name}:{s.DisplayName}")));
            }

            await Task.Delay(50);
        }
    }
}
