// Adds: GenAiTelemetry, one ActivitySource and Meter per component (OpenPipe.Client, OpenPipe.Server,
// OpenPipe.Gateway) following OpenTelemetry's GenAI semantic conventions: a `chat {model}` span with
// gen_ai.* attributes, the operation-duration and token-usage histograms (client) or request-duration
// and time-to-first-token histograms (server). Message content is recorded only when asked for;
// keys and headers never are. The same source is compiled into OpenPipe.Client and OpenPipe.Server
// (each package carries its own copy, so neither depends on the other's internals).

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Linq;
using System.Reflection;
using Newtonsoft.Json;

namespace OpenPipe;

/// <summary>A component's ActivitySource, Meter and GenAI instruments.</summary>
internal sealed class GenAiTelemetry
{
    internal const string ProviderName = "openpipe";

    private static readonly double[] DurationBuckets = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92];
    private static readonly double[] FirstTokenBuckets = [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0];
    private static readonly long[] TokenBuckets = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864];

    internal static readonly GenAiTelemetry Client = new(OpenPipeTelemetry.ClientSourceName, server: false);

    internal static readonly GenAiTelemetry Server = new(OpenPipeTelemetry.ServerSourceName, server: true);

    /// <summary>Read once, at first use, as OpenTelemetry reads its environment (not per request: a lookup takes a lock).</summary>
    internal static bool CaptureContentFromEnvironment { get; } =
        string.Equals(Environment.GetEnvironmentVariable(OpenPipeTelemetry.CaptureContentEnvironmentVariable), "true", StringComparison.OrdinalIgnoreCase);

    private GenAiTelemetry(string name, bool server)
    {
        string? version = typeof(GenAiTelemetry).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
        IsServer = server;
        Source = new ActivitySource(name, version);
        Meter = new Meter(name, version);
        if (server)
        {
            Duration = Meter.CreateHistogram("gen_ai.server.request.duration", "s", "Time the server took to answer a GenAI request.", advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });
            TimeToFirstToken = Meter.CreateHistogram("gen_ai.server.time_to_first_token", "s", "Time until the first chunk of a streamed answer was written.", advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = FirstTokenBuckets });
        }
        else
        {
            Duration = Meter.CreateHistogram("gen_ai.client.operation.duration", "s", "GenAI operation duration.", advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });
            Retries = Meter.CreateCounter<long>("openpipe.client.retries", "{retry}", "Attempts retried after a transient failure.");
            TokenUsage = Meter.CreateHistogram("gen_ai.client.token.usage", "{token}", "Number of input and output tokens used.", advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = TokenBuckets });
        }
    }

    internal bool IsServer { get; }

    internal ActivitySource Source { get; }

    internal Meter Meter { get; }

    internal Histogram<double> Duration { get; }

    internal Histogram<double>? TimeToFirstToken { get; }

    internal Histogram<long>? TokenUsage { get; }

    internal Counter<long>? Retries { get; }

    /// <summary>Whether anything could record an operation now: a listener on the source, or an enabled instrument.</summary>
    internal bool IsObserved => Source.HasListeners() || Duration.Enabled || TimeToFirstToken?.Enabled == true || TokenUsage?.Enabled == true;

    /// <summary>
    /// Starts the telemetry of one chat operation: a span when someone listens, the measurements when
    /// an instrument is enabled; when nothing observes, the shared operation that records nothing.
    /// </summary>
    internal ChatOperation Start(ChatCompletionRequest request, Uri? server, bool streaming, bool captureContent) =>
        IsObserved ? new(this, request, server, streaming, captureContent) : ChatOperation.Unobserved;
}

/// <summary>The span and measurements of one chat completion; ends once, on completion, failure or disposal.</summary>
internal sealed class ChatOperation : IDisposable
{
    private readonly GenAiTelemetry telemetry;
    private readonly long started = Stopwatch.GetTimestamp();
    private readonly bool captureContent;

    /// <summary>Whether anything listens (a span is recorded or an instrument is enabled); when not, the operation does nothing.</summary>
    private readonly bool observed;
    private readonly TagList tags;
    private SortedDictionary<int, string>? finishReasons;
    private string? responseId;
    private string? responseModel;
    private Usage? usage;
    private bool firstChunkSeen;
    private bool ended;

    /// <summary>The operation handed out while nothing observes: it has no span and records nothing, so one serves every call.</summary>
    internal static readonly ChatOperation Unobserved = new();

    private ChatOperation()
    {
        // Never read: an operation that is not observed returns before it would use its telemetry.
        telemetry = null!;
    }

    internal ChatOperation(GenAiTelemetry telemetry, ChatCompletionRequest request, Uri? server, bool streaming, bool captureContent)
    {
        this.telemetry = telemetry;
        this.captureContent = captureContent;
        string model = request.Model ?? string.Empty;
        Activity = telemetry.Source.HasListeners()
            ? telemetry.Source.StartActivity("chat " + model, telemetry.IsServer ? ActivityKind.Server : ActivityKind.Client)
            : null;
        observed = Activity is not null || telemetry.Duration.Enabled || telemetry.TokenUsage?.Enabled == true || telemetry.TimeToFirstToken?.Enabled == true;
        if (!observed)
        {
            return;
        }

        tags = new TagList
        {
            { "gen_ai.operation.name", "chat" },
            { "gen_ai.provider.name", GenAiTelemetry.ProviderName },
            { "gen_ai.request.model", model },
        };
        if (server is not null)
        {
            tags.Add("server.address", server.Host);
            tags.Add("server.port", server.Port);
        }

        if (Activity is { IsAllDataRequested: true } activity)
        {
            foreach (var tag in tags)
            {
                activity.SetTag(tag.Key, tag.Value);
            }

            activity.SetTag("gen_ai.request.temperature", request.Temperature);
            activity.SetTag("gen_ai.request.top_p", request.TopP);
            activity.SetTag("gen_ai.request.max_tokens", request.MaxCompletionTokens ?? request.MaxTokens);
            activity.SetTag("gen_ai.request.frequency_penalty", request.FrequencyPenalty);
            activity.SetTag("gen_ai.request.presence_penalty", request.PresencePenalty);
            activity.SetTag("gen_ai.request.choice.count", request.N is > 1 ? request.N : null);
            activity.SetTag("gen_ai.request.stop_sequences", request.Stop?.Values.ToArray());
            activity.SetTag("openpipe.stream", streaming);
            if (captureContent)
            {
                activity.SetTag("gen_ai.input.messages", JsonConvert.SerializeObject(request.Messages, OpenPipeJson.Settings));
            }
        }
    }

    internal Activity? Activity { get; }

    /// <summary>Notes a retried attempt (an event on the span, a count on the span and in the retry counter).</summary>
    internal static void RecordRetry(int attempt, string reason, TimeSpan delay)
    {
        if (Activity.Current is { Source.Name: OpenPipeTelemetry.ClientSourceName } activity)
        {
            activity.AddEvent(new ActivityEvent("openpipe.retry", tags: new ActivityTagsCollection
            {
                ["openpipe.retry.attempt"] = attempt,
                ["openpipe.retry.reason"] = reason,
                ["openpipe.retry.delay_ms"] = delay.TotalMilliseconds,
            }));
            activity.SetTag("openpipe.retry.count", attempt);
        }

        GenAiTelemetry.Client.Retries?.Add(1, new KeyValuePair<string, object?>("error.type", reason));
    }

    /// <summary>Sets an attribute on the span, when it is recorded.</summary>
    internal void SetTag(string name, object? value) => Activity?.SetTag(name, value);

    /// <summary>Notes one stream chunk: the first one's time, and what the response attributes need.</summary>
    internal void Observe(ChatCompletionChunk chunk)
    {
        if (!observed)
        {
            return;
        }

        if (!firstChunkSeen)
        {
            firstChunkSeen = true;
            telemetry.TimeToFirstToken?.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, tags);
        }

        responseId ??= chunk.Id;
        responseModel ??= chunk.Model;
        usage = chunk.Usage ?? usage;
        if (Activity is null)
        {
            // Finish reasons are a span attribute only.
            return;
        }

        foreach (var choice in chunk.Choices)
        {
            if (choice.FinishReason is { } reason)
            {
                (finishReasons ??= [])[(int)choice.Index] = reason.Value;
            }
        }
    }

    /// <summary>Ends a non-streaming operation with its completion.</summary>
    internal void Complete(ChatCompletion completion)
    {
        if (observed)
        {
            responseId = completion.Id;
            responseModel = completion.Model;
            usage = completion.Usage;
            if (Activity is not null)
            {
                // Finish reasons are a span attribute only.
                foreach (var choice in completion.Choices)
                {
                    (finishReasons ??= [])[(int)choice.Index] = choice.FinishReason.Value;
                }
            }

            if (captureContent)
            {
                Activity?.SetTag("gen_ai.output.messages", JsonConvert.SerializeObject(completion.Choices.Select(c => c.Message), OpenPipeJson.Settings));
            }
        }

        End(null);
    }

    /// <summary>Ends a stream that reached its end.</summary>
    internal void CompleteStream() => End(null);

    /// <summary>
    /// Passes <paramref name="chunks"/> on inside one operation, started when the enumeration starts:
    /// each chunk is observed; the operation fails with the stream's exception, completes after its
    /// last chunk, and is disposed (ended) when the reader stops early.
    /// </summary>
    internal static async IAsyncEnumerable<ChatCompletionChunk> ObserveStreamAsync(Func<ChatOperation> start, IAsyncEnumerable<ChatCompletionChunk> chunks, [System.Runtime.CompilerServices.EnumeratorCancellation] System.Threading.CancellationToken cancellationToken = default)
    {
        using (ChatOperation operation = start())
        {
            var enumerator = chunks.GetAsyncEnumerator(cancellationToken);
            try
            {
                while (true)
                {
                    ChatCompletionChunk chunk;
                    try
                    {
                        if (!await enumerator.MoveNextAsync().ConfigureAwait(false))
                        {
                            break;
                        }

                        chunk = enumerator.Current;
                    }
                    catch (Exception e)
                    {
                        operation.Fail(e);
                        throw;
                    }

                    operation.Observe(chunk);
                    yield return chunk;
                }

                operation.CompleteStream();
            }
            finally
            {
                await enumerator.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>Ends the operation with a failure.</summary>
    internal void Fail(Exception exception) => End(exception);

    /// <summary>Ends an operation nobody completed (a stream abandoned by its reader) as cancelled.</summary>
    public void Dispose()
    {
        if (observed && !ended)
        {
            End(new OperationCanceledException());
        }
    }

    private void End(Exception? error)
    {
        if (ended)
        {
            return;
        }

        // The shared unobserved operation is never marked: nothing about it changes.
        if (!observed)
        {
            return;
        }

        ended = true;

        // The span ends where the measured duration does: recording the measurements (the first
        // time, a JIT compilation in the exporter) is not part of the operation.
        double seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        Activity?.SetEndTime(DateTime.UtcNow);

        var metricTags = tags;
        if (responseModel is not null)
        {
            metricTags.Add("gen_ai.response.model", responseModel);
        }

        if (error is not null)
        {
            string type = error switch
            {
                OpenPipeApiException { StatusCode: > 0 } api => api.StatusCode.ToString(System.Globalization.CultureInfo.InvariantCulture),
                OperationCanceledException => "cancelled",
                _ => error.GetType().FullName ?? "error",
            };
            metricTags.Add("error.type", type);
            if (Activity is { } failed)
            {
                failed.SetTag("error.type", type);
                failed.SetStatus(ActivityStatusCode.Error, error is OperationCanceledException ? "cancelled" : error.Message);
            }
        }

        if (Activity is { IsAllDataRequested: true } activity)
        {
            activity.SetTag("gen_ai.response.id", responseId);
            activity.SetTag("gen_ai.response.model", responseModel);
            if (finishReasons is { Count: > 0 })
            {
                activity.SetTag("gen_ai.response.finish_reasons", finishReasons.Values.ToArray());
            }

            if (usage is not null)
            {
                activity.SetTag("gen_ai.usage.input_tokens", (long)usage.PromptTokens);
                activity.SetTag("gen_ai.usage.output_tokens", (long)usage.CompletionTokens);
            }
        }

        telemetry.Duration.Record(seconds, metricTags);
        if (usage is not null && telemetry.TokenUsage is { Enabled: true })
        {
            var input = metricTags;
            input.Add("gen_ai.token.type", "input");
            telemetry.TokenUsage.Record((long)usage.PromptTokens, input);
            var output = metricTags;
            output.Add("gen_ai.token.type", "output");
            telemetry.TokenUsage.Record((long)usage.CompletionTokens, output);
        }

        Activity?.Dispose();
    }
}
