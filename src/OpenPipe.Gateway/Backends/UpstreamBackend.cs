using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using OpenPipe.Client;

namespace OpenPipe.Gateway.Backends;

/// <summary>
/// Forwards to an OpenAI-compatible endpoint with the generated <see cref="OpenPipeClient"/>.
/// Unknown request and response fields pass through in the DTOs' AdditionalProperties; a stream is
/// passed on chunk by chunk as it arrives; upstream errors surface as <see cref="OpenPipeApiException"/>
/// with the upstream's status and body.
/// </summary>
public sealed class UpstreamBackend(string name, IOpenPipeClient client) : IChatBackend
{
    /// <inheritdoc />
    public string Name => name;

    /// <inheritdoc />
    public Task<ChatCompletion> CompleteAsync(ChatCompletionRequest request, CancellationToken cancellationToken = default) =>
        client.CreateChatCompletionAsync(request, cancellationToken);

    /// <inheritdoc />
    public IAsyncEnumerable<ChatCompletionChunk> StreamAsync(ChatCompletionRequest request, CancellationToken cancellationToken = default) =>
        client.CreateChatCompletionStreamingAsync(request, cancellationToken);
}
