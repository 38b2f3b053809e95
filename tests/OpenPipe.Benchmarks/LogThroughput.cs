using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using OpenPipe.Gateway;
using OpenPipe.Gateway.Storage;
using OpenPipe.Gateway.Tests.Support;

namespace OpenPipe.Benchmarks;

/// <summary>
/// The gateway's request log writer: how many rows per second it stores through the bounded queue
/// and the batched writer, on SQLite (a temporary file) and on PostgreSQL (a throwaway server, or
/// <c>--postgres CONNECTION_STRING</c>), with one row per transaction as the baseline.
/// <c>dotnet run -c Release --project tests/OpenPipe.Benchmarks -- --log-throughput [--rows N]</c>.
/// </summary>
public static class LogThroughput
{
    public static async Task<int> RunAsync(string[] args)
    {
        int rows = args.SkipWhile(a => a != "--rows").Skip(1).Select(a => int.Parse(a, CultureInfo.InvariantCulture)).FirstOrDefault(20_000);
        string? postgres = args.SkipWhile(a => a != "--postgres").Skip(1).FirstOrDefault();
        Console.WriteLine($"{"storage",-24} {"batch",6} {"rows",8} {"seconds",8} {"rows/s",10}");
        string file = Path.Combine(Path.GetTempPath(), $"openpipe-bench-{Guid.NewGuid():N}.db");
        try
        {
            foreach (int batch in new[] { 1, 500 })
            {
                var store = new SqliteGatewayStore("Data Source=" + file, Path.GetTempPath());
                Print("sqlite", batch, await MeasureAsync(store, batch, batch == 1 ? Math.Min(rows, 2_000) : rows));
            }
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            foreach (string f in new[] { file, file + "-wal", file + "-shm" })
            {
                File.Delete(f);
            }
        }

        PostgresServer? server = null;
        try
        {
            if (postgres is null)
            {
                server = await PostgresServer.StartAsync();
                postgres = await server.CreateDatabaseAsync("bench");
            }

            foreach (int batch in new[] { 1, 500 })
            {
                await using var store = new PostgresGatewayStore(postgres);
                Print("postgres", batch, await MeasureAsync(store, batch, batch == 1 ? Math.Min(rows, 2_000) : rows));
            }

            // The free-text search index (pg_trgm) is most of a logged row's cost; Gateway:Storage:TextIndex=false drops it.
            await using (var store = new PostgresGatewayStore(postgres) { TextIndex = false })
            {
                Print("postgres, no text index", 500, await MeasureAsync(store, 500, rows));
            }
        }
        finally
        {
            if (server is not null)
            {
                await server.DisposeAsync();
            }
        }

        return 0;
    }

    /// <summary>Queues <paramref name="rows"/> entries at once and times the writer until all are stored.</summary>
    /// <returns>(rows, elapsed).</returns>
    public static async Task<(int Rows, TimeSpan Elapsed)> MeasureAsync(IGatewayStore store, int batchSize, int rows)
    {
        var options = Options.Create(new GatewayOptions());
        options.Value.RequestLog.QueueCapacity = rows;
        options.Value.Storage.BatchSize = batchSize;
        options.Value.Storage.FlushInterval = TimeSpan.FromMilliseconds(50);
        var queue = new RequestLogQueue(options, NullLogger<RequestLogQueue>.Instance);
        using var writer = new RequestLogWriter(store, queue, options, NullLogger<RequestLogWriter>.Instance);
        await writer.StartAsync(default);
        string request = """{"model":"echo","messages":[{"role":"user","content":"How many rows per second does the log keep up with?"}],"store":true}""";
        string response = """{"id":"chatcmpl-bench","object":"chat.completion","created":1,"model":"echo","choices":[{"index":0,"finish_reason":"stop","message":{"role":"assistant","content":"Enough."}}],"usage":{"prompt_tokens":11,"completion_tokens":1,"total_tokens":12}}""";
        var watch = Stopwatch.StartNew();
        for (int i = 0; i < rows; i++)
        {
            queue.TryEnqueue(new RequestLogEntry
            {
                ReceivedAt = DateTimeOffset.UtcNow, KeyId = "bench", Model = "echo", Backend = "echo", Status = 200, LatencyMs = 1.5,
                PromptTokens = 11, CompletionTokens = 1, TotalTokens = 12, RequestJson = request, ResponseJson = response, CompletionId = "chatcmpl-bench",
            });
        }

        await writer.StopAsync(default);
        watch.Stop();
        if (queue.Processed != rows || queue.Dropped != 0)
        {
            throw new InvalidOperationException($"Expected {rows} rows written; processed {queue.Processed}, dropped {queue.Dropped}.");
        }

        return (rows, watch.Elapsed);
    }

    private static void Print(string storage, int batch, (int Rows, TimeSpan Elapsed) result) =>
        Console.WriteLine($"{storage,-24} {batch,6} {result.Rows,8} {result.Elapsed.TotalSeconds,8:0.00} {result.Rows / result.Elapsed.TotalSeconds,10:N0}");
}
