using System.Collections.Generic;
using System.Threading.Tasks;
using System.Runtime.CompilerServices;
using System.Threading;
using OpenPipe.Client;

namespace OpenPipe.Gateway.Upstreams;

/// <summary>
/// Refuses an upstream stream that is not a complete chat completion: one with no chunk at all (an
/// empty body, a JSON body or garbage sent for a stream request), or one that ends before any choice
/// reached its <c>finish_reason</c> (cut off). Either throws <see cref="UpstreamStreamException"/>, so
/// the caller gets an error (before the first chunk, an ordinary error response; after it, an error
/// event) and never a 200 that ends in <c>[DONE]</c> as if nothing happened.
/// </summary>
public static class StreamGuard
{
    /// <summary>Passes <paramref name="chunks"/> on and checks how they end.</summary>
    /// <param name="chunks">The upstream's chunks.</param>
    /// <param name="cancellationToken">Cancels the stream.</param>
    /// <returns>The same chunks.</returns>
    public static async IAsyncEnumerable<ChatCompletionChunk> CompleteOnly(IAsyncEnumerable<ChatCompletionChunk> chunks, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        int count = 0;
        bool finished = false;
        await foreach (var chunk in chunks.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            count++;
            foreach (var choice in chunk.Choices)
            {
                finished |= choice.FinishReason is not null;
            }

            yield return chunk;
        }

        if (count == 0)
        {
            throw new UpstreamStreamException("The upstream answered the stream request with no chat.completion.chunk events (an empty, JSON or non-SSE body).");
        }

        if (!finished)
        {
            throw new UpstreamStreamException($"The upstream stream ended after {count} chunks without a finish_reason: the answer was cut off.");
        }
    }
}
