using Microsoft.Extensions.DependencyInjection;
using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Newtonsoft.Json.Linq;
using NUnit.Framework;
using OpenPipe.Client;
using OpenPipe.Gateway.Storage;
using OpenPipe.Server;

namespace OpenPipe.Gateway.Tests;

/// <summary>Requests that ask to be stored land in SQLite; others do not; shutdown drains the queue.</summary>
[TestFixture]
public sealed class RequestLogTests
{
    private static ChatCompletionRequest Request(string text, bool? store = null) => new()
    {
        Model = "echo",
        Messages = [new UserMessage { Content = text }],
        Store = store,
        Metadata = store == true ? new Dictionary<string, string> { ["prompt_id"] = "p-1" } : null,
    };

    [Test]
    public async Task Post_StoreTrue_WritesOneRowWithEveryField()
    {
        // Arrange
        using var factory = new GatewayFactory(new Uri("http://127.0.0.1:9/v1"));
        using var client = factory.CreateOpenPipeClient();

        // Act
        await client.CreateChatCompletionAsync(Request("log me please", store: true),
            new OpenPipeRequestOptions { Tags = new Dictionary<string, TagValue> { ["team"] = "search", ["attempt"] = 2, ["cached"] = false, ["gone"] = null } });
        var rows = await factory.WaitForRowsAsync(1);

        // Assert
        var row = rows.Single();
        Assert.Multiple(() =>
        {
            Assert.That(row["key_id"], Is.EqualTo(OpenPipeCaller.KeyIdOf(GatewayFactory.Key)));
            Assert.That(row["key_id"], Is.Not.EqualTo(GatewayFactory.Key));
            Assert.That(row["model"], Is.EqualTo("echo"));
            Assert.That(row["backend"], Is.EqualTo("echo"));
            Assert.That(row["stream"], Is.EqualTo(0L));
            Assert.That(row["status"], Is.EqualTo(200L));
            Assert.That(row["error"], Is.Null);
            Assert.That((double)row["latency_ms"]!, Is.GreaterThan(0));
            Assert.That(row["prompt_tokens"], Is.EqualTo(3L));
            Assert.That(row["completion_tokens"], Is.EqualTo(3L));
            Assert.That(row["total_tokens"], Is.EqualTo(6L));
            Assert.That((string?)JObject.Parse((string)row["request_json"]!)["messages"]![0]!["content"], Is.EqualTo("log me please"));
            Assert.That((string?)JObject.Parse((string)row["response_json"]!)["choices"]![0]!["message"]!["content"], Is.EqualTo("log me please"));
            Assert.That(JObject.Parse((string)row["metadata_json"]!)["prompt_id"]!.ToString(), Is.EqualTo("p-1"));
            Assert.That(row["tags"], Is.EqualTo("""{"team":"search","attempt":2,"cached":false}"""), "each tag keeps its JSON type; a null tag is no tag");
            Assert.That(DateTimeOffset.Parse((string)row["received_at"]!, System.Globalization.CultureInfo.InvariantCulture), Is.GreaterThan(DateTimeOffset.UtcNow.AddMinutes(-5)));
        });
    }

    [Test]
    public async Task Post_NoFlag_WritesNothingButTheHeaderFlagDoes()
    {
        // Arrange
        using var factory = new GatewayFactory(new Uri("http://127.0.0.1:9/v1"));
        using var client = factory.CreateOpenPipeClient();

        // Act: an unflagged request, then one flagged by op-log-request (the queue keeps order).
        await client.CreateChatCompletionAsync(Request("not logged"));
        await client.CreateChatCompletionAsync(Request("logged by header"), new OpenPipeRequestOptions { LogRequest = true });
        var rows = await factory.WaitForRowsAsync(1);
        await Task.Delay(300);
        rows = await factory.RowsAsync();

        // Assert
        Assert.That(rows, Has.Count.EqualTo(1));
        Assert.That((string)rows[0]["request_json"]!, Does.Contain("logged by header"));
    }

    [Test]
    public async Task Stream_StoreTrue_IsLoggedOnceWithItsMergedContent()
    {
        // Arrange
        using var factory = new GatewayFactory(new Uri("http://127.0.0.1:9/v1"));
        using var client = factory.CreateOpenPipeClient();

        // Act
        await client.CreateChatCompletionStreamingAsync(Request("streamed words here", store: true)).ToChatCompletionAsync();
        await factory.WaitForRowsAsync(1);
        await Task.Delay(300);
        var rows = await factory.RowsAsync();

        // Assert
        Assert.That(rows, Has.Count.EqualTo(1));
        Assert.That(rows[0]["stream"], Is.EqualTo(1L));
        Assert.That((string?)JObject.Parse((string)rows[0]["response_json"]!)["choices"]![0]!["message"]!["content"], Is.EqualTo("streamed words here"));
    }

    [Test]
    public async Task Shutdown_WithEntriesQueued_DrainsThemAll()
    {
        // Arrange
        var factory = new GatewayFactory(new Uri("http://127.0.0.1:9/v1"));
        using (var client = factory.CreateOpenPipeClient())
        {
            await Task.WhenAll(Enumerable.Range(0, 40).Select(i => client.CreateChatCompletionAsync(Request("entry " + i, store: true))));
        }

        // Act: stop the host at once; the writer must drain the queue before it stops.
        await factory.Services.GetRequiredService<Microsoft.Extensions.Hosting.IHostApplicationLifetime>().StopApplicationAndWaitAsync();

        // Assert: no waiting for the writer here, the stopped host has written everything.
        Assert.That(await factory.RowsAsync(), Has.Count.EqualTo(40));
        await factory.DisposeAsync();
    }

    [Test]
    public async Task Start_FileWithTheFirstReleasesSchema_IsMigratedIdempotentlyAndKeepsItsRows()
    {
        // Arrange: a log file as the first release wrote it, with one row.
        string path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"openpipe-old-{Guid.NewGuid():N}.db");
        await using (var old = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path};Pooling=False"))
        {
            await old.OpenAsync();
            await using var create = old.CreateCommand();
            create.CommandText = """
                CREATE TABLE request_log (id INTEGER PRIMARY KEY AUTOINCREMENT, received_at TEXT NOT NULL, key_id TEXT NOT NULL, model TEXT NOT NULL,
                    backend TEXT NOT NULL, stream INTEGER NOT NULL, status INTEGER NOT NULL, error TEXT, latency_ms REAL NOT NULL, prompt_tokens INTEGER,
                    completion_tokens INTEGER, total_tokens INTEGER, request_json TEXT NOT NULL, response_json TEXT, metadata_json TEXT, tags TEXT);
                INSERT INTO request_log (received_at, key_id, model, backend, stream, status, latency_ms, request_json)
                    VALUES ('2025-01-01T00:00:00Z', 'k', 'old', 'echo', 0, 200, 1.5, '{"old":true}');
                """;
            await create.ExecuteNonQueryAsync();
        }

        var settings = new Dictionary<string, string?> { ["Gateway:RequestLog:Path"] = path };
        try
        {
            // Act: two starts on the same file, one logged request each.
            for (int run = 0; run < 2; run++)
            {
                using var factory = new GatewayFactory(new Uri("http://127.0.0.1:9/v1"), settings);
                using var client = factory.CreateOpenPipeClient();
                await client.CreateChatCompletionAsync(Request("after migration " + run, store: true));
                await factory.Services.GetRequiredService<Microsoft.Extensions.Hosting.IHostApplicationLifetime>().StopApplicationAndWaitAsync();
            }

            // Assert
            await using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path};Mode=ReadOnly;Pooling=False");
            await connection.OpenAsync();
            await using var select = connection.CreateCommand();
            select.CommandText = "SELECT model, entry_id, cache_hit FROM request_log ORDER BY id";
            var rows = new List<(string Model, string? EntryId, long CacheHit)>();
            await using (var reader = await select.ExecuteReaderAsync())
            {
                while (await reader.ReadAsync())
                {
                    rows.Add((reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1), reader.GetInt64(2)));
                }
            }

            Assert.That(rows.Select(r => r.Model), Is.EqualTo(new[] { "old", "echo", "echo" }));
            Assert.That(rows[0].EntryId, Is.Null, "the old row is kept as it was");
            Assert.That(rows.Skip(1).All(r => r.EntryId is { Length: 32 } && r.CacheHit == 0), Is.True);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            foreach (string file in new[] { path, path + "-wal", path + "-shm" })
            {
                System.IO.File.Delete(file);
            }
        }
    }

    [Test]
    public async Task TablesDropped_WhileRunning_AreCreatedAgainAndLaterEntriesAreWritten()
    {
        // Arrange: a gateway that has written a row, then its tables are dropped behind its back.
        using var factory = new GatewayFactory(new Uri("http://127.0.0.1:9/v1"));
        using var client = factory.CreateOpenPipeClient();
        await client.CreateChatCompletionAsync(Request("before the drop", store: true));
        Assert.That(await factory.WaitForRowsAsync(1), Has.Count.EqualTo(1));
        await using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={factory.DatabasePath};Pooling=False"))
        {
            await connection.OpenAsync();
            await using var drop = connection.CreateCommand();
            drop.CommandText = "DROP TABLE request_log; DROP TABLE response_cache;";
            await drop.ExecuteNonQueryAsync();
        }

        // Act
        for (int i = 0; i < 3; i++)
        {
            await client.CreateChatCompletionAsync(Request($"after the drop {i}", store: true));
        }

        var rows = await WaitForRowsOrEmptyAsync(factory, 3);

        // Assert
        Assert.That(rows.Select(r => (string)r["request_json"]!).Count(r => r.Contains("after the drop", StringComparison.Ordinal)), Is.EqualTo(3));
    }

    /// <summary>The factory's wait, reading no table as no rows yet.</summary>
    private static async Task<List<Dictionary<string, object?>>> WaitForRowsOrEmptyAsync(GatewayFactory factory, int count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (true)
        {
            try
            {
                return await factory.WaitForRowsAsync(count);
            }
            catch (Microsoft.Data.Sqlite.SqliteException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
        }
    }

    [Test]
    public void TryEnqueue_QueueFull_DropsAndCountsWithoutWaiting()
    {
        // Arrange: capacity 1 and no writer.
        var options = Options.Create(new GatewayOptions());
        options.Value.RequestLog.QueueCapacity = 1;
        var queue = new RequestLogQueue(options, NullLogger<RequestLogQueue>.Instance);
        RequestLogEntry Entry() => new() { ReceivedAt = DateTimeOffset.UtcNow, KeyId = "k", Model = "m", Backend = "echo", RequestJson = "{}" };

        // Act
        bool first = queue.TryEnqueue(Entry());
        bool second = queue.TryEnqueue(Entry());

        // Assert
        Assert.That(first, Is.True);
        Assert.That(second, Is.False);
        Assert.That(queue.Dropped, Is.EqualTo(1));
    }
}

internal static class HostExtensions
{
    public static async Task StopApplicationAndWaitAsync(this Microsoft.Extensions.Hosting.IHostApplicationLifetime lifetime)
    {
        var stopped = new TaskCompletionSource();
        using var registration = lifetime.ApplicationStopped.Register(() => stopped.TrySetResult());
        lifetime.StopApplication();
        await stopped.Task.WaitAsync(TimeSpan.FromSeconds(30));
    }
}
