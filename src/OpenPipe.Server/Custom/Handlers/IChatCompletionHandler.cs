// Adds: IChatCompletionHandler, the one contract an implementer writes: a completion for a request,
// or its chunks. Both mappings (MapOpenPipeChatCompletions and the MVC controller) call it after
// authentication, header parsing and body validation, and write what it returns.

using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace OpenPipe.Server;

/// <summary>
/// Answers POST /chat/completions. The request is authenticated and valid when a method is
/// called; the OpenPipe headers arrive parsed in <see cref="ChatCompletionContext"/>.
/// </summary>
/// <remarks>
/// Throw <see cref="OpenPipeApiException"/> to answer with its status and body (an upstream's error
/// passes through); any other exception is a 500 with a generic message and the details logged.
/// A stream that fails before its first chunk gets the same error response; after it, the stream
/// ends with an error event.
/// </remarks>
public interface IChatCompletionHandler
{
    /// <summary>Answers a request with <c>stream</c> unset or false.</summary>
    /// <param name="request">The validated request.</param>
    /// <param name="context">The caller and the OpenPipe headers.</param>
    /// <param name="cancellationToken">Fires when the client disconnects.</param>
    /// <returns>The completion; build it with <see cref="ChatCompletion.Create(string, IList{ChatCompletionChoice}, Usage?, string?, System.DateTimeOffset?)"/>.</returns>
    Task<ChatCompletion> CompleteAsync(ChatCompletionRequest request, ChatCompletionContext context, CancellationToken cancellationToken = default);

    /// <summary>Answers a request with <c>stream: true</c>, one chunk at a time.</summary>
    /// <param name="request">The validated request.</param>
    /// <param name="context">The caller and the OpenPipe headers.</param>
    /// <param name="cancellationToken">Fires when the client disconnects.</param>
    /// <returns>The chunks; build them with <see cref="ChatCompletionChunk.Delta(string, string, System.DateTimeOffset, ChatCompletionChunkDelta, FinishReason?, int)"/>.</returns>
    IAsyncEnumerable<ChatCompletionChunk> StreamAsync(ChatCompletionRequest request, ChatCompletionContext context, CancellationToken cancellationToken = default);
}
