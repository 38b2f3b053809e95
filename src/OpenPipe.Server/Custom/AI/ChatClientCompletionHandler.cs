// Adds: ChatClientCompletionHandler, which serves any Microsoft.Extensions.AI IChatClient (one from
// Microsoft.Extensions.AI.OpenAI, Ollama's, or your own) through the kit's endpoint: the request
// becomes ChatMessages and ChatOptions (the request itself is the options' raw representation), the
// response or its updates become a chat.completion or chat.completion.chunk objects. OpenPipe's
// headers (op-tags, op-cache, op-log-request, op-criteria) travel on in ChatOptions.AdditionalProperties,
// so an OpenPipe chat client underneath forwards them.

using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.AI;

namespace OpenPipe.Server;

/// <summary>
/// Answers chat completion requests with an <see cref="IChatClient"/>: register it with
/// <c>AddOpenPipeServer&lt;ChatClientCompletionHandler&gt;()</c> next to an <see cref="IChatClient"/>.
/// </summary>
public sealed class ChatClientCompletionHandler : IChatCompletionHandler
{
    private readonly IChatClient chatClient;

    /// <summary>Creates the handler.</summary>
    /// <param name="chatClient">The chat client that answers; not disposed by the handler.</param>
    public ChatClientCompletionHandler(IChatClient chatClient)
    {
        ArgumentNullException.ThrowIfNull(chatClient);
        this.chatClient = chatClient;
    }

    /// <summary>Answers with one completion.</summary>
    /// <param name="request">The request.</param>
    /// <param name="context">The caller and OpenPipe's headers; null when called outside the endpoint.</param>
    /// <param name="cancellationToken">Fires when the client leaves.</param>
    /// <returns>The completion.</returns>
    public async Task<ChatCompletion> CompleteAsync(ChatCompletionRequest request, ChatCompletionContext? context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var response = await chatClient.GetResponseAsync(OpenPipeChatMapping.ToChatMessages(request), Options(request, context), cancellationToken).ConfigureAwait(false);
        return OpenPipeChatMapping.ToChatCompletion(response, request.Model);
    }

    /// <summary>Answers with a stream of chunks: text as it comes, tool calls whole, usage last when the request asks for it.</summary>
    /// <param name="request">The request.</param>
    /// <param name="context">The caller and OpenPipe's headers; null when called outside the endpoint.</param>
    /// <param name="cancellationToken">Fires when the client leaves.</param>
    /// <returns>The chunks.</returns>
    public IAsyncEnumerable<ChatCompletionChunk> StreamAsync(ChatCompletionRequest request, ChatCompletionContext? context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return StreamCoreAsync(request, Options(request, context), cancellationToken);
    }

    /// <summary>The request's options, with OpenPipe's headers under <see cref="OpenPipeChatOptionKeys"/>.</summary>
    private static ChatOptions Options(ChatCompletionRequest request, ChatCompletionContext? context)
    {
        var options = OpenPipeChatMapping.ToChatOptions(request);
        if (context is null)
        {
            return options;
        }

        var extra = options.AdditionalProperties ??= [];
        if (context.LogRequest is { } log)
        {
            extra[OpenPipeChatOptionKeys.LogRequest] = log;
        }

        if (context.Cache is { } cache)
        {
            extra[OpenPipeChatOptionKeys.Cache] = cache;
        }

        if (context.Tags.Count > 0)
        {
            extra[OpenPipeChatOptionKeys.Tags] = context.Tags.ToDictionary(t => t.Key, t => t.Value);
        }

        if (context.Criteria.Count > 0)
        {
            extra[OpenPipeChatOptionKeys.Criteria] = context.Criteria.ToList();
        }

        return options;
    }

    private async IAsyncEnumerable<ChatCompletionChunk> StreamCoreAsync(ChatCompletionRequest request, ChatOptions options, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string id = "chatcmpl-" + Guid.NewGuid().ToString("N");
        long created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        string model = request.Model;
        bool first = true, toolCalls = false, passthrough = false;
        int toolIndex = 0;
        ChatFinishReason? finish = null;
        UsageDetails? usage = null;
        await foreach (var update in chatClient.GetStreamingResponseAsync(OpenPipeChatMapping.ToChatMessages(request), options, cancellationToken).ConfigureAwait(false))
        {
            if (update.RawRepresentation is ChatCompletionChunk raw)
            {
                // An OpenPipe client underneath: pass its chunks on as they are (they already carry finish and usage).
                passthrough = true;
                yield return raw;
                continue;
            }

            if (passthrough)
            {
                // Updates such a client makes up itself (its merged tool calls) repeat what the chunks said.
                continue;
            }

            if (first && update.ResponseId is { Length: > 0 } responseId)
            {
                id = responseId;
            }

            model = update.ModelId ?? model;
            finish = update.FinishReason ?? finish;
            var delta = new ChatCompletionChunkDelta();
            if (first)
            {
                delta.Role = OpenPipe.ChatRole.Assistant;
            }

            foreach (var content in update.Contents)
            {
                switch (content)
                {
                    case TextReasoningContent reasoning:
                        delta.ReasoningContent += reasoning.Text;
                        break;
                    case TextContent text:
                        delta.Content += text.Text;
                        break;
                    case FunctionCallContent call:
                        toolCalls = true;
                        (delta.ToolCalls ??= []).Add(new ChatCompletionChunkToolCall
                        {
                            Index = toolIndex++,
                            Id = call.CallId,
                            Type = ToolType.Function,
                            Function = new FunctionCall
                            {
                                Name = call.Name,
                                Arguments = System.Text.Json.JsonSerializer.Serialize(call.Arguments ?? new Dictionary<string, object?>(), AIJsonUtilities.DefaultOptions),
                            },
                        });
                        break;
                    case UsageContent u:
                        usage = usage is null ? u.Details : Add(usage, u.Details);
                        break;
                }
            }

            if (!first && delta.Content is null && delta.ReasoningContent is null && delta.ToolCalls is null)
            {
                continue;
            }

            first = false;
            yield return Chunk(id, created, model, delta, null);
        }

        if (passthrough)
        {
            yield break;
        }

        yield return Chunk(id, created, model, new ChatCompletionChunkDelta(), OpenPipeChatMapping.ToWireFinishReason(finish, toolCalls));
        if (request.StreamOptions?.IncludeUsage == true && usage is not null)
        {
            yield return new ChatCompletionChunk
            {
                Id = id,
                Object = "chat.completion.chunk",
                Created = created,
                Model = model,
                Choices = [],
                Usage = OpenPipeChatMapping.ToWireUsage(usage),
            };
        }
    }

    private static UsageDetails Add(UsageDetails total, UsageDetails more)
    {
        total.Add(more);
        return total;
    }

    private static ChatCompletionChunk Chunk(string id, long created, string model, ChatCompletionChunkDelta delta, FinishReason? finish) => new()
    {
        Id = id,
        Object = "chat.completion.chunk",
        Created = created,
        Model = model,
        Choices = [new ChatCompletionChunkChoice { Index = 0, Delta = delta, FinishReason = finish }],
    };
}
