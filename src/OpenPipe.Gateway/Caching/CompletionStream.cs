using System;
using System.Collections.Generic;
using System.Linq;
using OpenPipe.Client;

namespace OpenPipe.Gateway.Caching;

/// <summary>
/// Turns a completion into the chunks a streaming caller expects, so a cached completion answers a
/// streaming request as a well-formed stream: per choice, a chunk with the role and the whole
/// message (content, refusal, tool calls by index), then one with its <c>finish_reason</c>; a usage
/// chunk last when <c>stream_options.include_usage</c> asked for it.
/// </summary>
public static class CompletionStream
{
    /// <summary>The chunks of <paramref name="completion"/>.</summary>
    /// <param name="completion">The completion.</param>
    /// <param name="includeUsage">Whether to end with a usage chunk.</param>
    /// <returns>The chunks.</returns>
    public static IEnumerable<ChatCompletionChunk> Chunks(ChatCompletion completion, bool includeUsage)
    {
        ArgumentNullException.ThrowIfNull(completion);
        ChatCompletionChunk Chunk(ChatCompletionChunkChoice choice) => new()
        {
            Id = completion.Id,
            Object = "chat.completion.chunk",
            Created = completion.Created,
            Model = completion.Model,
            Choices = [choice],
        };

        foreach (var choice in completion.Choices)
        {
            var message = choice.Message;
            yield return Chunk(new ChatCompletionChunkChoice
            {
                Index = choice.Index,
                Delta = new ChatCompletionChunkDelta
                {
                    Role = string.IsNullOrEmpty(message.Role) ? ChatRole.Assistant : new ChatRole(message.Role),
                    Content = message.Content ?? string.Empty,
                    Refusal = message.Refusal,
                    ReasoningContent = message.ReasoningContent,
                    FunctionCall = message.FunctionCall,
                    ToolCalls = message.ToolCalls?.Select((call, i) => new ChatCompletionChunkToolCall
                    {
                        Index = i,
                        Id = call.Id,
                        Type = call.Type,
                        Function = new FunctionCall { Name = call.Function.Name, Arguments = call.Function.Arguments },
                    }).ToList(),
                },
                Logprobs = choice.Logprobs,
            });
            yield return Chunk(new ChatCompletionChunkChoice { Index = choice.Index, Delta = new ChatCompletionChunkDelta(), FinishReason = choice.FinishReason });
        }

        if (includeUsage && completion.Usage is not null)
        {
            yield return new ChatCompletionChunk
            {
                Id = completion.Id,
                Object = "chat.completion.chunk",
                Created = completion.Created,
                Model = completion.Model,
                Choices = [],
                Usage = completion.Usage,
            };
        }
    }
}
