using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Threading.Tasks;

namespace OpenPipe.Benchmarks;

/// <summary>
/// The client comparisons of the BenchmarkDotNet classes, taken in turns: in one process, against
/// one fixture server, each client of a scenario runs a batch of calls, then the next client, and
/// so on for many cycles (the first client rotating). A cycle's ratio compares batches a few
/// milliseconds apart, so the machine's drift between BenchmarkDotNet's sequential runs (the raw
/// baseline moved from 1.6 to 3.3 ms between identical runs here) moves both sides alike. Reports
/// each client's median batch time and the medians of the per-cycle ratios to the OpenAI SDK and to
/// the raw baseline (the client named "raw ..."); time only: allocations are BenchmarkDotNet's to measure.
/// </summary>
public static class ClientTurns
{
    /// <summary>One scenario: its clients, each a call returning what it read.</summary>
    public sealed record Scenario(string Name, IReadOnlyList<(string Client, Func<Task<string>> Call)> Clients);

    /// <summary>A client's result in one scenario.</summary>
    public sealed record Result(string Scenario, string Client, double MedianUs, double RatioToSdk, double MinRatio, double MaxRatio, double RatioToRaw = double.NaN);

    public static async Task<int> RunAsync(string[] args)
    {
        string? Value(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
        int cycles = Value("--cycles") is { } c ? int.Parse(c, CultureInfo.InvariantCulture) : 40;
        int batch = Value("--batch") is { } b ? int.Parse(b, CultureInfo.InvariantCulture) : 100;
        int warmup = Value("--warmup") is { } w ? int.Parse(w, CultureInfo.InvariantCulture) : 2000;
        Console.WriteLine($"Clients in turns: {warmup} warm-up calls each, then {cycles} cycles of {batch} calls per client per cycle, the first client rotating.");
        Console.WriteLine();
        Console.WriteLine("| scenario | client | median µs/call | / OpenAI SDK (median of cycles) | min-max of cycles | / raw (median of cycles) |");
        Console.WriteLine("|---|---|---:|---:|---:|---:|");
        foreach (var result in await MeasureAsync(cycles, batch, warmup))
        {
            Console.WriteLine(FormattableString.Invariant($"| {result.Scenario} | {result.Client} | {result.MedianUs:0.0} | {result.RatioToSdk:0.00} | {result.MinRatio:0.00}-{result.MaxRatio:0.00} | {result.RatioToRaw:0.00} |"));
        }

        return 0;
    }

    /// <summary>Small and large calls, and whole streams, every client in turns.</summary>
    public static async Task<IReadOnlyList<Result>> MeasureAsync(int cycles, int batch, int warmup)
    {
        var results = new List<Result>();
        foreach (string size in new[] { "small", "large" })
        {
            var calls = new NonStreamingBenchmarks { Size = size };
            await calls.SetupAsync();
            try
            {
                results.AddRange(await MeasureAsync(
                    new Scenario($"{size} call", [("raw HttpClient + System.Text.Json", calls.RawHttpClientSystemTextJson), ("OpenPipeClient", calls.OpenPipeClient), ("OpenAI SDK", calls.OpenAISdk), ("M.E.AI OpenAI IChatClient", calls.MeaiOpenAIChatClient)]),
                    cycles,
                    batch,
                    warmup));
            }
            finally
            {
                await calls.CleanupAsync();
            }
        }

        var streams = new StreamingBenchmarks();
        await streams.SetupAsync();
        try
        {
            // A stream is about fifty times a small call's work: fewer calls a batch.
            results.AddRange(await MeasureAsync(
                new Scenario("stream", [("raw SseParser + System.Text.Json", streams.RawSseParserSystemTextJson), ("OpenPipeClient", streams.OpenPipeClient), ("OpenAI SDK", streams.OpenAISdk), ("M.E.AI OpenAI IChatClient", streams.MeaiOpenAIChatClient)]),
                cycles,
                Math.Max(1, batch / 10),
                Math.Max(1, warmup / 10)));
        }
        finally
        {
            await streams.CleanupAsync();
        }

        return results;
    }

    /// <summary>One scenario in turns; a client named "OpenAI SDK" is the denominator, and one named "raw ..." the second.</summary>
    public static async Task<IReadOnlyList<Result>> MeasureAsync(Scenario scenario, int cycles, int batch, int warmup)
    {
        var clients = scenario.Clients;
        foreach (var (_, call) in clients)
        {
            for (int i = 0; i < warmup; i++)
            {
                await call();
            }
        }

        var times = clients.Select(_ => new double[cycles]).ToArray();
        for (int cycle = 0; cycle < cycles; cycle++)
        {
            for (int turn = 0; turn < clients.Count; turn++)
            {
                int c = (turn + cycle) % clients.Count;
                long start = Stopwatch.GetTimestamp();
                for (int i = 0; i < batch; i++)
                {
                    await clients[c].Call();
                }

                times[c][cycle] = Stopwatch.GetElapsedTime(start).TotalMicroseconds / batch;
            }
        }

        var names = clients.Select(c => c.Client).ToList();
        int sdk = names.IndexOf("OpenAI SDK");
        int raw = names.FindIndex(n => n.StartsWith("raw ", StringComparison.Ordinal));
        double[] RatiosTo(int c, int denominator) => denominator < 0 ? [double.NaN] : times[c].Select((t, cycle) => t / times[denominator][cycle]).ToArray();
        return clients.Select((client, c) =>
        {
            double[] ratios = RatiosTo(c, sdk);
            return new Result(scenario.Name, client.Client, ServerLoadReport.Median(times[c]), ServerLoadReport.Median(ratios), ratios.Min(), ratios.Max(), ServerLoadReport.Median(RatiosTo(c, raw)));
        }).ToArray();
    }
}
