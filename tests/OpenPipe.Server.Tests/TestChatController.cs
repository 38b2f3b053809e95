using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Mvc;
using OpenPipe.Client;

namespace OpenPipe.Server.Tests;

/// <summary>What the test controller did, for assertions.</summary>
public sealed class StreamProbe
{
    public TimeSpan ChunkDelay { get; set; } = TimeSpan.FromMilliseconds(150);

    public TaskCompletionSource ProducerCancelled { get; private set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public TaskCompletionSource ProducerFinished { get; private set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public int ChunksProduced;

    /// <summary>Forgets what earlier requests did.</summary>
    public void Reset()
    {
        ProducerCancelled = new(TaskCreationOptions.RunContinuationsAsynchronously);
        ProducerFinished = new(TaskCreationOptions.RunContinuationsAsynchronously);
        ChunksProduced = 0;
    }

    public string? LastKeyId { get; set; }

    public string? LastTags { get; set; }
}

/// <summary>
/// A controller derived from the generated base: echoes the last user message, calls the first
/// tool when tools are offered, streams word by word, and fails on demand ("explode" models).
/// </summary>
public sealed class TestChatController(StreamProbe probe) : ChatCompletionsControllerBase
{
    public override Task<ActionResult<ChatCompletion>> CreateChatCompletion(
        bool? opLogRequest, CacheMode? opCache, string? opTags, string? opCriteria, ChatCompletionRequest body, CancellationToken cancellationToken = default)
    {
        probe.LastKeyId = Caller.KeyId;
        probe.LastTags = opTags;
        return RespondAsync(body, CompleteAsync, StreamAsync);
    }

    private static string LastUserText(ChatCompletionRequest request) =>
        request.Messages.OfType<UserMessage>().LastOrDefault()?.Content?.ToString() ?? string.Empty;

    private Task<ChatCompletion> CompleteAsync(ChatCompletionRequest request, CancellationToken cancellationToken)
    {
        if (request.Model == "explode")
        {
            throw new InvalidOperationException("secret internal detail 42");
        }

        var message = new ChatCompletionResponseMessage { Role = "assistant" };
        FinishReason finish = FinishReason.Stop;
        if (request.Tools is { Count: > 0 } tools && request.Messages.LastOrDefault() is UserMessage)
        {
            message.ToolCalls = [new ChatCompletionToolCall { Id = "call_1", Type = ToolType.Function, Function = new ToolCallFunction { Name = tools[0].Function.Name, Arguments = "{\"city\":\"Paris\"}" } }];
            finish = FinishReason.ToolCalls;
        }
        else
        {
            message.Content = "echo: " + LastUserText(request);
        }

        var completion = new ChatCompletion
        {
            Id = "chatcmpl-test",
            Object = "chat.completion",
            Created = 1732233600,
            Model = request.Model,
            Choices = [new ChatCompletionChoice { Index = 0, FinishReason = finish, Message = message }],
            Usage = new Usage { PromptTokens = 3, CompletionTokens = 2, TotalTokens = 5 },
        };
        completion.AdditionalProperties["key_id"] = Caller.KeyId;
        return Task.FromResult(completion);
    }

    private async IAsyncEnumerable<ChatCompletionChunk> StreamAsync(ChatCompletionRequest request, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var registration = cancellationToken.Register(() => probe.ProducerCancelled.TrySetResult());
        yield return Chunk(request, new ChatCompletionChunkDelta { Role = ChatRole.Assistant, Content = string.Empty });
        if (request.Tools is { Count: > 0 } tools)
        {
            yield return Chunk(request, new ChatCompletionChunkDelta { ToolCalls = [new ChatCompletionChunkToolCall { Index = 0, Id = "call_1", Type = ToolType.Function, Function = new FunctionCall { Name = tools[0].Function.Name, Arguments = "{\"city\":" } }] });
            yield return Chunk(request, new ChatCompletionChunkDelta { ToolCalls = [new ChatCompletionChunkToolCall { Index = 0, Function = new FunctionCall { Arguments = "\"Paris\"}" } }] });
            yield return Chunk(request, new ChatCompletionChunkDelta(), FinishReason.ToolCalls);
            probe.ProducerFinished.TrySetResult();
            yield break;
        }

        string[] words = ("echo: " + LastUserText(request)).Split(' ');
        for (int i = 0; i < words.Length; i++)
        {
            await Task.Delay(probe.ChunkDelay, cancellationToken);
            if (request.Model == "explode-mid-stream" && i == 1)
            {
                throw new InvalidOperationException("secret internal detail 43");
            }

            Interlocked.Increment(ref probe.ChunksProduced);
            yield return Chunk(request, new ChatCompletionChunkDelta { Content = (i == 0 ? string.Empty : " ") + words[i] });
        }

        yield return Chunk(request, new ChatCompletionChunkDelta(), FinishReason.Stop);
        probe.ProducerFinished.TrySetResult();
    }

    private static ChatCompletionChunk Chunk(ChatCompletionRequest request, ChatCompletionChunkDelta delta, FinishReason? finish = null) => new()
    {
        Id = "chatcmpl-test",
        Object = "chat.completion.chunk",
        Created = 1732233600,
        Model = request.Model,
        Choices = [new ChatCompletionChunkChoice { Index = 0, Delta = delta, FinishReason = finish }],
    };
}
