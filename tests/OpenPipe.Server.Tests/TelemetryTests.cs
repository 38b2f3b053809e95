using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using NUnit.Framework;
using OpenPipe.Client;

namespace OpenPipe.Server.Tests;

/// <summary>The server's GenAI spans and metrics (OpenPipe.Server), read with an ActivityListener and a MeterListener.</summary>
[TestFixture]
[NonParallelizable]
public sealed class TelemetryTests
{
    private static readonly TimeSpan TestTimeout = TimeSpan.FromSeconds(30);
    private readonly ConcurrentQueue<Activity> spans = new();
    private readonly ConcurrentQueue<(string Name, double Value, Dictionary<string, object?> Tags)> measurements = new();
    private ActivityListener activities = null!;
    private MeterListener meters = null!;
    private TestApp app = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        activities = new ActivityListener
        {
            ShouldListenTo = source => source.Name == OpenPipeTelemetry.ServerSourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Enqueue,
        };
        ActivitySource.AddActivityListener(activities);
        meters = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == OpenPipeTelemetry.ServerSourceName)
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            },
        };
        meters.SetMeasurementEventCallback<double>((instrument, value, tags, _) =>
        {
            var copy = new Dictionary<string, object?>();
            foreach (var tag in tags)
            {
                copy[tag.Key] = tag.Value;
            }

            measurements.Enqueue((instrument.Name, value, copy));
        });
        meters.Start();
        app = await TestApp.StartAsync(kestrel: true);
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        await app.DisposeAsync();
        activities.Dispose();
        meters.Dispose();
    }

    [Test]
    public async Task Post_Completion_RecordsAServerChatSpanAndRequestDuration()
    {
        // Arrange
        using var client = new OpenPipeClient(new OpenPipeClientOptions { ApiKey = TestApp.GoodKey, BaseUrl = app.ApiBaseUrl, MaxRetries = 0 });
        using var cts = new CancellationTokenSource(TestTimeout);

        // Act
        var completion = await client.CreateChatCompletionAsync(new ChatCompletionRequest { Model = "srv-otel-1", Messages = [new UserMessage { Content = "hello there" }] }, cts.Token);

        // Assert
        var span = spans.Single(s => (string?)s.GetTagItem("gen_ai.request.model") == "srv-otel-1");
        Assert.That(span.DisplayName, Is.EqualTo("chat srv-otel-1"));
        Assert.That(span.Kind, Is.EqualTo(ActivityKind.Server));
        Assert.That(span.GetTagItem("gen_ai.operation.name"), Is.EqualTo("chat"));
        Assert.That(span.GetTagItem("gen_ai.response.id"), Is.EqualTo(completion.Id));
        Assert.That(span.GetTagItem("gen_ai.response.finish_reasons"), Is.EqualTo(new[] { completion.Choices[0].FinishReason.Value }));
        Assert.That(span.GetTagItem("gen_ai.input.messages"), Is.Null, "no content unless enabled");
        Assert.That(measurements.Where(m => m.Name == "gen_ai.server.request.duration" && (string?)m.Tags["gen_ai.request.model"] == "srv-otel-1").ToList(), Has.Count.EqualTo(1));
        Assert.That(measurements.Where(m => m.Name == "gen_ai.server.time_to_first_token" && (string?)m.Tags["gen_ai.request.model"] == "srv-otel-1").ToList(), Is.Empty, "only streams have a first token");
    }

    [Test]
    public async Task Post_Stream_DurationEndsAtTheLastChunkAndTimeToFirstTokenIsBeforeIt()
    {
        // Arrange: the test controller streams one word per chunk with a pause between them.
        using var client = new OpenPipeClient(new OpenPipeClientOptions { ApiKey = TestApp.GoodKey, BaseUrl = app.ApiBaseUrl, MaxRetries = 0 });
        using var cts = new CancellationTokenSource(TestTimeout);
        var request = new ChatCompletionRequest { Model = "srv-otel-2", Messages = [new UserMessage { Content = "one two three" }] };
        var received = Stopwatch.StartNew();
        TimeSpan lastChunk = TimeSpan.Zero;
        int chunks = 0;

        // Act
        await foreach (var chunk in client.CreateChatCompletionStreamingAsync(request, cts.Token))
        {
            chunks++;
            lastChunk = received.Elapsed;
        }

        // Assert
        var span = await SpanAsync("srv-otel-2");
        Assert.That(chunks, Is.GreaterThan(2));
        Assert.That(span.GetTagItem("openpipe.stream"), Is.EqualTo(true));
        double duration = measurements.Single(m => m.Name == "gen_ai.server.request.duration" && (string?)m.Tags["gen_ai.request.model"] == "srv-otel-2").Value;
        double firstToken = measurements.Single(m => m.Name == "gen_ai.server.time_to_first_token" && (string?)m.Tags["gen_ai.request.model"] == "srv-otel-2").Value;
        Assert.That(firstToken, Is.LessThan(duration), "the first chunk comes before the end");
        Assert.That(duration, Is.GreaterThan(2 * app.Probe.ChunkDelay.TotalSeconds * 0.9), "the duration spans the paused chunks, not just the headers");
    }

    private async Task<Activity> SpanAsync(string model)
    {
        for (int i = 0; i < 200; i++)
        {
            if (spans.FirstOrDefault(s => (string?)s.GetTagItem("gen_ai.request.model") == model) is { } span)
            {
                return span;
            }

            await Task.Delay(50);
        }

        Assert.Fail($"No span for {model}.");
        return null!;
    }
}
