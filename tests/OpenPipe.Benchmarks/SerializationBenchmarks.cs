using System.Collections.Generic;
using System.IO;
using System.Text;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Newtonsoft.Json;
using OpenPipe.Client;

namespace OpenPipe.Benchmarks;

/// <summary>Serialization alone: the full request out, the large response in; our DTOs vs System.Text.Json into equivalent types.</summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class SerializationBenchmarks
{
    private readonly ChatCompletionRequest request = Fixtures.FullRequest();
    private readonly MinimalRequest minimalRequest = new()
    {
        Model = "openpipe:bench",
        Messages =
        [
            new() { ["role"] = "system", ["content"] = "You are a weather assistant." },
            new() { ["role"] = "user", ["content"] = new object[] { new Dictionary<string, object> { ["type"] = "text", ["text"] = "Weather in Paris and Rome?" }, new Dictionary<string, object> { ["type"] = "image_url", ["image_url"] = new Dictionary<string, string> { ["url"] = "https://example.test/map.png", ["detail"] = "low" } } } },
            new() { ["role"] = "assistant", ["tool_calls"] = new object[] { new Dictionary<string, object> { ["id"] = "call_1", ["type"] = "function", ["function"] = new Dictionary<string, string> { ["name"] = "get_weather", ["arguments"] = "{\"city\":\"Paris\"}" } } } },
            new() { ["role"] = "tool", ["tool_call_id"] = "call_1", ["content"] = "{\"temp\":21}" },
        ],
        Tools = [new() { ["type"] = "function", ["function"] = new Dictionary<string, object> { ["name"] = "get_weather", ["description"] = "Weather by city", ["parameters"] = new Dictionary<string, object> { ["type"] = "object", ["properties"] = new Dictionary<string, object> { ["city"] = new Dictionary<string, string> { ["type"] = "string" } } } } }],
        ToolChoice = "auto",
        Temperature = 0.7,
        TopP = 0.9,
        MaxTokens = 256,
        N = 1,
        Stop = ["END"],
        Logprobs = true,
        TopLogprobs = 3,
        Store = true,
        Metadata = new() { ["prompt_id"] = "weather-v2" },
    };

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("serialize request")]
    public int SerializeRequest_SystemTextJson() => System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(minimalRequest).Length;

    [Benchmark]
    [BenchmarkCategory("serialize request")]
    public int SerializeRequest_OpenPipeDtos() => OpenPipeJson.SerializeToUtf8Bytes(request).Length;

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("deserialize large response")]
    public string DeserializeLarge_SystemTextJson()
    {
        var completion = System.Text.Json.JsonSerializer.Deserialize<MinimalCompletion>(Fixtures.Large)!;
        var choice = completion.Choices[0];
        return Summary.Of(completion.Id, choice.Message.Content, choice.Logprobs?.Content?.Count ?? 0, choice.Message.ToolCalls?.Count ?? 0);
    }

    [Benchmark]
    [BenchmarkCategory("deserialize large response")]
    public string DeserializeLarge_OpenPipeDtos()
    {
        var completion = OpenPipeJson.Deserialize<ChatCompletion>(Fixtures.Large)!;
        var choice = completion.Choices[0];
        return Summary.Of(completion.Id, choice.Message.Content, choice.Logprobs?.Content?.Count ?? 0, choice.Message.ToolCalls?.Count ?? 0);
    }
}
