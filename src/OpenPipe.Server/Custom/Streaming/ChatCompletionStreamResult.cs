// Adds: ChatCompletionStreamResult, the text/event-stream answer of a streamed completion. Each
// chunk from the producer is written as `data: <json>` with System.Net.ServerSentEvents'
// SseFormatter and flushed at once (response buffering off, Cache-Control: no-cache), then
// `data: [DONE]`. HttpContext.RequestAborted flows into the producer, so a client that leaves
// stops generation. A producer that throws mid-stream ends the stream with an error event
// (`data: {"error": {...}}`) instead of a torn connection; the details go to the log only.
// Each write has a time limit (OpenPipeServerOptions.StreamWriteTimeout): a client that stops
// reading is disconnected. StartAsync waits for the first chunk before anything is sent, so a failure before it can still
// be answered with a real status. Works as an MVC ActionResult and as a minimal-API IResult.

using System;
using System.Collections.Generic;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace OpenPipe.Server;

/// <summary>Writes a stream of <see cref="ChatCompletionChunk"/> as server-sent events.</summary>
public sealed class ChatCompletionStreamResult : ActionResult, IResult
{
    private readonly Func<CancellationToken, IAsyncEnumerable<ChatCompletionChunk>> producer;

    /// <summary>Creates the result.</summary>
    /// <param name="producer">Makes the chunks; its token is the request's <c>RequestAborted</c>.</param>
    public ChatCompletionStreamResult(Func<CancellationToken, IAsyncEnumerable<ChatCompletionChunk>> producer)
    {
        ArgumentNullException.ThrowIfNull(producer);
        this.producer = producer;
    }

    /// <summary>
    /// Starts <paramref name="chunks"/> and waits for its first chunk before committing to a 200
    /// stream, so a failure before any chunk (an upstream error status, say) is thrown here, where
    /// it can still become an ordinary error response.
    /// </summary>
    /// <param name="chunks">The chunks.</param>
    /// <param name="cancellationToken">The request's <c>RequestAborted</c> token; it reaches the producer.</param>
    /// <returns>The stream result, which replays the first chunk and continues with the rest.</returns>
    public static async Task<ChatCompletionStreamResult> StartAsync(IAsyncEnumerable<ChatCompletionChunk> chunks, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(chunks);
        IAsyncEnumerator<ChatCompletionChunk> enumerator = chunks.GetAsyncEnumerator(cancellationToken);
        bool hasFirst;
        try
        {
            hasFirst = await enumerator.MoveNextAsync().ConfigureAwait(false);
        }
        catch
        {
            await enumerator.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return new ChatCompletionStreamResult(_ => Continue(enumerator, hasFirst));
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

    /// <inheritdoc />
    public override Task ExecuteResultAsync(ActionContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return ExecuteAsync(context.HttpContext);
    }

    /// <inheritdoc />
    public async Task ExecuteAsync(HttpContext httpContext)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        HttpContext http = httpContext;
        CancellationToken aborted = http.RequestAborted;
        var logger = http.RequestServices.GetService<ILoggerFactory>()?.CreateLogger<ChatCompletionStreamResult>()
            ?? (ILogger)NullLogger.Instance;

        http.Response.StatusCode = StatusCodes.Status200OK;
        http.Response.ContentType = ChatCompletionStream.MediaType;
        http.Response.Headers.CacheControl = "no-cache";
        http.Response.Headers["X-Accel-Buffering"] = "no";
        http.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();

        try
        {
            // A client that stops reading is cut after the write time limit instead of holding buffers forever.
            TimeSpan writeTimeout = http.RequestServices.GetService<OpenPipeServerRuntime>()?.Options.StreamWriteTimeout ?? TimeSpan.FromSeconds(30);
            using var body = new StalledReaderGuard(http.Response.Body, http, writeTimeout);
            await body.FlushAsync(aborted).ConfigureAwait(false);
            await SseFormatter.WriteAsync(Events(producer(aborted), logger, aborted), body, Format, aborted).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested)
        {
            // The client left, or stopped reading and was cut; the producer has been told through the same token.
        }
    }

    /// <summary>Events carry either a chunk or preformatted text ([DONE], an error).</summary>
    private static async IAsyncEnumerable<SseItem<object>> Events(IAsyncEnumerable<ChatCompletionChunk> chunks, ILogger logger, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        IAsyncEnumerator<ChatCompletionChunk> enumerator = chunks.GetAsyncEnumerator(cancellationToken);
        string? error = null;
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
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    throw;
                }
                catch (Exception e)
                {
                    if (e is OpenPipeApiException)
                    {
                        logger.LogWarning(e, "The chat completion stream failed after it started ({Message}); ending it with an error event.", e.Message);
                    }
                    else
                    {
                        logger.LogError(e, "The chat completion stream failed after it started; ending it with an error event.");
                    }

                    error = OpenPipeJson.Serialize(OpenPipeErrors.StreamError(e));
                    break;
                }

                yield return new SseItem<object>(chunk);
            }
        }
        finally
        {
            await enumerator.DisposeAsync().ConfigureAwait(false);
        }

        yield return new SseItem<object>(error ?? ChatCompletionStream.Done);
    }

    /// <summary>Writes each event's data into the formatter's buffer as UTF-8, the wire's JSON for a chunk or an error event; no string per chunk.</summary>
    private static void Format(SseItem<object> item, System.Buffers.IBufferWriter<byte> destination)
    {
        if (item.Data is string preformatted)
        {
            System.Text.EncodingExtensions.GetBytes(System.Text.Encoding.UTF8, preformatted.AsSpan(), destination);
            return;
        }

        OpenPipeJson.Serialize(destination, item.Data);
    }
}
