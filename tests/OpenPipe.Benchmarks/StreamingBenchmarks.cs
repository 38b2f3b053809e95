using System;
using System.Net.Http;
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
public class StreamingBenchmarks : ClientBenchmarkBase
{
    private static readonly byte[] Done = "[DONE]"u8.ToArray();

    protected override string Fixture => "stream";

    /// <summary>When the last first chunk reached the caller (Stopwatch timestamp), for <see cref="FirstChunkLatency"/>.</summary>
    public static long FirstChunkSeen { get; private set; }

    [GlobalSetup]
    public Task SetupAsync() => StartAsync();

    [GlobalCleanup]
    public Task CleanupAsync() => StopAsync();

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("whole stream")]
    public Task<string> RawSseParserSystemTextJson() => RawAsync(firstOnly: false);

    [Benchmark]
    [BenchmarkCategory("whole stream")]
    public Task<string> OpenPipeClient() => OursAsync(firstOnly: false);

    [Benchmark]
    [BenchmarkCategory("whole stream")]
    public Task<string> OpenAISdk() => SdkAsync(firstOnly: false);

    [Benchmark]
    [BenchmarkCategory("whole stream")]
    public Task<string> MeaiOpenAIChatClient() => MeaiAsync(firstOnly: false);

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("first chunk")]
    public Task<string> FirstChunk_RawSseParserSystemTextJson() => RawAsync(firstOnly: true);

    [Benchmark]
    [BenchmarkCategory("first chunk")]
    public Task<string> FirstChunk_OpenPipeClient() => OursAsync(firstOnly: true);

    [Benchmark]
    [BenchmarkCategory("first chunk")]
    public Task<string> FirstChunk_OpenAISdk() => SdkAsync(firstOnly: true);

    [Benchmark]
    [BenchmarkCategory("first chunk")]
    public Task<string> FirstChunk_MeaiOpenAIChatClient() => MeaiAsync(firstOnly: true);

    private async Task<string> RawAsync(bool firstOnly)
    {
        using var message = new HttpRequestMessage(HttpMethod.Post, Clients.RawUrl) { Content = RawRequest(stream: true) };
        using var response = await Clients.Raw.SendAsync(message, HttpCompletionOption.ResponseHeadersRead);
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

            if (++chunks == 1)
            {
                FirstChunkSeen = System.Diagnostics.Stopwatch.GetTimestamp();
            }

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
        await foreach (var chunk in Clients.Ours.CreateChatCompletionStreamingAsync(Fixtures.SmallRequest()))
        {
            if (++chunks == 1)
            {
                FirstChunkSeen = System.Diagnostics.Stopwatch.GetTimestamp();
            }

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
        await foreach (var update in Clients.Sdk.CompleteChatStreamingAsync(SdkMessages))
        {
            if (++chunks == 1)
            {
                FirstChunkSeen = System.Diagnostics.Stopwatch.GetTimestamp();
            }

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

    private async Task<string> MeaiAsync(bool firstOnly)
    {
        int chunks = 0;
        int length = 0;
        await foreach (var update in Clients.Meai.GetStreamingResponseAsync(MeaiMessages))
        {
            if (++chunks == 1)
            {
                FirstChunkSeen = System.Diagnostics.Stopwatch.GetTimestamp();
            }

            length += update.Text.Length;
            if (firstOnly)
            {
                break;
            }
        }

        return $"{chunks}|{length}";
    }
}
