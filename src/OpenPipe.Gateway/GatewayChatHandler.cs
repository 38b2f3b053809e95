using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Logging;
using OpenPipe.Client;
using OpenPipe.Gateway.Backends;
using OpenPipe.Gateway.RequestLog;
using OpenPipe.Server;

namespace OpenPipe.Gateway;

/// <summary>
/// The gateway's chat completions handler: picks the backend by model, answers JSON or a stream,
/// writes one structured log line per request, and queues a request-log entry when the request
/// asks to be stored. Upstream errors are rethrown as <see cref="OpenPipeApiException"/>, which the
/// server passes through with their status and body.
/// </summary>
public sealed partial class GatewayChatHandler(BackendRouter router, RequestLogQueue requestLog, TimeProvider time, ILogger<GatewayChatHandler> logger)
    : IChatCompletionHandler
{
    /// <inheritdoc />
    public async Task<ChatCompletion> CompleteAsync(ChatCompletionRequest request, ChatCompletionContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        var backend = router.For(request.Model);
        var call = Start(request, context, backend.Name);
        try
        {
            var completion = await backend.CompleteAsync(request, cancellationToken).ConfigureAwait(false);
            Finish(call, 200, null, completion);
            return completion;
        }
        catch (OpenPipeApiException e)
        {
            Finish(call, StatusOf(e), e.Message, null);
            throw;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            Finish(call, 499, "The client disconnected.", null);
            throw;
        }
    }

    /// <inheritdoc />
    public IAsyncEnumerable<ChatCompletionChunk> StreamAsync(ChatCompletionRequest request, ChatCompletionContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        var backend = router.For(request.Model);
        return Observe(backend.StreamAsync(request, cancellationToken), Start(request, context, backend.Name), cancellationToken);
    }

    private Call Start(ChatCompletionRequest request, ChatCompletionContext context, string backend) =>
        new(request, backend, context.Caller.KeyId, request.Store == true || context.LogRequest == true,
            context.Tags.Count == 0 ? null : OpenPipeJson.Serialize(context.Tags), time.GetUtcNow(), Stopwatch.GetTimestamp());

    private static int StatusOf(OpenPipeApiException e) => e.StatusCode is >= 400 and < 600 ? e.StatusCode : 502;

    /// <summary>Passes the chunks on as they come, merging them for the log; logs once when the stream ends however it ends.</summary>
    private async IAsyncEnumerable<ChatCompletionChunk> Observe(IAsyncEnumerable<ChatCompletionChunk> chunks, Call call, [EnumeratorCancellation] CancellationToken cancellationToken)
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
                catch (OpenPipeApiException e)
                {
                    (status, error) = (StatusOf(e), e.Message);
                    throw;
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    (status, error) = (500, e.Message);
                    throw;
                }

                merged.Append(enumerator.Current);
                yield return enumerator.Current;
            }
        }
        finally
        {
            await enumerator.DisposeAsync().ConfigureAwait(false);
            Finish(call, status, error, merged.ChunkCount > 0 ? merged.ToChatCompletion() : null);
        }
    }

    private void Finish(Call call, int status, string? error, ChatCompletion? completion)
    {
        double latency = Stopwatch.GetElapsedTime(call.Started).TotalMilliseconds;
        LogRequest(logger, call.Request.Model, call.Backend, status, latency, call.Request.Stream == true);
        if (!call.Store)
        {
            return;
        }

        requestLog.TryEnqueue(new RequestLogEntry
        {
            ReceivedAt = call.ReceivedAt,
            KeyId = call.KeyId,
            Model = call.Request.Model,
            Backend = call.Backend,
            Stream = call.Request.Stream == true,
            Status = status,
            Error = error,
            LatencyMs = latency,
            PromptTokens = (long?)completion?.Usage?.PromptTokens,
            CompletionTokens = (long?)completion?.Usage?.CompletionTokens,
            TotalTokens = (long?)completion?.Usage?.TotalTokens,
            RequestJson = OpenPipeJson.Serialize(call.Request),
            ResponseJson = completion is null ? null : OpenPipeJson.Serialize(completion),
            MetadataJson = call.Request.Metadata is null ? null : OpenPipeJson.Serialize(call.Request.Metadata),
            Tags = call.Tags,
        });
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "chat.completions model={Model} backend={Backend} status={Status} latency_ms={LatencyMs:0.0} stream={Stream}")]
    private static partial void LogRequest(ILogger logger, string model, string backend, int status, double latencyMs, bool stream);

    private sealed record Call(ChatCompletionRequest Request, string Backend, string KeyId, bool Store, string? Tags, DateTimeOffset ReceivedAt, long Started);
}
