// Adds: ChatClientBackend, a gateway backend served by any Microsoft.Extensions.AI IChatClient
// (through OpenPipe.Server's ChatClientCompletionHandler), and AddGatewayChatClient, which registers
// one under a backend name that Gateway:Routes can then send models to.

using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using OpenPipe.Client;
using OpenPipe.Server;

namespace OpenPipe.Gateway.Backends;

/// <summary>A backend that answers with an <see cref="IChatClient"/>.</summary>
public sealed class ChatClientBackend : IChatBackend
{
    private readonly ChatClientCompletionHandler handler;

    /// <summary>Creates the backend.</summary>
    /// <param name="name">The backend's name, as routes name it.</param>
    /// <param name="chatClient">The chat client.</param>
    public ChatClientBackend(string name, IChatClient chatClient)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        Name = name;
        handler = new ChatClientCompletionHandler(chatClient);
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public Task<ChatCompletion> CompleteAsync(ChatCompletionRequest request, OpenPipeRequestOptions? options, CancellationToken cancellationToken = default) =>
        handler.CompleteAsync(request, ContextOf(options), cancellationToken);

    /// <inheritdoc />
    public IAsyncEnumerable<ChatCompletionChunk> StreamAsync(ChatCompletionRequest request, OpenPipeRequestOptions? options, CancellationToken cancellationToken = default) =>
        handler.StreamAsync(request, ContextOf(options), cancellationToken);

    /// <summary>OpenPipe's headers as the handler reads them, so the chat client gets them under OpenPipeChatOptionKeys.</summary>
    private ChatCompletionContext? ContextOf(OpenPipeRequestOptions? options) => options is null ? null : new ChatCompletionContext(new OpenPipeCaller(Name))
    {
        LogRequest = options.LogRequest,
        Cache = options.Cache,
        Tags = options.Tags is { } tags ? new Dictionary<string, TagValue>(tags) : OpenPipeTags.Empty,
        Criteria = options.Criteria is { } criteria ? [.. criteria] : [],
    };
}

/// <summary>Registers IChatClient backends.</summary>
public static class ChatClientBackendExtensions
{
    /// <summary>
    /// Serves the backend <paramref name="name"/> with the chat client <paramref name="factory"/> makes;
    /// route models to it with <c>Gateway:Routes</c> (<c>{"Model": "ollama:*", "Backend": "ollama"}</c>).
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="name">The backend name.</param>
    /// <param name="factory">Makes the chat client, once.</param>
    /// <returns>The services.</returns>
    public static IServiceCollection AddGatewayChatClient(this IServiceCollection services, string name, Func<IServiceProvider, IChatClient> factory)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(factory);
        services.AddSingleton<IChatBackend>(sp => new ChatClientBackend(name, factory(sp)));
        return services;
    }
}
