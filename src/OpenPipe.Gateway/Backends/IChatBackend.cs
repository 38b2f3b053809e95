using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using OpenPipe.Client;

namespace OpenPipe.Gateway.Backends;

/// <summary>Something that answers chat completion requests.</summary>
public interface IChatBackend
{
    /// <summary>The backend's name, as configured and logged.</summary>
    string Name { get; }

    /// <summary>Answers with one completion.</summary>
    /// <param name="request">The request.</param>
    /// <param name="openPipe">The caller's <c>op-*</c> options, for a backend that passes them on.</param>
    /// <param name="cancellationToken">Fires when the client leaves.</param>
    /// <returns>The completion.</returns>
    Task<ChatCompletion> CompleteAsync(ChatCompletionRequest request, OpenPipeRequestOptions? openPipe = null, CancellationToken cancellationToken = default);

    /// <summary>Answers with a stream of chunks.</summary>
    /// <param name="request">The request.</param>
    /// <param name="openPipe">The caller's <c>op-*</c> options, for a backend that passes them on.</param>
    /// <param name="cancellationToken">Fires when the client leaves.</param>
    /// <returns>The chunks.</returns>
    IAsyncEnumerable<ChatCompletionChunk> StreamAsync(ChatCompletionRequest request, OpenPipeRequestOptions? openPipe = null, CancellationToken cancellationToken = default);
}
