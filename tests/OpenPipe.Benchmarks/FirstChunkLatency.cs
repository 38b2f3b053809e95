using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Net.Http;
using System.Net.ServerSentEvents;
using System.Threading.Tasks;

namespace OpenPipe.Benchmarks;

/// <summary>
/// The time from the server starting to write a stream to the caller holding its first chunk,
/// per client: the fixture server and the clients share one process and one clock, requests run
/// one at a time, so each measurement pairs one server write with one first chunk.
/// </summary>
public static class FirstChunkLatency
{
    public static async Task<IReadOnlyList<(string Client, double P50Us, double P99Us)>> MeasureAsync(int iterations, int warmup)
    {
        var benchmarks = new StreamingBenchmarks();
        await benchmarks.SetupAsync();
        try
        {
            var clients = new (string Name, Func<Task<string>> FirstChunk)[]
            {
                ("raw SseParser + System.Text.Json", benchmarks.FirstChunk_RawSseParserSystemTextJson),
                ("OpenPipeClient", benchmarks.FirstChunk_OpenPipeClient),
                ("OpenAI SDK", benchmarks.FirstChunk_OpenAISdk),
                ("M.E.AI OpenAI IChatClient", benchmarks.FirstChunk_MeaiOpenAIChatClient),
            };
            var results = new List<(string, double, double)>();
            foreach (var (name, firstChunk) in clients)
            {
                var samples = new List<double>(iterations);
                for (int i = 0; i < warmup + iterations; i++)
                {
                    // The benchmark method stamps the moment its first chunk reached the caller, then stops.
                    await firstChunk();
                    if (i >= warmup)
                    {
                        samples.Add(Stopwatch.GetElapsedTime(FixtureServer.StreamWriteStarted, StreamingBenchmarks.FirstChunkSeen).TotalMicroseconds);
                    }
                }

                samples.Sort();
                results.Add((name, samples[samples.Count / 2], samples[Math.Min(samples.Count - 1, (int)(samples.Count * 0.99))]));
            }

            return results;
        }
        finally
        {
            await benchmarks.CleanupAsync();
        }
    }

    public static async Task<int> RunAsync(string[] args)
    {
        int at = Array.IndexOf(args, "--iterations");
        int iterations = at >= 0 ? int.Parse(args[at + 1], System.Globalization.CultureInfo.InvariantCulture) : 500;
        var results = await MeasureAsync(iterations, warmup: 50);
        Console.WriteLine($"Server starts writing the stream -> first chunk in the caller's hands, {iterations} sequential requests per client.");
        Console.WriteLine();
        Console.WriteLine("| client | p50 µs | p99 µs |");
        Console.WriteLine("|---|---:|---:|");
        foreach (var (client, p50, p99) in results)
        {
            Console.WriteLine(FormattableString.Invariant($"| {client} | {p50:0} | {p99:0} |"));
        }

        return 0;
    }
}
