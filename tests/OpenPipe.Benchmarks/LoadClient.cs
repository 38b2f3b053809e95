using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Threading;
using System.Threading.Tasks;

namespace OpenPipe.Benchmarks;

/// <summary>
/// The load generator: a fixed number of connections, each sending the same POST back to back and
/// reading every response whole, until stopped. Latencies are recorded only between
/// <see cref="BeginMeasure"/> and <see cref="EndMeasureAsync"/> (or <see cref="TakeWindow"/>).
/// <see cref="Pause"/> parks every worker after its request in flight, so several load clients can
/// take turns against one server. In its own process (<c>--load-client URL BODYFILE CONCURRENCY
/// KEY</c>) it takes the commands <c>measure</c>, <c>pause</c>, <c>resume</c>, <c>window</c>
/// (prints the window's "count | p50 ms | p99 ms | errors" and starts the next) and <c>stop</c>
/// (prints the same for what is left) on standard input, so the server's process does only server work. Bounded: it stops when told, when standard input
/// closes, or after <see cref="MaxLifetime"/>.
/// </summary>
public sealed class LoadClient : IAsyncDisposable
{
    /// <summary>A load client that is never told to stop ends by itself after this long.</summary>
    public static readonly TimeSpan MaxLifetime = TimeSpan.FromMinutes(5);

    private readonly HttpClient http;
    private readonly CancellationTokenSource stop = new(MaxLifetime);
    private readonly List<double>[] latencies;
    private readonly int[] errors;
    private readonly Task[] workers;
    private volatile bool measuring;
    private volatile TaskCompletionSource? paused;

    private LoadClient(Uri url, byte[] body, int concurrency, string? key)
    {
        http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = concurrency, PooledConnectionLifetime = Timeout.InfiniteTimeSpan })
        {
            Timeout = TimeSpan.FromSeconds(30),
        };
        latencies = Enumerable.Range(0, concurrency).Select(_ => new List<double>(8192)).ToArray();
        errors = new int[concurrency];
        workers = Enumerable.Range(0, concurrency).Select(w => Task.Run(() => WorkAsync(w, url, body, key))).ToArray();
    }

    /// <summary>Starts <paramref name="concurrency"/> workers against <paramref name="url"/>.</summary>
    public static LoadClient Start(Uri url, byte[] body, int concurrency, string? key) => new(url, body, concurrency, key);

    /// <summary>From now on, latencies and errors count.</summary>
    public void BeginMeasure() => measuring = true;

    /// <summary>Each worker finishes the request it has in flight, then waits for <see cref="Resume"/>.</summary>
    public void Pause() => paused ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The workers send again.</summary>
    public void Resume() => Interlocked.Exchange(ref paused, null)?.TrySetResult();

    /// <summary>What was measured since <see cref="BeginMeasure"/> or the last window; counting goes on from zero.</summary>
    public LoadResult TakeWindow()
    {
        var all = new List<double>();
        int failed = 0;
        for (int w = 0; w < latencies.Length; w++)
        {
            lock (latencies[w])
            {
                all.AddRange(latencies[w]);
                latencies[w].Clear();
                failed += Interlocked.Exchange(ref errors[w], 0);
            }
        }

        all.Sort();
        return new LoadResult(all.Count, ServerLoadReport.Percentile(all, 0.50), ServerLoadReport.Percentile(all, 0.99), failed);
    }

    /// <summary>Stops the workers and returns what was measured since <see cref="BeginMeasure"/> (or the last window).</summary>
    public async Task<LoadResult> EndMeasureAsync()
    {
        measuring = false;
        await stop.CancelAsync();
        Resume();
        await Task.WhenAll(workers);
        return TakeWindow();
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        Resume();
        await Task.WhenAll(workers);
        http.Dispose();
        stop.Dispose();
    }

    private async Task WorkAsync(int w, Uri url, byte[] body, string? key)
    {
        while (!stop.IsCancellationRequested)
        {
            if (paused is { } gate)
            {
                await gate.Task;
                continue;
            }

            long t0 = Stopwatch.GetTimestamp();
            bool ok;
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
                request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                if (key is not null)
                {
                    request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
                }

                using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, stop.Token);
                await using var stream = await response.Content.ReadAsStreamAsync(stop.Token);
                await stream.CopyToAsync(Stream.Null, stop.Token);
                ok = response.IsSuccessStatusCode;
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (HttpRequestException)
            {
                ok = false;
            }

            if (measuring)
            {
                lock (latencies[w])
                {
                    if (ok)
                    {
                        latencies[w].Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
                    }
                    else
                    {
                        errors[w]++;
                    }
                }
            }
        }
    }

    /// <summary>The process entry point: <c>--load-client URL BODYFILE CONCURRENCY KEY</c>, then commands on standard input.</summary>
    public static async Task<int> RunProcessAsync(string[] args)
    {
        var url = new Uri(args[0]);
        byte[] body = await File.ReadAllBytesAsync(args[1]);
        int concurrency = int.Parse(args[2], CultureInfo.InvariantCulture);
        string? key = args[3] == "-" ? null : args[3];
        await using var load = Start(url, body, concurrency, key);
        Console.WriteLine("started");
        string? line;
        while ((line = await Console.In.ReadLineAsync()) is not null)
        {
            switch (line)
            {
                case "measure":
                    load.BeginMeasure();
                    break;
                case "pause":
                    load.Pause();
                    break;
                case "resume":
                    load.Resume();
                    break;
                case "window":
                    Console.WriteLine(load.TakeWindow().ToLine());
                    break;
            }

            if (line == "stop")
            {
                break;
            }
        }

        var result = await load.EndMeasureAsync();
        Console.WriteLine(result.ToLine());
        return 0;
    }
}

/// <summary>What the load client saw while measuring.</summary>
public sealed record LoadResult(int Count, double P50Ms, double P99Ms, int Errors)
{
    public string ToLine() => FormattableString.Invariant($"{Count} | {P50Ms:0.000} | {P99Ms:0.000} | {Errors}");

    public static LoadResult Parse(string line)
    {
        var c = line.Split('|').Select(s => s.Trim()).ToArray();
        return new LoadResult(
            int.Parse(c[0], CultureInfo.InvariantCulture),
            double.Parse(c[1], CultureInfo.InvariantCulture),
            double.Parse(c[2], CultureInfo.InvariantCulture),
            int.Parse(c[3], CultureInfo.InvariantCulture));
    }
}
