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
            return StreamChunks(token => stream(request, token));
        }

        return await complete(request, HttpContext.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>Answers with the chunks as server-sent events, ending with <c>data: [DONE]</c>.</summary>
    /// <param name="producer">Makes the chunks; its token fires when the client disconnects.</param>
    /// <returns>The result.</returns>
    protected static ChatCompletionStreamResult StreamChunks(Func<CancellationToken, IAsyncEnumerable<ChatCompletionChunk>> producer) => new(producer);

    /// <summary>Answers with an error in the API's shape.</summary>
    /// <param name="status">The HTTP status code.</param>
    /// <param name="message">What went wrong.</param>
    /// <returns>The result.</returns>
    protected static ObjectResult Error(int status, string message) => OpenPipeErrors.Result(status, message);
}
