// Adds: OpenPipeChatClient, Microsoft.Extensions.AI's IChatClient over IOpenPipeClient, and the
// AsIChatClient() extensions. Non-streaming and streaming calls map to the generated client's two
// calls; tool-call fragments of a stream are gathered and surface as FunctionCallContent when
// the stream ends, as Microsoft.Extensions.AI.OpenAI does; errors stay OpenPipeApiException.

using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.AI;
using AIChatRole = Microsoft.Extensions.AI.ChatRole;

namespace OpenPipe.Client;

/// <summary>
/// An <see cref="IChatClient"/> over OpenPipe's chat completions API. OpenPipe's per-request options
/// travel in <see cref="ChatOptions.AdditionalProperties"/> under the keys of <see cref="OpenPipeChatOptionKeys"/>.
/// </summary>
public sealed class OpenPipeChatClient : IChatClient
{
    private readonly IOpenPipeClient client;
    private readonly string? defaultModelId;
    private readonly ChatClientMetadata metadata;

    /// <summary>Creates the chat client.</summary>
    /// <param name="client">The OpenPipe client; not disposed by this object.</param>
    /// <param name="defaultModelId">The model used when <see cref="ChatOptions.ModelId"/> is not set.</param>
    public OpenPipeChatClient(IOpenPipeClient client, string? defaultModelId = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        this.client = client;
        this.defaultModelId = defaultModelId;
        Uri? baseUrl = client is OpenPipeClient concrete && Uri.TryCreate(concrete.BaseUrl, UriKind.Absolute, out var u) ? u : null;
        metadata = new ChatClientMetadata(OpenPipeChatMapping.ProviderName, baseUrl, defaultModelId);
    }

    /// <inheritdoc />
    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var request = OpenPipeChatMapping.ToRequest(messages, options, defaultModelId);
        request.Stream = null;
        var completion = await client.CreateChatCompletionAsync(request, OpenPipeChatMapping.ToRequestOptions(options), cancellationToken).ConfigureAwait(false);
        return OpenPipeChatMapping.ToChatResponse(completion);
    }

    /// <inheritdoc />
    public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var request = OpenPipeChatMapping.ToRequest(messages, options, defaultModelId);
        request.StreamOptions ??= new StreamOptions { IncludeUsage = true };
        return StreamAsync(request, OpenPipeChatMapping.ToRequestOptions(options), cancellationToken);
    }

    /// <inheritdoc />
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceKey is not null ? null
            : serviceType == typeof(ChatClientMetadata) ? metadata
            : serviceType.IsInstanceOfType(client) ? client
            : serviceType.IsInstanceOfType(this) ? this
            : null;
    }

    /// <summary>Does nothing: the OpenPipe client belongs to the caller.</summary>
    public void Dispose()
    {
    }

    private async IAsyncEnumerable<ChatResponseUpdate> StreamAsync(ChatCompletionRequest request, OpenPipeRequestOptions? requestOptions, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // Tool-call fragments by index: id and name arrive first, arguments in pieces.
        SortedDictionary<int, (string? Id, string? Name, StringBuilder Arguments)>? calls = null;
        string? responseId = null, modelId = null;
        DateTimeOffset? createdAt = null;
        ChatFinishReason? finishReason = null;
        await foreach (var chunk in client.CreateChatCompletionStreamingAsync(request, requestOptions, cancellationToken).ConfigureAwait(false))
        {
            responseId ??= chunk.Id;
            modelId ??= chunk.Model;
            createdAt ??= OpenPipeChatMapping.ToDate(chunk.Created);
            var update = new ChatResponseUpdate
            {
                ResponseId = chunk.Id,
                MessageId = chunk.Id,
                ModelId = chunk.Model,
                CreatedAt = OpenPipeChatMapping.ToDate(chunk.Created),
                Role = AIChatRole.Assistant,
                RawRepresentation = chunk,
            };

            // Only the first choice is surfaced, as for the non-streaming call.
            var choice = chunk.Choices.FirstOrDefault(c => c.Index == 0);
            if (choice is not null)
            {
                var delta = choice.Delta;
                if (!string.IsNullOrEmpty(delta.ReasoningContent))
                {
                    update.Contents.Add(new TextReasoningContent(delta.ReasoningContent));
                }

                if (!string.IsNullOrEmpty(delta.Content))
                {
                    update.Contents.Add(new TextContent(delta.Content));
                }

                if (!string.IsNullOrEmpty(delta.Refusal))
                {
                    update.Contents.Add(new ErrorContent(delta.Refusal) { ErrorCode = "refusal" });
                }

                foreach (var fragment in delta.ToolCalls ?? [])
                {
                    calls ??= [];
                    int index = (int)fragment.Index;
                    var call = calls.TryGetValue(index, out var existing) ? existing : (null, null, new StringBuilder());
                    call.Id ??= fragment.Id;
                    call.Name ??= fragment.Function?.Name;
                    call.Arguments.Append(fragment.Function?.Arguments);
                    calls[index] = call;
                }

                if (choice.FinishReason is { } reason)
                {
                    update.FinishReason = finishReason = OpenPipeChatMapping.ToFinishReason(reason);
                }
            }

            if (chunk.Usage is { } usage)
            {
                update.Contents.Add(new UsageContent(OpenPipeChatMapping.ToUsage(usage)));
            }

            yield return update;
        }

        if (calls is { Count: > 0 })
        {
            var final = new ChatResponseUpdate
            {
                ResponseId = responseId,
                MessageId = responseId,
                ModelId = modelId,
                CreatedAt = createdAt,
                Role = AIChatRole.Assistant,
                FinishReason = finishReason,
            };
            foreach (var (id, name, arguments) in calls.Values)
            {
                final.Contents.Add(OpenPipeChatMapping.ToFunctionCall(id ?? string.Empty, name ?? string.Empty, arguments.ToString()));
            }

            yield return final;
        }
    }
}

/// <summary>Wraps OpenPipe clients as Microsoft.Extensions.AI chat clients.</summary>
public static class OpenPipeChatClientExtensions
{
    /// <summary>An <see cref="IChatClient"/> over this client.</summary>
    /// <param name="client">The OpenPipe client; it stays the caller's to dispose.</param>
    /// <param name="defaultModelId">The model used when <see cref="ChatOptions.ModelId"/> is not set.</param>
    /// <returns>The chat client.</returns>
    public static IChatClient AsIChatClient(this IOpenPipeClient client, string? defaultModelId = null) =>
        new OpenPipeChatClient(client, defaultModelId);
}
