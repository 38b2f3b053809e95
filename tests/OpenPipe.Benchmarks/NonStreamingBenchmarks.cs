using System.Collections.Generic;
using System.Linq;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Threading.Tasks;
using BenchmarkDotNet.Attributes;
using OpenAI.Chat;

namespace OpenPipe.Benchmarks;

/// <summary>One non-streaming call: a ~1 KB and a ~64 KB (logprobs, tool calls) response.</summary>
[MemoryDiagnoser]
public class NonStreamingBenchmarks
{
    private FixtureServer server = null!;
    private ClientSetup clients = null!;
    private List<ChatMessage> sdkMessages = null!;

    [Params("small", "large")]
    public string Size { get; set; } = "small";

    [GlobalSetup]
    public async Task SetupAsync()
    {
        server = await FixtureServer.StartAsync();
        clients = new ClientSetup(server, Size);
        sdkMessages = [new SystemChatMessage("You are terse."), new UserChatMessage("Say something.")];
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        clients.Dispose();
        await server.DisposeAsync();
    }

    /// <summary>Raw HttpClient and System.Text.Json into minimal types: the practical limit.</summary>
    [Benchmark(Baseline = true)]
    public async Task<string> RawHttpClientSystemTextJson()
    {
        var request = new MinimalRequest
        {
            Model = "openpipe:bench",
            Messages = [new() { ["role"] = "system", ["content"] = "You are terse." }, new() { ["role"] = "user", ["content"] = "Say something." }],
            Temperature = 0.2,
        };
        using var content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(request));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var response = await clients.Raw.PostAsync(clients.RawUrl, content);
        response.EnsureSuccessStatusCode();
        await using var body = await response.Content.ReadAsStreamAsync();
        var completion = (await JsonSerializer.DeserializeAsync<MinimalCompletion>(body))!;
        var choice = completion.Choices[0];
        return Summary.Of(completion.Id, choice.Message.Content, choice.Logprobs?.Content?.Count ?? 0, choice.Message.ToolCalls?.Count ?? 0);
    }

    [Benchmark]
    public async Task<string> OpenPipeClient()
    {
        var completion = await clients.Ours.CreateChatCompletionAsync(Fixtures.SmallRequest());
        var choice = completion.Choices[0];
        return Summary.Of(completion.Id, choice.Message.Content, choice.Logprobs?.Content?.Count ?? 0, choice.Message.ToolCalls?.Count ?? 0);
    }

    [Benchmark]
    public async Task<string> OpenAISdk()
    {
        OpenAI.Chat.ChatCompletion completion = await clients.Sdk.CompleteChatAsync(sdkMessages, new ChatCompletionOptions { Temperature = 0.2f });
        return Summary.Of(completion.Id, completion.Content.FirstOrDefault()?.Text, completion.ContentTokenLogProbabilities.Count, completion.ToolCalls.Count);
    }
}

/// <summary>What a scenario read, in a form every client produces the same way.</summary>
public static class Summary
{
    public static string Of(string id, string? content, int logprobs, int toolCalls) => $"{id}|{content?.Length ?? 0}|{logprobs}|{toolCalls}";
}
