using System;
using System.Collections.Generic;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Net.ServerSentEvents;
using System.Text.Json;
using System.Threading.Tasks;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using OpenAI.Chat;

namespace OpenPipe.Benchmarks;

/// <summary>A 1,000-chunk stream read whole, and the time until the first chunk reaches the caller.</summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class StreamingBenchmarks
{
    private static readonly byte[] Done = "[DONE]"u8.ToArray();
    private FixtureServer server = null!;
    private ClientSetup clients = null!;
    private List<ChatMessage> sdkMessages = null!;

    [GlobalSetup]
    public async Task SetupAsync()
    {
        server = await FixtureServer.StartAsync();
        clients = new ClientSetup(server, "stream");
        sdkMessages = [new SystemChatMessage("You are terse."), new UserChatMessage("Say something.")];
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        clients.Dispose();
        await server.DisposeAsync();
    }

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("whole stream")]
    public Task<string> RawSseParserSystemTextJson() => RawAsync(firstOnly: false);

    [Benchmark]
    [BenchmarkCategory("whole stream")]
    public Task<string> OpenPipeClient() => OursAsync(firstOnly: false);

    [Benchmark]
    [BenchmarkCategory("whole stream")]
    public Task<string> OpenAISdk() => SdkAsync(firstOnly: false);

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("first chunk")]
    public Task<string> FirstChunk_RawSseParserSystemTextJson() => RawAsync(firstOnly: true);

    [Benchmark]
    [BenchmarkCategory("first chunk")]
    public Task<string> FirstChunk_OpenPipeClient() => OursAsync(firstOnly: true);

    [Benchmark]
    [BenchmarkCategory("first chunk")]
    public Task<string> FirstChunk_OpenAISdk() => SdkAsync(firstOnly: true);

    private async Task<string> RawAsync(bool firstOnly)
    {
        var request = new MinimalRequest
        {
            Model = "openpipe:bench",
            Messages = [new() { ["role"] = "system", ["content"] = "You are terse." }, new() { ["role"] = "user", ["content"] = "Say something." }],
            Stream = true,
        };
        using var message = new HttpRequestMessage(HttpMethod.Post, clients.RawUrl) { Content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(request)) };
        message.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var response = await clients.Raw.SendAsync(message, HttpCompletionOption.ResponseHeadersRead);
        response.EnsureSuccessStatusCode();
        await using var body = await response.Content.ReadAsStreamAsync();
        int chunks = 0;
        int length = 0;
        var parser = SseParser.Create(body, (_, data) => data.SequenceEqual(Done) ? null : JsonSerializer.Deserialize<MinimalChunk>(data));
        await foreach (var item in parser.EnumerateAsync())
        {
            if (item.Data is null)
            {
                break;
            }

            chunks++;
            length += item.Data.Choices[0].Delta.Content?.Length ?? 0;
            if (firstOnly)
            {
                break;
            }
        }

        return $"{chunks}|{length}";
    }

    private async Task<string> OursAsync(bool firstOnly)
    {
        int chunks = 0;
        int length = 0;
        await foreach (var chunk in clients.Ours.CreateChatCompletionStreamingAsync(Fixtures.SmallRequest()))
        {
            chunks++;
            length += chunk.Choices[0].Delta.Content?.Length ?? 0;
            if (firstOnly)
            {
                break;
            }
        }

        return $"{chunks}|{length}";
    }

    private async Task<string> SdkAsync(bool firstOnly)
    {
        int chunks = 0;
        int length = 0;
        await foreach (var update in clients.Sdk.CompleteChatStreamingAsync(sdkMessages))
        {
            chunks++;
            foreach (var part in update.ContentUpdate)
            {
                length += part.Text.Length;
            }

            if (firstOnly)
            {
                break;
            }
        }

        return $"{chunks}|{length}";
    }
}
