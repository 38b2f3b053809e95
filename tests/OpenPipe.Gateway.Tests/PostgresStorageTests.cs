using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using Newtonsoft.Json.Linq;
using Npgsql;
using NUnit.Framework;
using OpenPipe.Client.Tests.Support;
using OpenPipe.Gateway.Tests.Support;

namespace OpenPipe.Gateway.Tests;

/// <summary>
/// The gateway on a real, throwaway PostgreSQL: shared by two instances, down at start, going away
/// mid-run (readiness stays 200, Degraded), and dropped and created again empty.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class PostgresStorageTests
{
    private PostgresServer postgres = null!;
    private FakeUpstream upstream = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        postgres = await PostgresRequirement.StartServerAsync();
        upstream = await FakeUpstream.StartAsync();
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        if (upstream is not null)
        {
            await upstream.DisposeAsync();
        }

        if (postgres is not null)
        {
            await postgres.DisposeAsync();
        }
    }

    private GatewayFactory Gateway(string connectionString) => new(upstream.BaseUrl, new Dictionary<string, string?>
    {
        ["Gateway:Storage:Provider"] = "postgres",
        ["Gateway:Storage:ConnectionString"] = connectionString,
        ["Gateway:Storage:RetryDelay"] = "00:00:00.200",
        ["Gateway:Storage:CacheTimeout"] = "00:00:01",
    });

    private static string Body(string text, bool stream = false) =>
        $$"""{"model":"up:ok","messages":[{"role":"user","content":"{{text}}"}],"store":true{{(stream ? ",\"stream\":true" : "")}}}""";

    private static async Task<List<(string EntryId, string Request, int Status, int CacheHit, string? Tags)>> RowsAsync(string connectionString)
    {
        var rows = new List<(string, string, int, int, string?)>();
        // No pooling: a pooled connection would not survive the outage test's restart.
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ToString());
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT entry_id, request_json, status, cache_hit, tags FROM request_log ORDER BY id", connection);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rows.Add((reader.GetString(0), reader.GetString(1), reader.GetInt32(2), reader.GetInt32(3), reader.IsDBNull(4) ? null : reader.GetString(4)));
        }

        return rows;
    }

    private static async Task<List<(string EntryId, string Request, int Status, int CacheHit, string? Tags)>> WaitForRowsAsync(string connectionString, int count, TimeSpan limit)
    {
        var deadline = DateTime.UtcNow + limit;
        while (true)
        {
            List<(string EntryId, string Request, int Status, int CacheHit, string? Tags)> rows;
            try
            {
                rows = await RowsAsync(connectionString);
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UndefinedTable)
            {
                // A database created again: the gateway has not made its tables yet.
                rows = [];
            }

            if (rows.Count >= count || DateTime.UtcNow > deadline)
            {
                return rows;
            }

            await Task.Delay(100);
        }
    }

    [Test]
    public async Task TwoInstances_OneDatabase_ShareTheCacheAndLogEveryRequestOnce()
    {
        // Arrange
        string database = await postgres.CreateDatabaseAsync("shared_" + Guid.NewGuid().ToString("N")[..8]);
        using var a = Gateway(database);
        using var b = Gateway(database);
        string cached = "shared cache " + Guid.NewGuid().ToString("N");
        int calls = upstream.Calls;

        // Act: a completion stored through A is a hit through B, as JSON and as a stream; then 60 requests over both.
        using var miss = await a.PostAsync("/api/v1/chat/completions", Body(cached), ("op-cache", "readWrite"));
        using var hit = await b.PostAsync("/api/v1/chat/completions", Body(cached), ("op-cache", "readWrite"));
        using var streamHit = await b.PostAsync("/api/v1/chat/completions", Body(cached, stream: true), ("op-cache", "readOnly"));
        int callsAfterCache = upstream.Calls;
        await Task.WhenAll(Enumerable.Range(0, 60).Select(async i =>
        {
            using var response = await (i % 2 == 0 ? a : b).PostAsync("/api/v1/chat/completions", Body($"load {i} {cached}"));
            Assert.That((int)response.StatusCode, Is.EqualTo(200));
        }));
        var rows = await WaitForRowsAsync(database, 63, TimeSpan.FromSeconds(15));

        // Assert
        Assert.That(miss.Headers.GetValues("op-cache-status").Single(), Is.EqualTo("MISS"));
        Assert.That(hit.Headers.GetValues("op-cache-status").Single(), Is.EqualTo("HIT"));
        Assert.That(streamHit.Headers.GetValues("op-cache-status").Single(), Is.EqualTo("HIT"));
        Assert.That(Sse.Events(await streamHit.Content.ReadAsStringAsync())[^1], Is.EqualTo("[DONE]"));
        Assert.That(callsAfterCache, Is.EqualTo(calls + 1), "only the first request reached the upstream");
        Assert.That(rows, Has.Count.EqualTo(63));
        Assert.That(rows.Select(r => r.EntryId).Distinct().Count(), Is.EqualTo(63), "no duplicated rows");
        Assert.That(Enumerable.Range(0, 60).All(i => rows.Count(r => r.Request.Contains($"load {i} ", StringComparison.Ordinal)) == 1), Is.True, "no lost rows");
        Assert.That(rows.Count(r => r.CacheHit == 1), Is.EqualTo(2));
    }

    [Test]
    public async Task UpdateTags_ThroughTheOtherInstance_TagsRowsLoggedByTheFirst()
    {
        // Arrange
        string database = await postgres.CreateDatabaseAsync("tags_" + Guid.NewGuid().ToString("N")[..8]);
        using var a = Gateway(database);
        using var b = Gateway(database);
        string text = "tag me " + Guid.NewGuid().ToString("N");
        using var logged = await a.PostAsync("/api/v1/chat/completions", Body(text), ("op-tags", """{"prompt_id":"p1"}"""));
        Assert.That(await WaitForRowsAsync(database, 1, TimeSpan.FromSeconds(10)), Has.Count.EqualTo(1), "A's writer has written the row");

        // Act
        using var update = await b.PostAsync("/api/v1/logs/update-tags", """{"filters":[{"field":"tags.prompt_id","equals":"p1"}],"tags":{"reviewed":true,"prompt_id":null}}""");

        // Assert
        Assert.That(await update.Content.ReadAsStringAsync(), Is.EqualTo("""{"matchedLogs":1}"""));
        var row = (await RowsAsync(database)).Single();
        Assert.That(row.Tags, Is.EqualTo("""{"reviewed":true}"""), "the tag keeps its JSON type");
    }

    [Test]
    public async Task Outage_PostgresStopsMidRun_RequestsKeepAnsweringAndEntriesArriveAfterRestart()
    {
        // Arrange
        string database = await postgres.CreateDatabaseAsync("outage_" + Guid.NewGuid().ToString("N")[..8]);
        using var gateway = Gateway(database);
        using (var before = await gateway.PostAsync("/api/v1/chat/completions", Body("before the outage")))
        {
            Assert.That((int)before.StatusCode, Is.EqualTo(200));
        }

        Assert.That(await WaitForRowsAsync(database, 1, TimeSpan.FromSeconds(10)), Has.Count.EqualTo(1));

        // Act: take the database away, keep sending (cache reads and writes included), bring it back.
        await postgres.StopAsync();
        var statuses = new List<int>();
        try
        {
            for (int i = 0; i < 20; i++)
            {
                using var response = await gateway.PostAsync("/api/v1/chat/completions", Body($"during outage {i}", stream: i % 2 == 1), ("op-cache", "readWrite"));
                statuses.Add((int)response.StatusCode);
            }
        }
        finally
        {
            await postgres.StartAgainAsync();
        }

        var rows = await WaitForRowsAsync(database, 21, TimeSpan.FromSeconds(30));

        // Assert
        Assert.That(statuses, Is.All.EqualTo(200), "requests do not fail while the database is away");
        Assert.That(rows, Has.Count.EqualTo(21), "every entry arrives once the database is back");
        Assert.That(rows.Select(r => r.EntryId).Distinct().Count(), Is.EqualTo(21));
    }

    [Test]
    public async Task Readyz_PostgresDown_StaysReadyAsDegradedWhileRequestsAreServed()
    {
        // Arrange
        string database = await postgres.CreateDatabaseAsync("ready_" + Guid.NewGuid().ToString("N")[..8]);
        using var gateway = Gateway(database);
        using var http = gateway.CreateClient();
        var before = await ReadinessAsync(http);

        // Act: take the database away, ask for readiness and send a request, bring it back.
        await postgres.StopAsync();
        (int Status, JObject Report) during;
        int served;
        try
        {
            during = await ReadinessAsync(http);
            using var response = await gateway.PostAsync("/api/v1/chat/completions", Body("during the outage"), ("op-cache", "readWrite"));
            served = (int)response.StatusCode;
        }
        finally
        {
            await postgres.StartAgainAsync();
        }

        var after = await WaitForReadinessAsync(http, "Healthy", TimeSpan.FromSeconds(15));

        // Assert
        Assert.That(before.Status, Is.EqualTo(200));
        Assert.That((string?)before.Report["status"], Is.EqualTo("Healthy"));
        Assert.That(during.Status, Is.EqualTo(200), "a logging outage does not take the gateway out of service");
        Assert.That((string?)during.Report["status"], Is.EqualTo("Degraded"));
        Assert.That((string?)during.Report.SelectToken("checks.storage.status"), Is.EqualTo("Degraded"));
        Assert.That((string?)during.Report.SelectToken("checks.storage.description"), Does.Contain("postgres storage does not answer"));
        Assert.That(served, Is.EqualTo(200));
        Assert.That((string?)after.Report["status"], Is.EqualTo("Healthy"));
        Assert.That(await WaitForRowsAsync(database, 1, TimeSpan.FromSeconds(30)), Has.Count.EqualTo(1), "the entry queued during the outage arrives");
    }

    [Test]
    public async Task RecreatedDatabase_DroppedAndCreatedEmpty_SchemaIsCreatedAgainAndEntriesArrive()
    {
        // Arrange: a gateway that has logged and cached on its database.
        string name = "recreated_" + Guid.NewGuid().ToString("N")[..8];
        string database = await postgres.CreateDatabaseAsync(name);
        using var gateway = Gateway(database);
        using (var first = await gateway.PostAsync("/api/v1/chat/completions", Body("before the drop"), ("op-cache", "readWrite")))
        {
            Assert.That((int)first.StatusCode, Is.EqualTo(200));
        }

        Assert.That(await WaitForRowsAsync(database, 1, TimeSpan.FromSeconds(10)), Has.Count.EqualTo(1));

        // Act: the database is dropped (cutting the gateway's connections) and created again, empty.
        await using (var admin = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(postgres.ConnectionString()) { Pooling = false }.ToString()))
        {
            await admin.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP DATABASE {name} WITH (FORCE)", admin);
            await drop.ExecuteNonQueryAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", admin);
            await create.ExecuteNonQueryAsync();
        }

        var statuses = new List<int>();
        for (int i = 0; i < 5; i++)
        {
            using var response = await gateway.PostAsync("/api/v1/chat/completions", Body($"after the drop {i}"));
            statuses.Add((int)response.StatusCode);
        }

        var rows = await WaitForRowsAsync(database, 5, TimeSpan.FromSeconds(30));
        string cached = "cached after the drop " + Guid.NewGuid().ToString("N")[..8];
        using (var miss = await gateway.PostAsync("/api/v1/chat/completions", Body(cached), ("op-cache", "readWrite")))
        {
            Assert.That((int)miss.StatusCode, Is.EqualTo(200));
        }

        using var hit = await gateway.PostAsync("/api/v1/chat/completions", Body(cached), ("op-cache", "readWrite"));

        // Assert
        Assert.That(statuses, Is.All.EqualTo(200));
        Assert.That(rows, Has.Count.EqualTo(5), "every entry after the drop is written to the new tables");
        Assert.That(rows.All(r => r.Request.Contains("after the drop", StringComparison.Ordinal)), Is.True);
        Assert.That(hit.Headers.GetValues("op-cache-status").Single(), Is.EqualTo("HIT"), "the cache works again");
    }

    private static async Task<(int Status, JObject Report)> ReadinessAsync(System.Net.Http.HttpClient http)
    {
        using var response = await http.GetAsync("/readyz");
        return ((int)response.StatusCode, JObject.Parse(await response.Content.ReadAsStringAsync()));
    }

    private static async Task<(int Status, JObject Report)> WaitForReadinessAsync(System.Net.Http.HttpClient http, string status, TimeSpan limit)
    {
        var deadline = DateTime.UtcNow + limit;
        while (true)
        {
            var readiness = await ReadinessAsync(http);
            if ((string?)readiness.Report["status"] == status || DateTime.UtcNow > deadline)
            {
                return readiness;
            }

            await Task.Delay(200);
        }
    }

    [Test]
    public void Start_DatabaseDown_FailsWithAClearError()
    {
        // Arrange: nothing listens on this port.
        int port = FreePort.Next();
        using var gateway = Gateway($"Host=127.0.0.1;Port={port};Username=postgres;Database=none;Timeout=3");

        // Act
        var error = Assert.Throws<InvalidOperationException>(() => gateway.CreateClient());

        // Assert
        Assert.That(error!.Message, Does.Contain("could not be opened at start"));
        Assert.That(error.Message, Does.Contain($"PostgreSQL at 127.0.0.1:{port}"));
        Assert.That(error.Message, Does.Contain("Gateway:Storage:ConnectionString"));
    }
}
