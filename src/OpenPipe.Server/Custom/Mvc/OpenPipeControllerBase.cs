// Adds: the base class NSwag's generated ChatCompletionsControllerBase derives from
// (nswag.json: controllerBaseClass). The generated class is abstract but not partial, so what
// every derived controller shares is here: the bearer scheme required on every action, the parsed
// caller and op-* headers, and the helpers that answer JSON or a chunk stream from one action.
// OpenPipeApplicationModelProvider gives these controllers, and only these, the kit's body
// reading, errors and JSON.

using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace OpenPipe.Server;

/// <summary>The base of the generated <see cref="ChatCompletionsControllerBase"/>.</summary>
[Authorize(Policy = OpenPipeDefaults.AuthorizationPolicy)]
[Produces("application/json", "text/event-stream")]
public abstract class OpenPipeControllerBase : ControllerBase
{
    /// <summary>The caller whose API key authenticated this request.</summary>
    protected OpenPipeCaller Caller => User.GetOpenPipeCaller()
        ?? throw new InvalidOperationException("The request is not authenticated with an OpenPipe key.");

    /// <summary>The caller and the parsed op-* headers, as an <see cref="IChatCompletionHandler"/> receives them.</summary>
    protected ChatCompletionContext ChatContext => HttpContext.Features.Get<OpenPipeRequestFeature>()?.Context
        ?? throw new InvalidOperationException("ChatContext is available in actions that take a ChatCompletionRequest.");

    /// <summary>
    /// Answers both modes from one action: with <c>stream: true</c> the chunks of
    /// <paramref name="stream"/> as server-sent events, otherwise the JSON completion of <paramref name="complete"/>.
    /// Both receive the request's <c>RequestAborted</c> token. A stream that fails before its
    /// first chunk is answered like a failed completion, with a real error status.
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
        return await ChatCompletionPipeline.RespondAsync(new DelegateHandler(complete, stream), request, ChatContext, HttpContext).ConfigureAwait(false);
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
    protected Task<ChatCompletionStreamResult> StartStreamAsync(IAsyncEnumerable<ChatCompletionChunk> chunks) =>
        ChatCompletionStreamResult.StartAsync(chunks, HttpContext.RequestAborted);

    /// <summary>Answers with an error in the API's shape.</summary>
    /// <param name="status">The HTTP status code.</param>
    /// <param name="message">What went wrong.</param>
    /// <returns>The result.</returns>
    protected static ObjectResult Error(int status, string message) => OpenPipeErrors.Result(status, message);

    private sealed class DelegateHandler(
        Func<ChatCompletionRequest, CancellationToken, Task<ChatCompletion>> complete,
        Func<ChatCompletionRequest, CancellationToken, IAsyncEnumerable<ChatCompletionChunk>> stream) : IChatCompletionHandler
    {
        public Task<ChatCompletion> CompleteAsync(ChatCompletionRequest request, ChatCompletionContext context, CancellationToken cancellationToken = default) =>
            complete(request, cancellationToken);

        public IAsyncEnumerable<ChatCompletionChunk> StreamAsync(ChatCompletionRequest request, ChatCompletionContext context, CancellationToken cancellationToken = default) =>
            stream(request, cancellationToken);
    }
}
