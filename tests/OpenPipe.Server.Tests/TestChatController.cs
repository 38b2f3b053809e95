using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Mvc;
using OpenPipe.Client;

namespace OpenPipe.Server.Tests;

/// <summary>What the test handler did, for assertions.</summary>
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
        LastContext = null;
    }

    public ChatCompletionContext? LastContext { get; set; }
}

/// <summary>
/// The handler under test: echoes the last user message, calls the first tool when tools are
/// offered, streams word by word, and fails on demand (models named "explode...", "unauthorized-upstream").
/// </summary>
public sealed class TestChatHandler(StreamProbe probe) : IChatCompletionHandler
{
    private static readonly DateTimeOffset Created = DateTimeOffset.FromUnixTimeSeconds(1732233600);

    public Task<ChatCompletion> CompleteAsync(ChatCompletionRequest request, ChatCompletionContext context, CancellationToken cancellationToken = default)
    {
        probe.LastContext = context;
        Fail(request.Model);
        ChatCompletion completion;
        if (request.Tools is { Count: > 0 } tools && request.Messages.LastOrDefault() is UserMessage)
        {
            var call = new ChatCompletionToolCall { Id = "call_1", Type = ToolType.Function, Function = new ToolCallFunction { Name = tools[0].Function.Name, Arguments = "{\"city\":\"Paris\"}" } };
            completion = ChatCompletion.Create(request.Model, [ChatCompletionChoice.Create(0, ChatCompletionResponseMessage.Assistant(toolCalls: [call]), FinishReason.ToolCalls)], Usage.Create(3, 2), "chatcmpl-test", Created);
        }
        else if (request.Model == "invalid-output")
        {
            // What a hand-built completion looks like when `object` is forgotten.
            completion = new ChatCompletion { Id = "chatcmpl-test", Created = 1732233600, Model = request.Model, Choices = [ChatCompletionChoice.Create(0, ChatCompletionResponseMessage.Assistant("x"), FinishReason.Stop)] };
        }
        else
        {
            completion = ChatCompletion.FromText(request.Model, "echo: " + LastUserText(request), Usage.Create(3, 2), "chatcmpl-test", Created);
        }

        completion.AdditionalProperties["key_id"] = context.Caller.KeyId;
        return Task.FromResult(completion);
    }

    public async IAsyncEnumerable<ChatCompletionChunk> StreamAsync(ChatCompletionRequest request, ChatCompletionContext context, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        probe.LastContext = context;
        using var registration = cancellationToken.Register(() => probe.ProducerCancelled.TrySetResult());
        await Task.Yield();
        Fail(request.Model);
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

    private static void Fail(string model)
    {
        if (model == "explode")
        {
            throw new InvalidOperationException("secret internal detail 42");
        }

        if (model == "rate-limited-upstream")
        {
            throw new OpenPipeApiException("The upstream answered 429.", 429, """{"message":"slow down","code":"TOO_MANY_REQUESTS"}""",
                new Dictionary<string, IEnumerable<string>> { ["Retry-After"] = ["7"] }, null);
        }
    }

    private static string LastUserText(ChatCompletionRequest request) =>
        request.Messages.OfType<UserMessage>().LastOrDefault()?.Content?.ToString() ?? string.Empty;

    private static ChatCompletionChunk Chunk(ChatCompletionRequest request, ChatCompletionChunkDelta delta, FinishReason? finish = null) =>
        ChatCompletionChunk.Delta("chatcmpl-test", request.Model, Created, delta, finish);
}

/// <summary>
/// The old path: a controller derived from the generated base, overriding its action and answering
/// with RespondAsync. It runs the same logic as the handler.
/// </summary>
public sealed class TestChatController(StreamProbe probe) : ChatCompletionsControllerBase
{
    public override Task<ActionResult<ChatCompletion>> CreateChatCompletion(
        bool? opLogRequest, CacheMode? opCache, string? opTags, string? opCriteria, ChatCompletionRequest body, CancellationToken cancellationToken = default)
    {
        var handler = new TestChatHandler(probe);
        var context = ChatContext;
        return RespondAsync(body, (r, t) => handler.CompleteAsync(r, context, t), (r, t) => handler.StreamAsync(r, context, t));
    }
}
