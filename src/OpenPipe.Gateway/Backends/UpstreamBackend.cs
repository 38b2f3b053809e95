using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using OpenPipe.Client;
using OpenPipe.Gateway.Upstreams;

namespace OpenPipe.Gateway.Backends;

/// <summary>
/// Forwards to an OpenAI-compatible endpoint with the generated <see cref="OpenPipeClient"/>.
/// Unknown request and response fields pass through in the DTOs' AdditionalProperties; a stream is
/// passed on chunk by chunk as it arrives and refused when it is not complete (<see cref="StreamGuard"/>);
/// upstream errors surface as <see cref="OpenPipeApiException"/> with the upstream's status and body.
/// The caller's <c>op-*</c> headers are sent on only to an upstream that speaks OpenPipe.
/// </summary>
/// <param name="name">The upstream's name.</param>
/// <param name="client">The client for it.</param>
/// <param name="speaksOpenPipe">Whether <c>op-*</c> headers are forwarded.</param>
public sealed class UpstreamBackend(string name, IOpenPipeClient client, bool speaksOpenPipe = false) : IChatBackend
{
    /// <inheritdoc />
    public string Name => name;

    /// <summary>Whether the caller's <c>op-*</c> headers are forwarded to this upstream.</summary>
    public bool SpeaksOpenPipe => speaksOpenPipe;

    /// <inheritdoc />
    public Task<ChatCompletion> CompleteAsync(ChatCompletionRequest request, OpenPipeRequestOptions? openPipe = null, CancellationToken cancellationToken = default) =>
        client.CreateChatCompletionAsync(request, speaksOpenPipe ? openPipe : null, cancellationToken);

    /// <inheritdoc />
    public IAsyncEnumerable<ChatCompletionChunk> StreamAsync(ChatCompletionRequest request, OpenPipeRequestOptions? openPipe = null, CancellationToken cancellationToken = default) =>
        StreamGuard.CompleteOnly(client.CreateChatCompletionStreamingAsync(request, speaksOpenPipe ? openPipe : null, cancellationToken), cancellationToken);
}
