// Adds: the base class NSwag's generated ChatCompletionsControllerBase derives from
// (nswag.json: controllerBaseClass). The generated class is abstract but not partial, so what
// every derived controller shares is here: the bearer scheme required on every action, the
// helpers that answer JSON or a chunk stream from one action, and the authenticated caller.

using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using OpenPipe.Client;

namespace OpenPipe.Server;

/// <summary>The base of the generated <see cref="ChatCompletionsControllerBase"/>.</summary>
[ApiController]
[Authorize(AuthenticationSchemes = OpenPipeBearerDefaults.AuthenticationScheme)]
[Produces("application/json", "text/event-stream")]
public abstract class OpenPipeControllerBase : ControllerBase
{
    /// <summary>The caller whose API key authenticated this request.</summary>
    protected OpenPipeCaller Caller => User.GetOpenPipeCaller()
        ?? throw new InvalidOperationException("The request is not authenticated with an OpenPipe key.");

    /// <summary>
    /// Answers both modes from one action: with <c>stream: true</c> the chunks of
    /// <paramref name="stream"/> as server-sent events, otherwise the JSON completion of <paramref name="complete"/>.
    /// Both receive the request's <c>RequestAborted</c> token.
    /// </summary>
    /// <param name="request">The request.</param>
    /// <param name="complete">Makes the completion.</param>
    /// <param name="stream">Makes the chunks.</param>
    /// <returns>The action's result.</returns>
    protected async Task<ActionResult<ChatCompletion>> RespondAsync(
        ChatCompletionRequest request,
        Func<ChatCompletionRequest, CancellationToken, Task<ChatCompletion>> complete,
        Func<ChatCompletionRequest, CancellationToken, IAsyncEnumerable<ChatCompletionChunk>> stream)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(complete);
        ArgumentNullException.ThrowIfNull(stream);
        if (request.Stream == true)
        {
            return StreamChunks(token => OpenPipeServerTelemetry.StreamAsync(request, stream(request, token), token));
        }

        return await OpenPipeServerTelemetry.CompleteAsync(request, complete, HttpContext.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>Answers with the chunks as server-sent events, ending with <c>data: [DONE]</c>.</summary>
    /// <param name="producer">Makes the chunks; its token fires when the client disconnects.</param>
    /// <returns>The result.</returns>
    protected static ChatCompletionStreamResult StreamChunks(Func<CancellationToken, IAsyncEnumerable<ChatCompletionChunk>> producer) => new(producer);

    /// <summary>
    /// Starts <paramref name="chunks"/> and waits for its first chunk before committing to a 200
    /// stream, so a failure before any chunk (an upstream error status, say) surfaces here as an
    /// exception the action can still turn into an ordinary error response.
    /// </summary>
    /// <param name="chunks">The chunks; enumerated with the request's <c>RequestAborted</c> token.</param>
    /// <returns>The stream result, which replays the first chunk and continues with the rest.</returns>
    protected async Task<ChatCompletionStreamResult> StartStreamAsync(IAsyncEnumerable<ChatCompletionChunk> chunks)
    {
        ArgumentNullException.ThrowIfNull(chunks);
        IAsyncEnumerator<ChatCompletionChunk> enumerator = chunks.GetAsyncEnumerator(HttpContext.RequestAborted);
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

    /// <summary>Answers with an error in the API's shape.</summary>
    /// <param name="status">The HTTP status code.</param>
    /// <param name="message">What went wrong.</param>
    /// <returns>The result.</returns>
    protected static ObjectResult Error(int status, string message) => OpenPipeErrors.Result(status, message);
}
