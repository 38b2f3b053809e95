using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Newtonsoft.Json;
using OpenPipe.Client;
using OpenPipe.Gateway.Backends;
using OpenPipe.Gateway.Caching;
using OpenPipe.Gateway.Limits;
using OpenPipe.Gateway.Storage;
using OpenPipe.Gateway.Upstreams;

namespace OpenPipe.Gateway.Pipeline;

/// <summary>The answer to a JSON request: a completion, or an error to send as is.</summary>
/// <param name="Completion">The completion, on success.</param>
/// <param name="Error">The error, on failure.</param>
/// <param name="CacheHit">Whether the cache answered.</param>
public sealed record CompletionOutcome(ChatCompletion? Completion, GatewayError? Error, bool CacheHit);

/// <summary>The answer to a streaming request: chunks (the first one already received), or an error to send before any byte.</summary>
/// <param name="Chunks">The chunks, on success; enumerate once.</param>
/// <param name="Error">The error, when the stream failed before its first chunk.</param>
/// <param name="CacheHit">Whether the cache answered.</param>
public sealed record StreamOutcome(IAsyncEnumerable<ChatCompletionChunk>? Chunks, GatewayError? Error, bool CacheHit);

/// <summary>
/// Everything the gateway does with one chat completion request, apart from HTTP: validates the
/// op-* headers, answers from the <c>op-cache</c> cache or the routed backend (passing op-* on to an
/// upstream that speaks OpenPipe), stores successful completions in the cache, maps upstream faults
/// onto errors that keep their meaning, and logs every request the caller asked to log, failed ones
/// included, with its status, error and latency. A call that is not logged still has its tokens
/// counted when its key has a tokens-per-day limit. A stream is committed only once its first chunk is in.
/// </summary>
public sealed partial class GatewayChatService(BackendRouter router, ResponseCache cache, RequestLogQueue requestLog, IOptions<GatewayOptions> options, TimeProvider time, ILogger<GatewayChatService> logger)
{
    private readonly LimitOptions limits = options.Value.Limits;

    /// <summary>The backend logged for a request no backend served.</summary>
    private const string NoBackend = RejectionLogger.Backend;

    private ResponseCache Cache => cache;

    /// <summary>Answers a request with <c>stream</c> unset or false.</summary>
    /// <param name="call">The request.</param>
    /// <param name="cancellationToken">Fires when the caller leaves.</param>
    /// <returns>The completion or the error.</returns>
    public async Task<CompletionOutcome> CompleteAsync(GatewayCall call, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(call);
        var run = Start(call);
        if (run.Backend is null)
        {
            return new CompletionOutcome(null, Unrouted(run), false);
        }

        if (ResponseCache.Reads(call.Headers.Cache) && await cache.TryGetAsync(run.CacheKey, cancellationToken).ConfigureAwait(false) is { } cached)
        {
            Finish(run, 200, null, cached, cacheHit: true);
            return new CompletionOutcome(cached, null, true);
        }

        ChatCompletion completion;
        try
        {
            completion = await run.Backend.CompleteAsync(call.Request, run.Forward, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            Finish(run, 499, "The client disconnected.", null, cacheHit: false);
            throw;
        }
        catch (Exception e) when (UpstreamErrors.From(e) is { } error)
        {
            Finish(run, error.Status, error.Message, null, cacheHit: false);
            return new CompletionOutcome(null, error, false);
        }
        catch (Exception e)
        {
            Finish(run, 500, e.Message, null, cacheHit: false);
            throw;
        }

        if (ResponseCache.Writes(call.Headers.Cache))
        {
            await cache.StoreAsync(run.CacheKey, completion, cancellationToken).ConfigureAwait(false);
        }

        Finish(run, 200, null, completion, cacheHit: false);
        return new CompletionOutcome(completion, null, false);
    }

    /// <summary>Answers a request with <c>stream: true</c>: waits for the first chunk, so a failure before it is still an ordinary error.</summary>
    /// <param name="call">The request.</param>
    /// <param name="cancellationToken">Fires when the caller leaves; it also stops the stream.</param>
    /// <returns>The chunks or the error.</returns>
    public async Task<StreamOutcome> StartStreamAsync(GatewayCall call, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(call);
        var run = Start(call);
        if (run.Backend is null)
        {
            return new StreamOutcome(null, Unrouted(run), false);
        }

        bool hit = false;
        bool usageAsked = StreamUsage.Asked(call.Request);
        IAsyncEnumerable<ChatCompletionChunk> source;
        if (ResponseCache.Reads(call.Headers.Cache) && await cache.TryGetAsync(run.CacheKey, cancellationToken).ConfigureAwait(false) is { } cached)
        {
            hit = true;
            source = ToAsync(CompletionStream.Chunks(cached, includeUsage: true));
        }
        else
        {
            // The log, the cache and a token limit need token counts, so the backend is asked for them even when the caller did not ask.
            var request = !usageAsked && (call.Store || ResponseCache.Writes(call.Headers.Cache) || CountsTokens(call)) ? StreamUsage.Requested(call.Request) : call.Request;
            source = run.Backend.StreamAsync(request, run.Forward, cancellationToken);
        }

        var observed = new ObservedStream(this, run, hit, hideUsage: !usageAsked);
        var enumerator = observed.Observe(source, cancellationToken).GetAsyncEnumerator(cancellationToken);
        bool hasFirst;
        try
        {
            hasFirst = await enumerator.MoveNextAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (UpstreamErrors.From(e) is { } error)
        {
            // Observe has logged it; nothing was sent yet, so the caller gets a plain error response.
            await enumerator.DisposeAsync().ConfigureAwait(false);
            return new StreamOutcome(null, error, hit);
        }
        catch
        {
            await enumerator.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return new StreamOutcome(Continue(enumerator, hasFirst), null, hit);
    }

    private static async IAsyncEnumerable<ChatCompletionChunk> Continue(IAsyncEnumerator<ChatCompletionChunk> started, bool hasFirst)
    {
        try
        {
            for (bool has = hasFirst; has; has = await started.MoveNextAsync().ConfigureAwait(false))
            {
                yield return started.Current;
            }
        }
        finally
        {
            await started.DisposeAsync().ConfigureAwait(false);
        }
    }

#pragma warning disable CS1998 // An iterator over a list: nothing to await.
    private static async IAsyncEnumerable<ChatCompletionChunk> ToAsync(IEnumerable<ChatCompletionChunk> chunks)
#pragma warning restore CS1998
    {
        foreach (var chunk in chunks)
        {
            yield return chunk;
        }
    }

    private Run Start(GatewayCall call)
    {
        var backend = router.For(call.Request.Model);
        Telemetry.GatewayTelemetry.RecordRoute(call.Request.Model, backend?.Name ?? NoBackend);
        var forward = new OpenPipeRequestOptions
        {
            LogRequest = call.Headers.LogRequest,
            Cache = call.Headers.Cache,
            Tags = call.Headers.Tags?.ToDictionary(t => t.Key, t => t.Value),
            Criteria = call.Headers.Criteria?.ToList(),
        };
        string cacheKey = call.Headers.Cache is null ? string.Empty : CacheKey.For(call.KeyId, call.Request);
        return new Run(call, backend, forward, cacheKey, time.GetUtcNow(), Stopwatch.GetTimestamp());
    }

    /// <summary>Logs (when asked) and returns the 404 for a model that no route serves.</summary>
    private GatewayError Unrouted(Run run)
    {
        var error = ModelNotFound.For(run.Call.Request.Model);
        Finish(run, error.Status, error.Message, null, cacheHit: false);
        return error;
    }

    private void Finish(Run run, int status, string? error, ChatCompletion? completion, bool cacheHit)
    {
        var call = run.Call;
        double latency = Stopwatch.GetElapsedTime(run.Started).TotalMilliseconds;
        string backend = run.Backend?.Name ?? NoBackend;
        LogRequest(logger, call.Request.Model, backend, status, latency, call.Stream, cacheHit ? "hit" : call.Headers.Cache is null ? "off" : "miss");
        if (!call.Store)
        {
            // The key's tokens-per-day limit counts this call too (a cache hit cost no tokens).
            if (!cacheHit && completion?.Usage?.TotalTokens is > 0 and var tokens && CountsTokens(call))
            {
                requestLog.TryEnqueue(RequestLogEntry.Tokens(call.KeyId, run.ReceivedAt, (long)tokens));
            }

            return;
        }

        requestLog.TryEnqueue(new RequestLogEntry
        {
            ReceivedAt = run.ReceivedAt,
            KeyId = call.KeyId,
            Model = call.Request.Model,
            Backend = backend,
            Stream = call.Stream,
            Status = status,
            Error = error,
            LatencyMs = latency,
            PromptTokens = (long?)completion?.Usage?.PromptTokens,
            CompletionTokens = (long?)completion?.Usage?.CompletionTokens,
            TotalTokens = (long?)completion?.Usage?.TotalTokens,
            RequestJson = OpenPipeJson.Serialize(call.Request),
            ResponseJson = completion is null ? null : OpenPipeJson.Serialize(completion),
            MetadataJson = call.Request.Metadata is null ? null : OpenPipeJson.Serialize(call.Request.Metadata),
            Tags = RequestLogEntry.TagsJson(call.Headers.Tags),
            Criteria = call.Headers.Criteria is null ? null : JsonConvert.SerializeObject(call.Headers.Criteria),
            CacheHit = cacheHit,
            CompletionId = completion?.Id,
        });
    }

    // Debug: the request log already keeps every request, and the console logger writes every line
    // through one queue and one writer, which a line per request at Information would make the bottleneck.
    [LoggerMessage(Level = LogLevel.Debug, Message = "chat.completions model={Model} backend={Backend} status={Status} latency_ms={LatencyMs:0.0} stream={Stream} cache={Cache}")]
    private static partial void LogRequest(ILogger logger, string model, string backend, int status, double latencyMs, bool stream, string cache);

    /// <summary>Whether the caller's key has a tokens-per-day limit, which counts calls that are not logged.</summary>
    private bool CountsTokens(GatewayCall call) => limits.For(call.KeyId).TokensPerDay is not null;

    private sealed record Run(GatewayCall Call, IChatBackend? Backend, OpenPipeRequestOptions Forward, string CacheKey, DateTimeOffset ReceivedAt, long Started);

    /// <summary>
    /// Passes chunks on, merging them (usage included) and leaving usage out of what the caller did not
    /// ask for; when the stream ends (however it ends) logs it, and caches it when it completed.
    /// </summary>
    private sealed class ObservedStream(GatewayChatService service, Run run, bool cacheHit, bool hideUsage)
    {
        public async IAsyncEnumerable<ChatCompletionChunk> Observe(IAsyncEnumerable<ChatCompletionChunk> chunks, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            var merged = new ChatCompletionAccumulator();
            int status = 499;
            string? error = "The client disconnected.";
            var enumerator = chunks.GetAsyncEnumerator(cancellationToken);
            try
            {
                while (true)
                {
                    try
                    {
                        if (!await enumerator.MoveNextAsync().ConfigureAwait(false))
                        {
                            (status, error) = (200, null);
                            break;
                        }
                    }
                    catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                    {
                        throw;
                    }
                    catch (Exception e)
                    {
                        var mapped = UpstreamErrors.From(e);
                        (status, error) = (mapped?.Status ?? 500, mapped?.Message ?? e.Message);
                        if (mapped is null)
                        {
                            throw;
                        }

                        // The caller's stream ends with an error event that says what the upstream did.
                        var headers = mapped.Headers.ToDictionary(h => h.Key, h => (IEnumerable<string>)[h.Value], StringComparer.OrdinalIgnoreCase);
                        throw new OpenPipeApiException(mapped.Message, mapped.Status, mapped.Json, headers, e);
                    }

                    var chunk = enumerator.Current;
                    merged.Append(chunk);
                    if (!hideUsage || StreamUsage.HideFrom(chunk))
                    {
                        yield return chunk;
                    }
                }
            }
            finally
            {
                await enumerator.DisposeAsync().ConfigureAwait(false);
                var completion = merged.ChunkCount > 0 ? merged.ToChatCompletion() : null;
                if (status == 200 && !cacheHit && completion is not null && ResponseCache.Writes(run.Call.Headers.Cache))
                {
                    await service.Cache.StoreAsync(run.CacheKey, completion, CancellationToken.None).ConfigureAwait(false);
                }

                service.Finish(run, status, error, completion, cacheHit);
            }
        }
    }
}
