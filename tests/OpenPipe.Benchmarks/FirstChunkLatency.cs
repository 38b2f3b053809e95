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
/// per client, and from the response's first bytes reaching the client's connection
/// (<see cref="ArrivalStamp"/>) to the same moment, which is the client library's own share: the
/// fixture server and the clients share one process and one clock, requests run one at a time,
/// so each measurement pairs one server write and one arrival with one first chunk. The clients
/// take turns request by request (the first of each turn rotating), so a pause of the machine
/// falls on all of them alike; each client first warms up long enough for tiered JIT to finish.
/// </summary>
public static class FirstChunkLatency
{
    /// <summary>Per client: p50 and p99 from the server's write, and from the arrival, to the caller holding the first chunk (µs).</summary>
    public static async Task<IReadOnlyList<(string Client, double P50Us, double P99Us, double ArrivalP50Us, double ArrivalP99Us)>> MeasureAsync(int iterations, int warmup)
    {
        var benchmarks = new StreamingBenchmarks { StampArrival = true };
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
            var samples = clients.Select(_ => new List<double>(iterations)).ToArray();
            var arrivals = clients.Select(_ => new List<double>(iterations)).ToArray();
            for (int i = 0; i < warmup + iterations; i++)
            {
                for (int turn = 0; turn < clients.Length; turn++)
                {
                    int c = (turn + i) % clients.Length;

                    // The benchmark method stamps the moment its first chunk reached the caller, then stops.
                    await clients[c].FirstChunk();
                    if (i >= warmup)
                    {
                        samples[c].Add(Stopwatch.GetElapsedTime(FixtureServer.StreamWriteStarted, StreamingBenchmarks.FirstChunkSeen).TotalMicroseconds);
                        arrivals[c].Add(Stopwatch.GetElapsedTime(ArrivalStamp.Last, StreamingBenchmarks.FirstChunkSeen).TotalMicroseconds);
                    }
                }
            }

            var results = new List<(string, double, double, double, double)>();
            for (int c = 0; c < clients.Length; c++)
            {
                samples[c].Sort();
                arrivals[c].Sort();
                results.Add((clients[c].Name, ServerLoadReport.Percentile(samples[c], 0.50), ServerLoadReport.Percentile(samples[c], 0.99), ServerLoadReport.Percentile(arrivals[c], 0.50), ServerLoadReport.Percentile(arrivals[c], 0.99)));
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
        int iterations = at >= 0 ? int.Parse(args[at + 1], System.Globalization.CultureInfo.InvariantCulture) : 1000;
        var results = await MeasureAsync(iterations, warmup: 300);
        Console.WriteLine($"Server starts writing the stream -> first chunk in the caller's hands, {iterations} sequential requests per client, the clients taking turns, after 300 each to warm up.");
        Console.WriteLine();
        Console.WriteLine("| client | server write -> caller p50 µs | p99 µs | bytes arrived -> caller p50 µs | p99 µs |");
        Console.WriteLine("|---|---:|---:|---:|---:|");
        foreach (var (client, p50, p99, arrivalP50, arrivalP99) in results)
        {
            Console.WriteLine(FormattableString.Invariant($"| {client} | {p50:0} | {p99:0} | {arrivalP50:0} | {arrivalP99:0} |"));
        }

        return 0;
    }
}
