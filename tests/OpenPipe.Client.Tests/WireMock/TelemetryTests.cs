using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Logging;
using NUnit.Framework;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace OpenPipe.Client.Tests.WireMock;

/// <summary>The client's GenAI spans and metrics (OpenPipe.Client), read through OpenTelemetry's in-memory exporter, and its logs.</summary>
[TestFixture]
public sealed class TelemetryTests : WireMockTestBase
{
    private static readonly TimeSpan TestTimeout = TimeSpan.FromSeconds(30);
    private readonly List<Activity> spans = [];
    private readonly List<Metric> metrics = [];
    private TracerProvider tracing = null!;
    private MeterProvider metering = null!;

    [SetUp]
    public void StartExporters()
    {
        spans.Clear();
        metrics.Clear();
        tracing = Sdk.CreateTracerProviderBuilder().AddSource(OpenPipeTelemetry.ClientSourceName).AddInMemoryExporter(spans).Build()!;
        metering = Sdk.CreateMeterProviderBuilder().AddMeter(OpenPipeTelemetry.ClientSourceName).AddInMemoryExporter(metrics).Build()!;
    }

    [TearDown]
    public void StopExporters()
    {
        tracing.Dispose();
        metering.Dispose();
    }

    [Test]
    public async Task CreateChatCompletionAsync_Success_RecordsAChatSpanWithGenAiAttributesAndMetrics()
    {
        // Arrange
        Server.Stub("ai-same-answer.json", ("TRANSCRIPT", "basic.sse"), ("COMPLETION", "basic.json"));
        var client = CreateClient();
        using var cts = new CancellationTokenSource(TestTimeout);

        // Act
        await client.CreateChatCompletionAsync(Hello("otel-model-1"), new OpenPipeRequestOptions { Cache = CacheMode.ReadWrite }, cts.Token);

        // Assert
        var span = spans.Single(s => (string?)s.GetTagItem("gen_ai.request.model") == "otel-model-1");
        Assert.That(span.DisplayName, Is.EqualTo("chat otel-model-1"));
        Assert.That(span.Kind, Is.EqualTo(ActivityKind.Client));
        Assert.That(span.GetTagItem("gen_ai.operation.name"), Is.EqualTo("chat"));
        Assert.That(span.GetTagItem("gen_ai.provider.name"), Is.EqualTo("openpipe"));
        Assert.That(span.GetTagItem("gen_ai.response.model"), Is.EqualTo("openpipe:test-model"));
        Assert.That(span.GetTagItem("gen_ai.response.id"), Is.EqualTo("chatcmpl-s1"));
        Assert.That(span.GetTagItem("gen_ai.response.finish_reasons"), Is.EqualTo(new[] { "stop" }));
        Assert.That(span.GetTagItem("gen_ai.usage.input_tokens"), Is.EqualTo(5L));
        Assert.That(span.GetTagItem("gen_ai.usage.output_tokens"), Is.EqualTo(3L));
        Assert.That(span.GetTagItem("server.address"), Is.EqualTo("127.0.0.1"));
        Assert.That(span.GetTagItem("openpipe.cache"), Is.EqualTo("readWrite"));
        Assert.That(span.GetTagItem("gen_ai.input.messages"), Is.Null, "no content unless enabled");
        Assert.That(span.TagObjects.Select(t => t.Value?.ToString()), Has.None.Contains(ApiKey));
        Assert.That(span.Status, Is.EqualTo(ActivityStatusCode.Unset));

        metering.ForceFlush();
        Assert.That(Points("gen_ai.client.operation.duration", "otel-model-1").Sum(p => p.GetHistogramCount()), Is.EqualTo(1));
        var tokens = Points("gen_ai.client.token.usage", "otel-model-1");
        Assert.That(tokens.Single(p => Tag(p, "gen_ai.token.type") == "input").GetHistogramSum(), Is.EqualTo(5));
        Assert.That(tokens.Single(p => Tag(p, "gen_ai.token.type") == "output").GetHistogramSum(), Is.EqualTo(3));
    }

    [Test]
    public async Task CreateChatCompletionAsync_NothingListeningThenAnExporter_RecordsOnlyTheObservedCall()
    {
        // Arrange: no exporter for the first call.
        Server.Stub("ai-same-answer.json", ("TRANSCRIPT", "basic.sse"), ("COMPLETION", "basic.json"));
        var client = CreateClient();
        using var cts = new CancellationTokenSource(TestTimeout);
        tracing.Dispose();
        metering.Dispose();

        // Act
        bool observedWithoutExporter = GenAiTelemetry.Client.IsObserved;
        var unobserved = GenAiTelemetry.Client.Start(Hello("otel-unobserved"), null, streaming: false, captureContent: false);
        var first = await client.CreateChatCompletionAsync(Hello("otel-unobserved"), cancellationToken: cts.Token);
        tracing = Sdk.CreateTracerProviderBuilder().AddSource(OpenPipeTelemetry.ClientSourceName).AddInMemoryExporter(spans).Build()!;
        metering = Sdk.CreateMeterProviderBuilder().AddMeter(OpenPipeTelemetry.ClientSourceName).AddInMemoryExporter(metrics).Build()!;
        using var observed = GenAiTelemetry.Client.Start(Hello("otel-direct"), null, streaming: false, captureContent: false);
        var second = await client.CreateChatCompletionAsync(Hello("otel-observed"), cancellationToken: cts.Token);

        // Assert: the first call shared the operation that records nothing, and left it as it was.
        Assert.That(observedWithoutExporter, Is.False);
        Assert.That(unobserved, Is.SameAs(ChatOperation.Unobserved));
        Assert.That(unobserved.Activity, Is.Null);
        Assert.That(first.Id, Is.EqualTo("chatcmpl-s1"));
        Assert.That(observed, Is.Not.SameAs(ChatOperation.Unobserved));
        Assert.That(observed.Activity, Is.Not.Null);
        Assert.That(second.Id, Is.EqualTo("chatcmpl-s1"));
        Assert.That(spans.Select(s => s.GetTagItem("gen_ai.request.model")), Does.Contain("otel-observed").And.No.Contains("otel-unobserved"));
        metering.ForceFlush();
        Assert.That(Points("gen_ai.client.operation.duration", "otel-observed").Sum(p => p.GetHistogramCount()), Is.EqualTo(1));
        Assert.That(Points("gen_ai.client.operation.duration", "otel-unobserved"), Is.Empty);
    }

    [Test]
    public async Task CreateChatCompletionStreamingAsync_Stream_SpanEndsAtTheLastChunkWithUsageAndFinishReason()
    {
        // Arrange: 20 chunks dribbled over 1 s.
        Server.StubSlowStream("/api/v1/chat/completions", "twenty-words.sse", TimeSpan.FromSeconds(1));
        var client = CreateClient();
        using var cts = new CancellationTokenSource(TestTimeout);
        int chunks = 0;
        DateTime lastChunkAt = default;

        // Act
        await foreach (var chunk in client.CreateChatCompletionStreamingAsync(Hello("otel-model-2"), cts.Token))
        {
            chunks++;
            lastChunkAt = DateTime.UtcNow;
            Assert.That(spans, Is.Empty, "the span is still open while chunks arrive");
        }

        // Assert
        var span = spans.Single(s => (string?)s.GetTagItem("gen_ai.request.model") == "otel-model-2");
        Assert.That(chunks, Is.GreaterThan(1));
        Assert.That(span.StartTimeUtc + span.Duration, Is.GreaterThanOrEqualTo(lastChunkAt));
        Assert.That(span.GetTagItem("openpipe.stream"), Is.EqualTo(true));
        Assert.That(span.GetTagItem("gen_ai.response.finish_reasons"), Is.EqualTo(new[] { "stop" }));
        Assert.That(span.GetTagItem("gen_ai.response.id"), Is.Not.Null);
        metering.ForceFlush();
        var duration = Points("gen_ai.client.operation.duration", "otel-model-2").Single();
        Assert.That(duration.GetHistogramSum(), Is.GreaterThanOrEqualTo(span.Duration.TotalSeconds * 0.99));
    }

    [Test]
    public async Task CreateChatCompletionAsync_RetriedThenSucceeded_ShowsTheRetryOnTheSpanTheCounterAndTheLog()
    {
        // Arrange: a 429 (Retry-After: 0), then a 200.
        Server.Stub("retry-after-then-success.json", ("RETRY_AFTER", "0"));
        var logs = new ListLoggerProvider();
        using var loggers = LoggerFactory.Create(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Debug));
        var client = CreateClient(o => o.LoggerFactory = loggers);
        using var cts = new CancellationTokenSource(TestTimeout);

        // Act
        await client.CreateChatCompletionAsync(Hello("otel-model-3"), cts.Token);

        // Assert
        var span = spans.Single(s => (string?)s.GetTagItem("gen_ai.request.model") == "otel-model-3");
        var retry = span.Events.Single(e => e.Name == "openpipe.retry");
        Assert.That(retry.Tags.Single(t => t.Key == "openpipe.retry.reason").Value, Is.EqualTo("429"));
        Assert.That(span.GetTagItem("openpipe.retry.count"), Is.EqualTo(1));
        metering.ForceFlush();
        Assert.That(metrics.Where(m => m.Name == "openpipe.client.retries").SelectMany(Each).Sum(p => p.GetSumLong()), Is.GreaterThanOrEqualTo(1));
        Assert.That(logs.Lines, Has.Some.Matches<(LogLevel Level, string Text)>(l => l.Level == LogLevel.Warning && l.Text.Contains("retrying", StringComparison.Ordinal)));
        Assert.That(logs.Lines, Has.Some.Matches<(LogLevel Level, string Text)>(l => l.Text.Contains("answered 200", StringComparison.Ordinal) && l.Text.Contains("2 attempt(s)", StringComparison.Ordinal)));
        Assert.That(logs.Lines.Select(l => l.Text), Has.None.Contains(ApiKey), "keys never reach the log");
        Assert.That(logs.Lines.Select(l => l.Text), Has.None.Contains("\"messages\""), "bodies never reach the log");
    }

    [Test]
    public async Task CreateChatCompletionAsync_ApiError_MarksTheSpanAndMetricWithTheStatus()
    {
        // Arrange
        Server.Stub("errors.json");
        var client = CreateClient();

        // Act
        Assert.ThrowsAsync<OpenPipeApiException>(() => client.CreateChatCompletionAsync(Hello("status-400")));

        // Assert
        var span = spans.Single(s => (string?)s.GetTagItem("gen_ai.request.model") == "status-400");
        Assert.That(span.Status, Is.EqualTo(ActivityStatusCode.Error));
        Assert.That(span.GetTagItem("error.type"), Is.EqualTo("400"));
        metering.ForceFlush();
        Assert.That(Points("gen_ai.client.operation.duration", "status-400").Select(p => Tag(p, "error.type")), Is.EqualTo(new[] { "400" }));
    }

    [Test]
    public async Task CreateChatCompletionAsync_ContentCaptureEnabled_RecordsInputAndOutputMessages()
    {
        // Arrange
        Server.Stub("ai-same-answer.json", ("TRANSCRIPT", "basic.sse"), ("COMPLETION", "basic.json"));
        var client = CreateClient(o => o.EnableSensitiveTelemetryData = true);

        // Act
        await client.CreateChatCompletionAsync(Hello("otel-model-4"));

        // Assert
        var span = spans.Single(s => (string?)s.GetTagItem("gen_ai.request.model") == "otel-model-4");
        Assert.That((string?)span.GetTagItem("gen_ai.input.messages"), Does.Contain("\"Hi\""));
        Assert.That((string?)span.GetTagItem("gen_ai.output.messages"), Does.Contain("Hello, world"));
    }

    private List<MetricPoint> Points(string name, string model) =>
        metrics.Where(m => m.Name == name).SelectMany(Each).Where(p => Tag(p, "gen_ai.request.model") == model).ToList();

    private static IEnumerable<MetricPoint> Each(Metric metric)
    {
        var points = new List<MetricPoint>();
        foreach (ref readonly var point in metric.GetMetricPoints())
        {
            points.Add(point);
        }

        return points;
    }

    private static string? Tag(MetricPoint point, string name)
    {
        foreach (var tag in point.Tags)
        {
            if (tag.Key == name)
            {
                return tag.Value?.ToString();
            }
        }

        return null;
    }

    /// <summary>Keeps every formatted log line.</summary>
    private sealed class ListLoggerProvider : ILoggerProvider
    {
        public List<(LogLevel Level, string Text)> Lines { get; } = [];

        public ILogger CreateLogger(string categoryName) => new ListLogger(this);

        public void Dispose()
        {
        }

        private sealed class ListLogger(ListLoggerProvider owner) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                lock (owner.Lines)
                {
                    owner.Lines.Add((logLevel, formatter(state, exception)));
                }
            }
        }
    }
}
