using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace OpenPipe.Benchmarks;

/// <summary>
/// Server throughput, the project against its peers. Each run starts a load client (its own
/// process: the server's process does only server work), warms up until two consecutive windows'
/// requests/s agree within 5% (and at least <see cref="ServerLoadOptions.MinWarmup"/>: tiered JIT
/// needs 12–20 s on this machine), then measures: requests/s counted by the server, p50/p99 seen by
/// the client, the server process's CPU time and allocated bytes per request. Within a comparison
/// the peers and the project run alternately, <see cref="ServerLoadOptions.Rounds"/> times, and the
/// ratios are taken within a round. Bounded: every phase has a time limit.
/// </summary>
public static class ServerLoad
{
    public static async Task<int> RunAsync(string[] args)
    {
        var options = ServerLoadOptions.Parse(args);
        Console.WriteLine(FormattableString.Invariant(
            $"Server load: {options.Concurrency} connections, warm-up until two {options.Window.TotalSeconds:0.#} s windows agree within 5% (at least {options.MinWarmup.TotalSeconds:0} s, at most {options.MaxWarmup.TotalSeconds:0} s), {options.Duration.TotalSeconds:0} s measured, {options.Rounds} rounds, load from {(options.InProcessLoad ? "this process" : "a separate process")} on 127.0.0.1."));
        Console.WriteLine($"Processors: {Environment.ProcessorCount}; GC: {(System.Runtime.GCSettings.IsServerGC ? "server" : "workstation")}; load average at start: {LoadAverage()}");
        string loadAtStart = LoadAverage();
        var report = await MeasureAsync(options, Console.Out);
        Console.WriteLine();
        report.WriteRatios(Console.Out);
        Console.WriteLine($"Load average at end: {LoadAverage()}");

        // The gateway's console log interleaves with the rows above; --out FILE gets the tables alone.
        if (args.SkipWhile(a => a != "--out").Skip(1).FirstOrDefault() is { } file)
        {
            await using var writer = File.CreateText(file);
            await writer.WriteLineAsync($"Load average at start: {loadAtStart}; at end: {LoadAverage()}");
            await writer.WriteLineAsync();
            await writer.WriteLineAsync(ServerRun.Header);
            foreach (var run in report.Runs)
            {
                await writer.WriteLineAsync(run.ToRow());
            }

            await writer.WriteLineAsync();
            report.WriteRatios(writer);
        }
        return report.Runs.Any(r => r.Errors > 0) ? 1 : 0;
    }

    /// <summary>Runs every comparison (or those named in <see cref="ServerLoadOptions.Only"/>), writing a line per run to <paramref name="log"/>.</summary>
    public static async Task<ServerLoadReport> MeasureAsync(ServerLoadOptions options, TextWriter log)
    {
        await using var servers = await ServerTargets.StartAsync();
        var runs = new List<ServerRun>();
        var comparisons = servers.Comparisons.Where(c => options.Only is null || c.Name.Contains(options.Only, StringComparison.OrdinalIgnoreCase)).ToArray();
        log.WriteLine(ServerRun.Header);
        foreach (var comparison in comparisons)
        {
            if (options.Interleave is { } cycles)
            {
                runs.AddRange(await InterleaveAsync(comparison, cycles, options, log));
                continue;
            }

            for (int round = 1; round <= options.Rounds; round++)
            {
                foreach (var target in comparison.Peers.Append(comparison.Project))
                {
                    var run = await RunOneAsync(comparison, target, round, options);
                    runs.Add(run);
                    log.WriteLine(run.ToRow());
                    log.Flush();
                }
            }
        }

        return new ServerLoadReport(comparisons, runs);
    }

    private static async Task<ServerRun> RunOneAsync(ServerComparison comparison, ServerTarget target, int round, ServerLoadOptions options)
    {
        await using var load = await LoadHandle.StartAsync(target.Url, target.Body, options.Concurrency, target.Key, options.InProcessLoad);
        var (warmup, converged) = await WarmUpAsync(target, options);
        load.BeginMeasure();
        return await MeasureWindowAsync(comparison, target, round, load, options.Duration, warmup, converged, end: true);
    }

    /// <summary>
    /// The comparison's targets take turns against the same server process: every target's load
    /// client starts and warms up (as <see cref="RunOneAsync"/> does), then, <paramref name="cycles"/>
    /// times, each target in turn resumes, runs <see cref="ServerLoadOptions.Settle"/>, is measured
    /// for <see cref="ServerLoadOptions.Slice"/> and pauses. The order rotates every cycle, and a
    /// cycle is a round: its ratios compare windows seconds apart, so a machine that drifts over
    /// minutes moves both sides of a ratio alike.
    /// </summary>
    internal static async Task<List<ServerRun>> InterleaveAsync(ServerComparison comparison, int cycles, ServerLoadOptions options, TextWriter log)
    {
        var targets = comparison.Peers.Append(comparison.Project).ToArray();
        var loads = new List<LoadHandle>();
        var warmups = new (TimeSpan Warmup, bool Converged)[targets.Length];
        var runs = new List<ServerRun>();
        try
        {
            for (int i = 0; i < targets.Length; i++)
            {
                var load = await LoadHandle.StartAsync(targets[i].Url, targets[i].Body, options.Concurrency, targets[i].Key, options.InProcessLoad);
                loads.Add(load);
                warmups[i] = await WarmUpAsync(targets[i], options);
                await load.PauseAsync();
            }

            for (int cycle = 1; cycle <= cycles; cycle++)
            {
                for (int turn = 0; turn < targets.Length; turn++)
                {
                    int i = (turn + cycle - 1) % targets.Length;
                    await loads[i].ResumeAsync();
                    await Task.Delay(options.Settle);
                    loads[i].BeginMeasure();
                    await loads[i].TakeWindowAsync(); // what the settle time saw does not count
                    var run = await MeasureWindowAsync(comparison, targets[i], cycle, loads[i], options.Slice, warmups[i].Warmup, warmups[i].Converged, end: false);
                    await loads[i].PauseAsync();
                    runs.Add(run);
                    log.WriteLine(run.ToRow());
                    log.Flush();
                }
            }
        }
        finally
        {
            foreach (var load in loads)
            {
                await load.DisposeAsync();
            }
        }

        return runs;
    }

    /// <summary>Windows of requests/s until two consecutive ones agree within 5%, after the minimum; bounded by the maximum.</summary>
    private static async Task<(TimeSpan Warmup, bool Converged)> WarmUpAsync(ServerTarget target, ServerLoadOptions options)
    {
        var clock = Stopwatch.StartNew();
        double? previous = null;
        while (true)
        {
            long c0 = target.Counter.Value;
            long t0 = Stopwatch.GetTimestamp();
            await Task.Delay(options.Window);
            double rate = (target.Counter.Value - c0) / Stopwatch.GetElapsedTime(t0).TotalSeconds;
            if (clock.Elapsed >= options.MinWarmup && previous is { } p && p > 0 && Math.Abs(rate - p) / Math.Max(rate, p) <= 0.05)
            {
                return (clock.Elapsed, true);
            }

            if (clock.Elapsed >= options.MaxWarmup)
            {
                return (clock.Elapsed, false);
            }

            previous = rate;
        }
    }

    /// <summary>One measured window: requests counted by the server, the process's CPU and allocations, the client's latencies.</summary>
    private static async Task<ServerRun> MeasureWindowAsync(ServerComparison comparison, ServerTarget target, int round, LoadHandle load, TimeSpan duration, TimeSpan warmup, bool converged, bool end)
    {
        long count0 = target.Counter.Value;
        var cpu0 = Environment.CpuUsage.TotalTime;
        long alloc0 = GC.GetTotalAllocatedBytes(precise: true);
        long start = Stopwatch.GetTimestamp();
        await Task.Delay(duration);
        long count1 = target.Counter.Value;
        var cpu1 = Environment.CpuUsage.TotalTime;
        long alloc1 = GC.GetTotalAllocatedBytes(precise: true);
        var elapsed = Stopwatch.GetElapsedTime(start);
        var seen = end ? await load.EndMeasureAsync() : await load.TakeWindowAsync();
        long requests = Math.Max(1, count1 - count0);
        return new ServerRun(
            comparison.Name,
            round,
            target.Name,
            target == comparison.Project,
            (count1 - count0) / elapsed.TotalSeconds,
            seen.P50Ms,
            seen.P99Ms,
            (cpu1 - cpu0).TotalMicroseconds / requests,
            (double)(alloc1 - alloc0) / requests,
            warmup,
            converged,
            seen.Errors);
    }

    private static string LoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "unknown";
        }
    }

    /// <summary>A load client in its own process (or, for the smoke test, in this one).</summary>
    private sealed class LoadHandle : IAsyncDisposable
    {
        private readonly Process? process;
        private readonly LoadClient? inProcess;
        private readonly string? bodyFile;

        private LoadHandle(Process? process, LoadClient? inProcess, string? bodyFile)
        {
            this.process = process;
            this.inProcess = inProcess;
            this.bodyFile = bodyFile;
        }

        public static async Task<LoadHandle> StartAsync(Uri url, byte[] body, int concurrency, string? key, bool inProcess)
        {
            if (inProcess)
            {
                return new LoadHandle(null, LoadClient.Start(url, body, concurrency, key), null);
            }

            string file = Path.GetTempFileName();
            await File.WriteAllBytesAsync(file, body);
            string self = typeof(ServerLoad).Assembly.Location;
            string host = Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path) == "dotnet" ? path : "dotnet";
            var info = new ProcessStartInfo(host) { RedirectStandardOutput = true, RedirectStandardInput = true, UseShellExecute = false };
            foreach (string a in new[] { self, "--load-client", url.ToString(), file, concurrency.ToString(CultureInfo.InvariantCulture), key ?? "-" })
            {
                info.ArgumentList.Add(a);
            }

            var process = Process.Start(info)!;
            using var started = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            string? first = await process.StandardOutput.ReadLineAsync(started.Token);
            if (first != "started")
            {
                throw new InvalidOperationException($"The load client did not start: '{first}'.");
            }

            return new LoadHandle(process, null, file);
        }

        public Task PauseAsync() => SendAsync("pause", client => client.Pause());

        public Task ResumeAsync() => SendAsync("resume", client => client.Resume());

        /// <summary>What the client saw since it began measuring or since the last window.</summary>
        public async Task<LoadResult> TakeWindowAsync()
        {
            if (inProcess is not null)
            {
                return inProcess.TakeWindow();
            }

            await process!.StandardInput.WriteLineAsync("window");
            await process.StandardInput.FlushAsync();
            using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            string? line = await process.StandardOutput.ReadLineAsync(limit.Token);
            return LoadResult.Parse(line ?? throw new InvalidOperationException("The load client printed no window."));
        }

        private async Task SendAsync(string command, Action<LoadClient> inProcessAction)
        {
            if (inProcess is not null)
            {
                inProcessAction(inProcess);
                return;
            }

            await process!.StandardInput.WriteLineAsync(command);
            await process.StandardInput.FlushAsync();
        }

        public void BeginMeasure()
        {
            if (inProcess is not null)
            {
                inProcess.BeginMeasure();
            }
            else
            {
                process!.StandardInput.WriteLine("measure");
                process.StandardInput.Flush();
            }
        }

        public async Task<LoadResult> EndMeasureAsync()
        {
            if (inProcess is not null)
            {
                return await inProcess.EndMeasureAsync();
            }

            await process!.StandardInput.WriteLineAsync("stop");
            await process.StandardInput.FlushAsync();
            using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            string? line = await process.StandardOutput.ReadLineAsync(limit.Token);
            return LoadResult.Parse(line ?? throw new InvalidOperationException("The load client printed no result."));
        }

        public async ValueTask DisposeAsync()
        {
            if (inProcess is not null)
            {
                await inProcess.DisposeAsync();
            }

            if (process is not null)
            {
                process.StandardInput.Close();
                using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                try
                {
                    await process.WaitForExitAsync(limit.Token);
                }
                catch (OperationCanceledException)
                {
                    process.Kill();
                }

                process.Dispose();
            }

            if (bodyFile is not null)
            {
                File.Delete(bodyFile);
            }
        }
    }
}

/// <summary>How long and how hard to load. <c>--quick</c> shortens every phase for a smoke run (its numbers mean nothing).</summary>
public sealed record ServerLoadOptions
{
    public int Concurrency { get; init; } = 32;

    public TimeSpan Window { get; init; } = TimeSpan.FromSeconds(2);

    public TimeSpan MinWarmup { get; init; } = TimeSpan.FromSeconds(20);

    public TimeSpan MaxWarmup { get; init; } = TimeSpan.FromSeconds(60);

    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(10);

    public int Rounds { get; init; } = 2;

    /// <summary>When set, each comparison's targets take turns in this many cycles of short windows instead of rounds (see <see cref="ServerLoad.InterleaveAsync"/>).</summary>
    public int? Interleave { get; init; }

    /// <summary>The measured window of one turn when interleaving.</summary>
    public TimeSpan Slice { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>How long a target runs after it resumes before its window opens.</summary>
    public TimeSpan Settle { get; init; } = TimeSpan.FromSeconds(1);

    public bool InProcessLoad { get; init; }

    /// <summary>Runs only the comparisons whose name contains this.</summary>
    public string? Only { get; init; }

    public static ServerLoadOptions Quick { get; } = new()
    {
        Concurrency = 2,
        Window = TimeSpan.FromMilliseconds(200),
        MinWarmup = TimeSpan.FromMilliseconds(400),
        MaxWarmup = TimeSpan.FromMilliseconds(600),
        Duration = TimeSpan.FromMilliseconds(300),
        Slice = TimeSpan.FromMilliseconds(200),
        Settle = TimeSpan.FromMilliseconds(50),
    };

    public static ServerLoadOptions Parse(string[] args)
    {
        var o = args.Contains("--quick") ? Quick : new ServerLoadOptions();
        string? Value(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
        double? Number(string name) => Value(name) is { } v ? double.Parse(v, CultureInfo.InvariantCulture) : null;
        return o with
        {
            Concurrency = (int?)Number("--concurrency") ?? o.Concurrency,
            Window = Number("--window") is { } w ? TimeSpan.FromSeconds(w) : o.Window,
            MinWarmup = Number("--min-warmup") is { } mi ? TimeSpan.FromSeconds(mi) : o.MinWarmup,
            MaxWarmup = Number("--max-warmup") is { } ma ? TimeSpan.FromSeconds(ma) : o.MaxWarmup,
            Duration = Number("--duration") is { } d ? TimeSpan.FromSeconds(d) : o.Duration,
            Rounds = (int?)Number("--rounds") ?? o.Rounds,
            Interleave = (int?)Number("--interleave") ?? o.Interleave,
            Slice = Number("--slice") is { } s ? TimeSpan.FromSeconds(s) : o.Slice,
            Only = Value("--only") ?? o.Only,
        };
    }
}

/// <summary>One measured run of one target.</summary>
public sealed record ServerRun(
    string Comparison,
    int Round,
    string Target,
    bool IsProject,
    double RequestsPerSecond,
    double P50Ms,
    double P99Ms,
    double CpuMicrosecondsPerRequest,
    double AllocatedBytesPerRequest,
    TimeSpan Warmup,
    bool Converged,
    int Errors)
{
    public const string Header = "| comparison | round | target | requests/s | p50 ms | p99 ms | CPU µs/request | allocated B/request | warm-up s | converged | errors |\n|---|---:|---|---:|---:|---:|---:|---:|---:|---|---:|";

    public string ToRow() => FormattableString.Invariant(
        $"| {Comparison} | {Round} | {Target} | {RequestsPerSecond:0} | {P50Ms:0.00} | {P99Ms:0.00} | {CpuMicrosecondsPerRequest:0} | {AllocatedBytesPerRequest:0} | {Warmup.TotalSeconds:0} | {(Converged ? "yes" : "no")} | {Errors} |");
}

/// <summary>All runs, and the project's ratios to each peer within a round.</summary>
public sealed record ServerLoadReport(IReadOnlyList<ServerComparison> Comparisons, IReadOnlyList<ServerRun> Runs)
{
    /// <summary>project/peer per round: requests/s, p99, CPU per request, allocations per request.</summary>
    public IEnumerable<(string Comparison, string Peer, int Round, double Throughput, double P99, double Cpu, double Allocated)> Ratios()
    {
        foreach (var comparison in Comparisons)
        {
            foreach (var round in Runs.Where(r => r.Comparison == comparison.Name).GroupBy(r => r.Round))
            {
                var project = round.Single(r => r.IsProject);
                foreach (var peer in round.Where(r => !r.IsProject))
                {
                    yield return (comparison.Name, peer.Target, round.Key,
                        project.RequestsPerSecond / peer.RequestsPerSecond,
                        project.P99Ms / peer.P99Ms,
                        project.CpuMicrosecondsPerRequest / peer.CpuMicrosecondsPerRequest,
                        project.AllocatedBytesPerRequest / peer.AllocatedBytesPerRequest);
                }
            }
        }
    }

    /// <summary>The middle value (the mean of the two middle ones for an even count).</summary>
    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? double.NaN : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    /// <summary>The value at fraction <paramref name="p"/> of <paramref name="sorted"/> (ascending); NaN when empty.</summary>
    public static double Percentile(IReadOnlyList<double> sorted, double p) =>
        sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, (int)(p * sorted.Count))];

    public void WriteRatios(TextWriter writer)
    {
        writer.WriteLine("| comparison | project / peer | round | requests/s | p99 | CPU/request | allocated/request |");
        writer.WriteLine("|---|---|---:|---:|---:|---:|---:|");
        foreach (var r in Ratios())
        {
            var comparison = Comparisons.Single(c => c.Name == r.Comparison);
            writer.WriteLine(FormattableString.Invariant($"| {r.Comparison} | {comparison.Project.Name} / {r.Peer} | {r.Round} | {r.Throughput:0.00} | {r.P99:0.00} | {r.Cpu:0.00} | {r.Allocated:0.00} |"));
        }

        // Over many rounds (interleaved cycles), the median ratio and its range.
        var groups = Ratios().GroupBy(r => (r.Comparison, r.Peer)).Where(g => g.Count() >= 3).ToArray();
        if (groups.Length > 0)
        {
            writer.WriteLine();
            writer.WriteLine("| comparison | project / peer | rounds | requests/s median (min-max) | p99 median (min-max) | CPU/request median |");
            writer.WriteLine("|---|---|---:|---:|---:|---:|");
            foreach (var g in groups)
            {
                var comparison = Comparisons.Single(c => c.Name == g.Key.Comparison);
                writer.WriteLine(FormattableString.Invariant(
                    $"| {g.Key.Comparison} | {comparison.Project.Name} / {g.Key.Peer} | {g.Count()} | {Median(g.Select(r => r.Throughput)):0.00} ({g.Min(r => r.Throughput):0.00}-{g.Max(r => r.Throughput):0.00}) | {Median(g.Select(r => r.P99)):0.00} ({g.Min(r => r.P99):0.00}-{g.Max(r => r.P99):0.00}) | {Median(g.Select(r => r.Cpu)):0.00} |"));
            }
        }
    }
}
