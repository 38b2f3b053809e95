using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using OpenPipe.Client;

namespace OpenPipe.Benchmarks;

/// <summary>The fixed bytes every scenario reads, built once from the kit's own DTOs.</summary>
public static class Fixtures
{
    public const int StreamChunks = 1000;
    public const int ServerStreamChunks = 100;

    public static readonly byte[] Small = Encoding.UTF8.GetBytes(OpenPipeJson.Serialize(Completion(words: 120, logprobs: 0, toolCalls: 0)));

    public static readonly byte[] Large = Encoding.UTF8.GetBytes(OpenPipeJson.Serialize(Completion(words: 300, logprobs: 300, toolCalls: 3)));

    public static readonly byte[] Stream = SseBody(StreamChunks);

    public static readonly byte[] ServerStream = SseBody(ServerStreamChunks);

    /// <summary>What the small response's first choice says (for checking results).</summary>
    public static string SmallContent { get; } = Words(120);

    /// <summary>The streamed content, all chunks joined.</summary>
    public static string StreamContent { get; } = string.Concat(Enumerable.Range(0, StreamChunks).Select(ChunkText));

    public static ChatCompletionRequest SmallRequest() => new()
    {
        Model = "openpipe:bench",
        Messages = [new SystemMessage { Content = "You are terse." }, new UserMessage { Content = "Say something." }],
        Temperature = 0.2,
    };

    /// <summary>A request with every commonly used field set, for the serialization scenario.</summary>
    public static ChatCompletionRequest FullRequest() => new()
    {
        Model = "openpipe:bench",
        Messages =
        [
            new SystemMessage { Content = "You are a weather assistant." },
            new UserMessage { Content = new ChatMessageContentPart[] { new TextContentPart { Text = "Weather in Paris and Rome?" }, new ImageContentPart { ImageUrl = new ImageUrl { Url = "https://example.test/map.png", Detail = ImageDetail.Low } } } },
            new AssistantMessage { ToolCalls = [new ChatCompletionToolCall { Id = "call_1", Type = ToolType.Function, Function = new ToolCallFunction { Name = "get_weather", Arguments = "{\"city\":\"Paris\"}" } }] },
            new ToolMessage { ToolCallId = "call_1", Content = "{\"temp\":21}" },
        ],
        Tools = [new ChatCompletionTool { Type = ToolType.Function, Function = new FunctionDefinition { Name = "get_weather", Description = "Weather by city", Parameters = new Dictionary<string, object> { ["type"] = "object", ["properties"] = new Dictionary<string, object> { ["city"] = new Dictionary<string, object> { ["type"] = "string" } } } } }],
        ToolChoice = ToolChoiceOption.Auto,
        Temperature = 0.7,
        TopP = 0.9,
        MaxTokens = 256,
        N = 1,
        Stop = new[] { "END" },
        Logprobs = true,
        TopLogprobs = 3,
        Store = true,
        Metadata = new Dictionary<string, string> { ["prompt_id"] = "weather-v2" },
    };

    private static string Words(int count) => string.Join(' ', Enumerable.Range(0, count).Select(i => "word" + i));

    private static string ChunkText(int i) => i == 0 ? "t0" : " t" + i;

    private static ChatCompletion Completion(int words, int logprobs, int toolCalls)
    {
        TokenLogprob Logprob(int i) => new()
        {
            Token = "word" + i,
            Bytes = Encoding.UTF8.GetBytes("word" + i).Select(b => (double)b).ToList(),
            Logprob = -0.01 * i,
            TopLogprobs = Enumerable.Range(0, 3).Select(k => new TopLogprob { Token = "alt" + k, Bytes = [97, 108, 116], Logprob = -1.5 - k }).ToList(),
        };

        return new ChatCompletion
        {
            Id = "chatcmpl-bench",
            Object = "chat.completion",
            Created = 1732233600,
            Model = "openpipe:bench",
            Choices =
            [
                new ChatCompletionChoice
                {
                    Index = 0,
                    FinishReason = toolCalls > 0 ? FinishReason.ToolCalls : FinishReason.Stop,
                    Message = new ChatCompletionResponseMessage
                    {
                        Role = "assistant",
                        Content = Words(words),
                        ToolCalls = toolCalls == 0 ? null : Enumerable.Range(0, toolCalls).Select(i => new ChatCompletionToolCall
                        {
                            Id = "call_" + i,
                            Type = ToolType.Function,
                            Function = new ToolCallFunction { Name = "get_weather", Arguments = "{\"city\":\"City" + i + "\",\"unit\":\"celsius\"}" },
                        }).ToList(),
                    },
                    Logprobs = logprobs == 0 ? null : new ChoiceLogprobs { Content = Enumerable.Range(0, logprobs).Select(Logprob).ToList() },
                },
            ],
            Usage = new Usage { PromptTokens = 20, CompletionTokens = words, TotalTokens = 20 + words },
        };
    }

    private static byte[] SseBody(int chunks)
    {
        var body = new StringBuilder();
        for (int i = 0; i < chunks; i++)
        {
            var chunk = new ChatCompletionChunk
            {
                Id = "chatcmpl-bench",
                Object = "chat.completion.chunk",
                Created = 1732233600,
                Model = "openpipe:bench",
                Choices = [new ChatCompletionChunkChoice { Index = 0, Delta = new ChatCompletionChunkDelta { Role = i == 0 ? ChatRole.Assistant : (ChatRole?)null, Content = ChunkText(i) }, FinishReason = i == chunks - 1 ? FinishReason.Stop : (FinishReason?)null }],
            };
            body.Append("data: ").Append(OpenPipeJson.Serialize(chunk)).Append("\n\n");
        }

        return Encoding.UTF8.GetBytes(body.Append("data: [DONE]\n\n").ToString());
    }
}
