// Adds: ChatCompletionStreamResult, the text/event-stream answer of a streamed completion. Each
// chunk from the producer is written as `data: <json>` with System.Net.ServerSentEvents'
// SseFormatter and flushed at once (response buffering off, Cache-Control: no-cache), then
// `data: [DONE]`. HttpContext.RequestAborted flows into the producer, so a client that leaves
// stops generation. A producer that throws mid-stream ends the stream with an error event
// (`data: {"error": {...}}`) instead of a torn connection; the details go to the log only.

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
using OpenPipe.Client;

namespace OpenPipe.Server;

/// <summary>Writes a stream of <see cref="ChatCompletionChunk"/> as server-sent events.</summary>
public sealed class ChatCompletionStreamResult : ActionResult
{
    private const string Done = "[DONE]";
    private readonly Func<CancellationToken, IAsyncEnumerable<ChatCompletionChunk>> producer;

    /// <summary>Creates the result.</summary>
    /// <param name="producer">Makes the chunks; its token is the request's <c>RequestAborted</c>.</param>
    public ChatCompletionStreamResult(Func<CancellationToken, IAsyncEnumerable<ChatCompletionChunk>> producer)
    {
        ArgumentNullException.ThrowIfNull(producer);
        this.producer = producer;
    }

    /// <inheritdoc />
    public override async Task ExecuteResultAsync(ActionContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        HttpContext http = context.HttpContext;
        CancellationToken aborted = http.RequestAborted;
        var logger = http.RequestServices.GetService<ILoggerFactory>()?.CreateLogger<ChatCompletionStreamResult>()
            ?? (ILogger)NullLogger.Instance;

        http.Response.StatusCode = StatusCodes.Status200OK;
        http.Response.ContentType = "text/event-stream";
        http.Response.Headers.CacheControl = "no-cache";
        http.Response.Headers["X-Accel-Buffering"] = "no";
        http.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();

        try
        {
            await http.Response.Body.FlushAsync(aborted).ConfigureAwait(false);
            await SseFormatter.WriteAsync(Events(producer(aborted), logger, aborted), http.Response.Body, aborted).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested)
        {
            // The client left; the producer has been told through the same token.
        }
    }

    private static async IAsyncEnumerable<SseItem<string>> Events(IAsyncEnumerable<ChatCompletionChunk> chunks, ILogger logger, [EnumeratorCancellation] CancellationToken cancellationToken)
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
                    logger.LogError(e, "The chat completion stream failed after it started; ending it with an error event.");
                    error = OpenPipeJson.Serialize(new { error = new OpenAIError { Message = "The stream failed: internal error.", Code = "INTERNAL_SERVER_ERROR", Type = "server_error" } });
                    break;
                }

                yield return new SseItem<string>(OpenPipeJson.Serialize(chunk));
            }
        }
        finally
        {
            await enumerator.DisposeAsync().ConfigureAwait(false);
        }

        yield return new SseItem<string>(error ?? Done);
    }
}
