using System.Linq;
using System.Text.Json;
using System.Threading.Tasks;
using BenchmarkDotNet.Attributes;
using OpenAI.Chat;

namespace OpenPipe.Benchmarks;

/// <summary>One non-streaming call: a ~1 KB and a ~64 KB (logprobs, tool calls) response.</summary>
[MemoryDiagnoser]
public class NonStreamingBenchmarks : ClientBenchmarkBase
{
    [Params("small", "large")]
    public string Size { get; set; } = "small";

    protected override string Fixture => Size;

    [GlobalSetup]
    public Task SetupAsync() => StartAsync();

    [GlobalCleanup]
    public Task CleanupAsync() => StopAsync();

    /// <summary>Raw HttpClient and System.Text.Json into minimal types: the practical limit.</summary>
    [Benchmark(Baseline = true)]
    public async Task<string> RawHttpClientSystemTextJson()
    {
        using var content = RawRequest(stream: false);
        using var response = await Clients.Raw.PostAsync(Clients.RawUrl, content);
        response.EnsureSuccessStatusCode();
        await using var body = await response.Content.ReadAsStreamAsync();
        var completion = (await JsonSerializer.DeserializeAsync<MinimalCompletion>(body))!;
        var choice = completion.Choices[0];
        return Summary.Of(completion.Id, choice.Message.Content, choice.Logprobs?.Content?.Count ?? 0, choice.Message.ToolCalls?.Count ?? 0);
    }

    [Benchmark]
    public async Task<string> OpenPipeClient()
    {
        var completion = await Clients.Ours.CreateChatCompletionAsync(Fixtures.SmallRequest());
        var choice = completion.Choices[0];
        return Summary.Of(completion.Id, choice.Message.Content, choice.Logprobs?.Content?.Count ?? 0, choice.Message.ToolCalls?.Count ?? 0);
    }

    [Benchmark]
    public async Task<string> OpenAISdk()
    {
        OpenAI.Chat.ChatCompletion completion = await Clients.Sdk.CompleteChatAsync(SdkMessages, new ChatCompletionOptions { Temperature = 0.2f });
        return Summary.Of(completion.Id, completion.Content.FirstOrDefault()?.Text, completion.ContentTokenLogProbabilities.Count, completion.ToolCalls.Count);
    }

    /// <summary>Microsoft.Extensions.AI's IChatClient over the OpenAI SDK; logprobs are read from the SDK's raw completion.</summary>
    [Benchmark]
    public async Task<string> MeaiOpenAIChatClient()
    {
        var response = await Clients.Meai.GetResponseAsync(MeaiMessages, new Microsoft.Extensions.AI.ChatOptions { Temperature = 0.2f });
        var raw = (OpenAI.Chat.ChatCompletion)response.RawRepresentation!;
        int toolCalls = response.Messages.SelectMany(m => m.Contents).OfType<Microsoft.Extensions.AI.FunctionCallContent>().Count();
        return Summary.Of(response.ResponseId!, response.Text, raw.ContentTokenLogProbabilities.Count, toolCalls);
    }
}

/// <summary>What a scenario read, in a form every client produces the same way.</summary>
public static class Summary
{
    public static string Of(string id, string? content, int logprobs, int toolCalls) => $"{id}|{content?.Length ?? 0}|{logprobs}|{toolCalls}";
}
