using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net.Http;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Newtonsoft.Json.Linq;
using Npgsql;
using OpenPipe.Client;
using OpenPipe.Gateway;
using OpenPipe.Gateway.Api;
using OpenPipe.Gateway.Logs;
using OpenPipe.Gateway.LogsPage;
using OpenPipe.Gateway.Storage;
using OpenPipe.Gateway.Tests.Support;

namespace OpenPipe.Benchmarks;

/// <summary>
/// The request log at scale on PostgreSQL: seeds N rows (default 1,000,000) through the store's own
/// batched insert, then times filtered pages of 50 (the logs API's query, newest first) with each
/// one's <c>EXPLAIN (ANALYZE, BUFFERS)</c>, and streams the fine-tuning export of 100,000 and of every
/// row through the gateway on Kestrel, sampling the process's managed heap and working set.
/// <c>dotnet run -c Release --project tests/OpenPipe.Benchmarks -- --log-queries [--rows N] [--postgres CONNECTION_STRING [--no-seed]] [--out FILE]</c>.
/// </summary>
public static class LogQueries
{
    private const string AdminKey = "bench-admin-key";
    private const int Keys = 10;
    private const int Models = 20;
    private const int BatchSize = 5_000;

    public static async Task<int> RunAsync(string[] args)
    {
        int rows = args.SkipWhile(a => a != "--rows").Skip(1).Select(a => int.Parse(a, CultureInfo.InvariantCulture)).FirstOrDefault(1_000_000);
        string? postgres = args.SkipWhile(a => a != "--postgres").Skip(1).FirstOrDefault();
        string? outFile = args.SkipWhile(a => a != "--out").Skip(1).FirstOrDefault();
        var report = new StringBuilder();
        void Print(string line)
        {
            Console.WriteLine(line);
            report.AppendLine(line);
        }

        PostgresServer? server = null;
        try
        {
            if (postgres is null)
            {
                server = await PostgresServer.StartAsync();
                postgres = await server.CreateDatabaseAsync("bench_logs");
            }

            await using var store = new PostgresGatewayStore(postgres);
            await store.InitializeAsync();
            Print($"PostgreSQL {await ScalarAsync(postgres, "SHOW server_version")}, trigram index: {(store.TextIndexProblem is null ? "yes" : store.TextIndexProblem)}");
            var end = new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);
            var seeding = Stopwatch.StartNew();

            // --no-seed measures a database this benchmark seeded before (--postgres), with the schema of this build.
            if (args.Contains("--no-seed"))
            {
                rows = int.Parse(await ScalarAsync(postgres, "SELECT count(*) FROM request_log"), CultureInfo.InvariantCulture);
            }

            for (int start = 0; start < rows && !args.Contains("--no-seed"); start += BatchSize)
            {
                await store.WriteLogAsync(Enumerable.Range(start, Math.Min(BatchSize, rows - start)).Select(i => Row(i, rows, end)).ToList());
                if ((start / BatchSize) % 40 == 39)
                {
                    Console.WriteLine($"  seeded {start + BatchSize:N0} rows in {seeding.Elapsed.TotalSeconds:0} s");
                }
            }

            seeding.Stop();
            await ScalarAsync(postgres, "VACUUM ANALYZE request_log");
            await ScalarAsync(postgres, "VACUUM ANALYZE request_log_tags");
            await ScalarAsync(postgres, "VACUUM ANALYZE request_log_criteria");
            Print($"seeded {rows:N0} rows through the store's batched insert ({BatchSize:N0} a transaction) in {seeding.Elapsed.TotalSeconds:0.0} s ({rows / seeding.Elapsed.TotalSeconds:N0} rows/s), then VACUUM ANALYZE");
            Print($"table {await ScalarAsync(postgres, "SELECT pg_size_pretty(pg_table_size('request_log'))")}, its indexes {await ScalarAsync(postgres, "SELECT pg_size_pretty(pg_indexes_size('request_log'))")} (trigram {await ScalarAsync(postgres, "SELECT COALESCE(pg_size_pretty(pg_relation_size(to_regclass('request_log_text_trgm'))), 'none')")}), tag rows {await ScalarAsync(postgres, "SELECT count(*) FROM request_log_tags")}");
            Print(string.Empty);

            string middle = await ScalarAsync(postgres, $"SELECT received_at::text || '|' || id FROM request_log ORDER BY received_at DESC, id DESC OFFSET {rows / 2} LIMIT 1");
            var cursor = new LogCursor(DateTimeOffset.Parse(middle.Split('|')[0], CultureInfo.InvariantCulture), long.Parse(middle.Split('|')[1], CultureInfo.InvariantCulture));
            var cases = new (string Name, LogQuery Query, LogCursor? After)[]
            {
                ("every key (admin), newest", LogQuery.All, null),
                ("one key", new LogQuery { KeyId = KeyId(3) }, null),
                ("one key, page in the middle (cursor)", new LogQuery { KeyId = KeyId(3) }, cursor),
                ("one key and model", new LogQuery { KeyId = KeyId(3), Model = Model(7) }, null),
                ("status 5xx (2%)", new LogQuery { Statuses = [new StatusRange(500, 599)] }, null),
                ("one key, status 499 (0.5%)", new LogQuery { KeyId = KeyId(1), Statuses = [new StatusRange(499, 499)] }, null),
                ("tag prompt_id=p-0042 (0.06%)", new LogQuery { Tags = [new TagCondition("prompt_id", ["p-0042"])] }, null),
                ("one key, tag attempt=3 (6%)", new LogQuery { KeyId = KeyId(2), Tags = [new TagCondition("attempt", ["3"])] }, null),
                ("criterion rare@v1 (0.01%)", new LogQuery { Criterion = "rare@v1" }, null),
                ("one key, cache hits (10%)", new LogQuery { KeyId = KeyId(4), CacheHit = true }, null),
                ("one day, 20 days back", new LogQuery { From = end.AddDays(-20), To = end.AddDays(-19) }, null),
                ("text 'needle' (0.01%)", new LogQuery { Text = "needle" }, null),
                ("one key, text 'w2a' (common)", new LogQuery { KeyId = KeyId(5), Text = "w2a" }, null),
                ("key, model, 2xx and a tag", new LogQuery { KeyId = KeyId(6), Model = Model(2), Statuses = [new StatusRange(200, 299)], Tags = [new TagCondition("attempt", ["1"])] }, null),
            };

            Print("| filtered page of 50 | rows | median ms | p95 ms | max ms |");
            Print("|---|---:|---:|---:|---:|");
            var plans = new StringBuilder();
            foreach (var (name, query, after) in cases)
            {
                var times = new List<double>();
                int found = 0;
                for (int run = 0; run < 23; run++)
                {
                    var watch = Stopwatch.StartNew();
                    found = (await store.ListLogsAsync(query, after, 51)).Count;
                    watch.Stop();
                    if (run >= 3)
                    {
                        times.Add(watch.Elapsed.TotalMilliseconds);
                    }
                }

                times.Sort();
                Print($"| {name} | {Math.Min(found, 50)} | {times[times.Count / 2]:0.00} | {times[(int)(times.Count * 0.95)]:0.00} | {times[^1]:0.00} |");
                plans.AppendLine($"#### {name}").AppendLine().AppendLine("```").AppendLine(await store.ExplainListAsync(query, after, 51)).AppendLine("```").AppendLine();
            }

            Print(string.Empty);
            Print("| export | lines | skipped | seconds | rows/s | managed heap peak | working set peak (before) | allocated per row |");
            Print("|---|---:|---:|---:|---:|---:|---:|---:|");
            await using (var gateway = await StartGatewayAsync(postgres))
            {
                var http = new HttpClient { BaseAddress = gateway.Address, Timeout = Timeout.InfiniteTimeSpan };
                http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", AdminKey);
                string recent = Uri.EscapeDataString(end.AddDays(-30.0 * 100_000 / rows).ToString("o", CultureInfo.InvariantCulture));
                foreach (var (name, path) in new[] { ("warm-up (one key, a day)", $"/api/v1/logs/export?key_id={KeyId(0)}&from={Uri.EscapeDataString(end.AddDays(-1).ToString("o", CultureInfo.InvariantCulture))}"), ("100,000 newest rows", "/api/v1/logs/export?from=" + recent), ($"all {rows:N0} rows", "/api/v1/logs/export") })
                {
                    var result = await ExportAsync(http, path);
                    if (!name.StartsWith("warm-up", StringComparison.Ordinal))
                    {
                        Print($"| {name} | {result.Lines:N0} | {result.Skipped} | {result.Seconds:0.0} | {(result.Lines + long.Parse(result.Skipped.Split(' ')[0], CultureInfo.InvariantCulture)) / result.Seconds:N0} | {result.HeapPeak / 1048576.0:0} MiB | {result.WorkingSetPeak / 1048576.0:0} MiB ({result.WorkingSetBefore / 1048576.0:0}) | {result.AllocatedPerRow:N0} B |");
                    }
                }

                Print(string.Empty);
                Print("| the /logs page (signed in as an admin) | median ms | p95 ms | max ms | HTML KB |");
                Print("|---|---:|---:|---:|---:|");
                using var page = await LogsPageTimings.SignInAsync(gateway.Address, AdminKey);
                string lastCall = await ScalarAsync(postgres, "SELECT max(id) FROM request_log WHERE status = 200");
                foreach (var (name, path) in new[]
                {
                    ("calls, newest 50", "/logs"),
                    ("calls, 200 a page", "/logs?limit=200"),
                    ("calls, one key and model", $"/logs?key_id={KeyId(3)}&model={Model(7)}"),
                    ("calls, key, model, 2xx and a tag", $"/logs?key_id={KeyId(6)}&model={Model(2)}&status=2xx&tag=attempt%3D1"),
                    ("calls, text 'needle'", "/logs?q=needle"),
                    ("one call", "/logs/" + lastCall),
                    ($"usage by day, all {rows:N0} rows", "/logs/usage"),
                    ("usage by model, one day", $"/logs/usage?group_by=model&from={Uri.EscapeDataString(end.AddDays(-1).ToString("o", CultureInfo.InvariantCulture))}"),
                })
                {
                    var (times, bytes) = await LogsPageTimings.TimeAsync(page, path);
                    Print($"| {name} | {times[times.Count / 2]:0.0} | {times[(int)(times.Count * 0.95)]:0.0} | {times[^1]:0.0} | {bytes / 1024.0:0} |");
                }
            }

            Print(string.Empty);
            Print("Plans (EXPLAIN (ANALYZE, BUFFERS) of the same statements):");
            Print(string.Empty);
            Print(plans.ToString());
        }
        finally
        {
            if (server is not null)
            {
                await server.DisposeAsync();
            }
        }

        if (outFile is not null)
        {
            await File.WriteAllTextAsync(outFile, report.ToString());
        }

        return 0;
    }

    private static string KeyId(int k) => "key_bench" + k.ToString("00", CultureInfo.InvariantCulture);

    private static string Model(int m) => "model-" + m.ToString("00", CultureInfo.InvariantCulture);

    private static string Word(int w) => "w" + w.ToString("x", CultureInfo.InvariantCulture);

    /// <summary>Row <paramref name="i"/> of <paramref name="count"/>: spread over 30 days up to <paramref name="end"/>, its attributes from a seeded generator.</summary>
    private static RequestLogEntry Row(int i, int count, DateTimeOffset end)
    {
        var random = new Random(i);
        int key = random.Next(Keys);
        int model = random.Next(Models);
        int roll = random.Next(1000);
        int status = roll < 20 ? 500 : roll < 50 ? 429 : roll < 70 ? 400 : roll < 75 ? 499 : 200;
        var tags = new JObject();
        if (random.Next(10) < 6)
        {
            tags["prompt_id"] = "p-" + random.Next(1000).ToString("0000", CultureInfo.InvariantCulture);
        }

        if (random.Next(10) < 3)
        {
            tags["attempt"] = random.Next(1, 6);
        }

        if (random.Next(10) == 0)
        {
            tags["reviewed"] = random.Next(2) == 0;
        }

        var words = string.Join(' ', Enumerable.Range(0, random.Next(12, 40)).Select(_ => Word(random.Next(4000))));
        if (random.Next(10_000) == 0)
        {
            words += " needle";
        }

        long prompt = random.Next(20, 400), completion = random.Next(5, 200);
        string request = new JObject
        {
            ["model"] = Model(model),
            ["messages"] = new JArray(
                new JObject { ["role"] = "system", ["content"] = "You are a careful assistant." },
                new JObject { ["role"] = "user", ["content"] = words }),
            ["store"] = true,
        }.ToString(Newtonsoft.Json.Formatting.None);
        string? response = status == 200
            ? new JObject
            {
                ["id"] = "chatcmpl-" + i.ToString(CultureInfo.InvariantCulture),
                ["object"] = "chat.completion",
                ["created"] = 1_760_000_000,
                ["model"] = Model(model),
                ["choices"] = new JArray(new JObject { ["index"] = 0, ["finish_reason"] = "stop", ["message"] = new JObject { ["role"] = "assistant", ["content"] = "Noted: " + words[..Math.Min(60, words.Length)] } }),
                ["usage"] = new JObject { ["prompt_tokens"] = prompt, ["completion_tokens"] = completion, ["total_tokens"] = prompt + completion },
            }.ToString(Newtonsoft.Json.Formatting.None)
            : null;
        return new RequestLogEntry
        {
            // Rows arrive in time order give or take two seconds, as concurrent requests do.
            ReceivedAt = end.AddDays(-30).AddTicks((long)(TimeSpan.FromDays(30).Ticks * (i / (double)count))).AddMilliseconds(random.Next(-2000, 2000)),
            KeyId = KeyId(key),
            Model = Model(model),
            Backend = model < 10 ? "openai" : "echo",
            Status = status,
            Error = status == 200 ? null : "upstream said no",
            LatencyMs = random.Next(100, 5000),
            PromptTokens = prompt,
            CompletionTokens = status == 200 ? completion : null,
            TotalTokens = status == 200 ? prompt + completion : prompt,
            RequestJson = request,
            ResponseJson = response,
            Tags = tags.Count == 0 ? null : tags.ToString(Newtonsoft.Json.Formatting.None),
            Criteria = random.Next(20) == 0 ? "[\"tone@v1\"]" : random.Next(10_000) == 0 ? "[\"rare@v1\"]" : null,
            CacheHit = random.Next(10) == 0,
            CompletionId = "chatcmpl-" + i.ToString(CultureInfo.InvariantCulture),
        };
    }

    private static async Task<(long Lines, string Skipped, double Seconds, long HeapPeak, long WorkingSetPeak, long WorkingSetBefore, long AllocatedPerRow)> ExportAsync(HttpClient http, string path)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        using var process = Process.GetCurrentProcess();
        process.Refresh();
        long before = process.WorkingSet64;
        long heapPeak = 0, workingSetPeak = 0;
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                heapPeak = Math.Max(heapPeak, GC.GetTotalMemory(false));
                process.Refresh();
                workingSetPeak = Math.Max(workingSetPeak, process.WorkingSet64);
                await Task.Delay(10).ConfigureAwait(false);
            }
        });
        long allocated = GC.GetTotalAllocatedBytes(precise: true);
        var watch = Stopwatch.StartNew();
        using var response = await http.GetAsync(path, HttpCompletionOption.ResponseHeadersRead);
        response.EnsureSuccessStatusCode();
        long lines = 0;
        await using (var body = await response.Content.ReadAsStreamAsync())
        {
            byte[] buffer = new byte[64 * 1024];
            int read;
            while ((read = await body.ReadAsync(buffer)) > 0)
            {
                lines += buffer.AsSpan(0, read).Count((byte)'\n');
            }
        }

        watch.Stop();
        allocated = GC.GetTotalAllocatedBytes(precise: true) - allocated;
        await sampling.CancelAsync();
        await sampler;
        // Over HTTP/1.1 Kestrel sends no trailers: the headers count the rows, the lines are the written ones.
        long Header(string name) => long.Parse(response.Headers.GetValues(name).Single(), CultureInfo.InvariantCulture);
        long rowsRead = Header(JsonlExport.RowsHeader);
        string skipped = string.Create(CultureInfo.InvariantCulture, $"{rowsRead - lines} ({Header(JsonlExport.FailedHeader)} failed, {Header(JsonlExport.NoResponseHeader)} without a response)");
        long total = rowsRead;
        return (lines, skipped, watch.Elapsed.TotalSeconds, heapPeak, workingSetPeak, before, total == 0 ? 0 : allocated / total);
    }

    /// <summary>The gateway as its Program.cs builds it, on the benchmark's database, on Kestrel at 127.0.0.1.</summary>
    private static async Task<RunningGateway> StartGatewayAsync(string postgres)
    {
        // As the gateway's Program.cs: the page's cookie scheme must not become the default scheme.
        AppContext.SetSwitch("Microsoft.AspNetCore.Authentication.SuppressAutoDefaultScheme", true);
        var builder = WebApplication.CreateBuilder();
        builder.Configuration["Logging:LogLevel:Default"] = "Warning";
        builder.Configuration["Gateway:Storage:Provider"] = "postgres";
        builder.Configuration["Gateway:Storage:ConnectionString"] = postgres;
        builder.Configuration["Gateway:Admin:Keys:0"] = AdminKey;
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddOpenPipeServer<GatewayChatHandler>(o => o.ApiKeys.Add("bench-api-key"));
        builder.Services.AddOpenPipeGateway();
        builder.Services.AddGatewayLogsPage();
        var app = builder.Build();
        app.UseRouting();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapOpenPipeChatCompletions().MapGatewayApi().MapGatewayRequestLog();
        app.MapGatewayLogsPage();
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new RunningGateway(app, new Uri(address));
    }

    private static async Task<string> ScalarAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 0 };
        return Convert.ToString(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture) ?? string.Empty;
    }

    private sealed record RunningGateway(WebApplication App, Uri Address) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await App.StopAsync();
            await App.DisposeAsync();
        }
    }
}
