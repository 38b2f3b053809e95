using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Threading;
using System.Threading.Tasks;

namespace OpenPipe.Benchmarks;

/// <summary>
/// The load generator, run as its own process: a fixed number of connections, each sending the
/// same POST back to back for a fixed time, reading every response whole. Prints
/// "requests/s | p50 | p99 | errors". Bounded in count of workers and in time; stops by itself.
/// </summary>
public static class LoadClient
{
    public static async Task<int> RunAsync(string[] args)
    {
        var url = new Uri(args[0]);
        byte[] body = await File.ReadAllBytesAsync(args[1]);
        int concurrency = int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture);
        var duration = TimeSpan.FromSeconds(int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture));
        var warmup = TimeSpan.FromSeconds(int.Parse(args[4], System.Globalization.CultureInfo.InvariantCulture));
        string? key = args[5] == "-" ? null : args[5];

        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = concurrency, PooledConnectionLifetime = Timeout.InfiniteTimeSpan });
        var started = Stopwatch.StartNew();
        var measureFrom = warmup;
        var stopAt = warmup + duration;
        var latencies = new List<double>[concurrency];
        var errors = new int[concurrency];
        var workers = Enumerable.Range(0, concurrency).Select(async w =>
        {
            latencies[w] = new List<double>(4096);
            while (started.Elapsed < stopAt)
            {
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

                    using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
                    await using var stream = await response.Content.ReadAsStreamAsync();
                    await stream.CopyToAsync(Stream.Null);
                    ok = response.IsSuccessStatusCode;
                }
                catch (HttpRequestException)
                {
                    ok = false;
                }

                if (started.Elapsed >= measureFrom && started.Elapsed < stopAt)
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
        }).ToArray();
        await Task.WhenAll(workers);

        var all = latencies.SelectMany(l => l).Order().ToArray();
        double Percentile(double p) => all.Length == 0 ? double.NaN : all[Math.Min(all.Length - 1, (int)(p * all.Length))];
        Console.WriteLine(FormattableString.Invariant($"{all.Length / duration.TotalSeconds:0} | {Percentile(0.50):0.00} | {Percentile(0.99):0.00} | {errors.Sum()}"));
        return 0;
    }
}
