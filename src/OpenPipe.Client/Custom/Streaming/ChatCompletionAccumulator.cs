// Adds: ChatCompletionAccumulator and ToChatCompletionAsync, which merge the chunks of a stream
// into the ChatCompletion a non-streaming call would have returned: content, refusal and
// reasoning_content concatenated, tool-call fragments merged by index (arguments concatenated),
// the deprecated function_call likewise, finish_reason, logprobs and usage.

using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace OpenPipe.Client;

/// <summary>Merges the chunks of a streamed completion into one <see cref="ChatCompletion"/>.</summary>
public sealed class ChatCompletionAccumulator
{
    private readonly SortedDictionary<int, ChoiceState> choices = [];
    private string? id;
    private string? model;
    private long created;
    private Usage? usage;

    /// <summary>How many chunks were added.</summary>
    public int ChunkCount { get; private set; }

    /// <summary>Adds the next chunk.</summary>
    /// <param name="chunk">The chunk, in stream order.</param>
    public void Append(ChatCompletionChunk chunk)
    {
        ArgumentNullException.ThrowIfNull(chunk);
        ChunkCount++;
        id ??= chunk.Id;
        model ??= chunk.Model;
        if (created == 0)
        {
            created = chunk.Created;
        }

        usage = chunk.Usage ?? usage;
        foreach (var choice in chunk.Choices ?? [])
        {
            int index = (int)choice.Index;
            if (!choices.TryGetValue(index, out var state))
            {
                choices[index] = state = new ChoiceState();
            }

            state.Append(choice);
        }
    }

    /// <summary>The completion the chunks so far add up to.</summary>
    /// <returns>A new <see cref="ChatCompletion"/>.</returns>
    public ChatCompletion ToChatCompletion() => new()
    {
        Id = id ?? string.Empty,
        Object = ChatCompletion.ObjectType,
        Created = created,
        Model = model ?? string.Empty,
        Choices = choices.Select(c => c.Value.ToChoice(c.Key)).ToList(),
        Usage = usage,
    };

    private sealed class ChoiceState
    {
        private readonly StringBuilder content = new();
        private readonly SortedDictionary<int, ToolCallState> toolCalls = [];
        private StringBuilder? refusal;
        private StringBuilder? reasoning;
        private FunctionCall? functionCall;
        private string? role;
        private FinishReason? finishReason;
        private List<TokenLogprob>? contentLogprobs;
        private List<TokenLogprob>? refusalLogprobs;
        private bool hasContent;

        public void Append(ChatCompletionChunkChoice choice)
        {
            var delta = choice.Delta;
            if (delta is not null)
            {
                role ??= delta.Role?.Value;
                if (delta.Content is not null)
                {
                    content.Append(delta.Content);
                    hasContent = true;
                }

                if (delta.Refusal is not null)
                {
                    (refusal ??= new StringBuilder()).Append(delta.Refusal);
                }

                if (delta.ReasoningContent is not null)
                {
                    (reasoning ??= new StringBuilder()).Append(delta.ReasoningContent);
                }

                if (delta.FunctionCall is { } fc)
                {
                    functionCall ??= new FunctionCall { Name = string.Empty, Arguments = string.Empty };
                    functionCall.Name += fc.Name ?? string.Empty;
                    functionCall.Arguments += fc.Arguments ?? string.Empty;
                }

                foreach (var fragment in delta.ToolCalls ?? [])
                {
                    int index = (int)fragment.Index;
                    if (!toolCalls.TryGetValue(index, out var call))
                    {
                        toolCalls[index] = call = new ToolCallState();
                    }

                    call.Append(fragment);
                }
            }

            finishReason = choice.FinishReason ?? finishReason;
            if (choice.Logprobs?.Content is { } c)
            {
                (contentLogprobs ??= []).AddRange(c);
            }

            if (choice.Logprobs?.Refusal is { } r)
            {
                (refusalLogprobs ??= []).AddRange(r);
            }
        }

        public ChatCompletionChoice ToChoice(int index) => new()
        {
            Index = index,
            FinishReason = finishReason ?? default,
            Message = new ChatCompletionResponseMessage
            {
                Role = role ?? ChatRole.Assistant.Value,
                Content = hasContent ? content.ToString() : null,
                Refusal = refusal?.ToString(),
                ReasoningContent = reasoning?.ToString(),
                FunctionCall = functionCall,
                ToolCalls = toolCalls.Count == 0 ? null : toolCalls.Values.Select(t => t.ToToolCall()).ToList(),
            },
            Logprobs = contentLogprobs is null && refusalLogprobs is null ? null : new ChoiceLogprobs { Content = contentLogprobs, Refusal = refusalLogprobs },
        };
    }

    private sealed class ToolCallState
    {
        private readonly StringBuilder arguments = new();
        private string? id;
        private string? name;
        private ToolType? type;

        public void Append(ChatCompletionChunkToolCall fragment)
        {
            id ??= fragment.Id;
            type ??= fragment.Type;
            if (fragment.Function?.Name is { Length: > 0 } n)
            {
                name = name is null ? n : name + n;
            }

            arguments.Append(fragment.Function?.Arguments);
        }

        public ChatCompletionToolCall ToToolCall() => new()
        {
            Id = id ?? string.Empty,
            Type = type ?? ToolType.Function,
            Function = new ToolCallFunction { Name = name ?? string.Empty, Arguments = arguments.ToString() },
        };
    }
}

/// <summary>Helpers for streams of <see cref="ChatCompletionChunk"/>.</summary>
public static class ChatCompletionChunkStreamExtensions
{
    /// <summary>Reads the whole stream and merges its chunks into one <see cref="ChatCompletion"/>.</summary>
    /// <param name="chunks">The stream, e.g. from <see cref="IOpenPipeClient.CreateChatCompletionStreamingAsync(ChatCompletionRequest, CancellationToken)"/>.</param>
    /// <param name="cancellationToken">Cancels reading.</param>
    /// <returns>The merged completion.</returns>
    public static async Task<ChatCompletion> ToChatCompletionAsync(this IAsyncEnumerable<ChatCompletionChunk> chunks, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(chunks);
        var accumulator = new ChatCompletionAccumulator();
        await foreach (var chunk in chunks.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            accumulator.Append(chunk);
        }

        return accumulator.ToChatCompletion();
    }
}
