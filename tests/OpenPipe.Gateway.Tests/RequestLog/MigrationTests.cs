using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.Data.Sqlite;
using Npgsql;
using NUnit.Framework;

namespace OpenPipe.Gateway.Tests.RequestLog;

/// <summary>
/// A database logged into before the tag and criterion tables existed gets them filled at start, on
/// SQLite and PostgreSQL, so the filters find the older rows; and /logs/update-tags keeps them in step.
/// </summary>
[TestFixture(RequestLogStorage.Sqlite)]
[TestFixture(RequestLogStorage.Postgres)]
[NonParallelizable]
public sealed class MigrationTests(string storage)
{
    [Test]
    public async Task Start_DatabaseFromBeforeTheLabelTables_FillsThemSoTheFiltersFindOlderRows()
    {
        // Arrange: a log written, then taken back to how an older gateway left it (no label tables, no migration record).
        string? database = storage == RequestLogStorage.Postgres ? await RequestLogStorage.DatabaseAsync() : null;
        using var older = await RequestLogStorage.GatewayAsync(storage, database: database);
        var seeds = LogSeed.Make();
        await LogSeed.WriteAsync(older, seeds);
        await ExecuteAsync(older, database, "DROP TABLE request_log_tags; DROP TABLE request_log_criteria; DROP TABLE gateway_migrations;");

        // Act: a gateway starts on that database.
        var settings = database is null ? new Dictionary<string, string?> { ["Gateway:RequestLog:Path"] = older.DatabasePath } : null;
        using var upgraded = await RequestLogStorage.GatewayAsync(storage, settings, database: database);
        using var client = upgraded.CreateOpenPipeClient();
        var tagged = await client.ListLogsAsync(null, null, null, ["prompt_id=p1"], null, null, null, null, null, null, 200, null);
        var judged = await client.ListLogsAsync(null, null, null, null, "length@v2", null, null, null, null, null, 200, null);

        // Assert
        Assert.That(tagged.Data.Select(e => e.CompletionId), Is.EquivalentTo(seeds.Where(s => s.KeyId == RequestLogStorage.KeyIdA && s.HasTag("prompt_id", "p1")).Select(s => s.CompletionId)));
        Assert.That(tagged.Data, Is.Not.Empty);
        Assert.That(judged.Data.Select(e => e.CompletionId), Is.EquivalentTo(seeds.Where(s => s.KeyId == RequestLogStorage.KeyIdA && s.Criteria.Contains("length@v2")).Select(s => s.CompletionId)));
    }

    [Test]
    public async Task UpdateTags_ChangedTags_AreWhatTheTagFilterFinds()
    {
        // Arrange
        using var gateway = await RequestLogStorage.GatewayAsync(storage);
        await LogSeed.WriteAsync(gateway, LogSeed.Make());
        using var client = gateway.CreateOpenPipeClient();

        // Act: seed-0 loses prompt_id and gains a number tag.
        await client.UpdateLogTagsAsync(new global::OpenPipe.UpdateLogTagsRequest
        {
            Filters = [new global::OpenPipe.LogTagsFilter { Field = "completionId", EqualsValue = "seed-0" }],
            Tags = new Dictionary<string, object> { ["prompt_id"] = null!, ["score"] = 0.5 },
        });
        var byOldTag = await client.ListLogsAsync(null, null, null, ["prompt_id=p0"], null, null, null, null, null, null, 200, null);
        var byNewTag = await client.ListLogsAsync(null, null, null, ["score=0.50"], null, null, null, null, null, null, 200, null);

        // Assert
        Assert.That(byOldTag.Data.Select(e => e.CompletionId), Does.Not.Contain("seed-0"));
        Assert.That(byNewTag.Data.Select(e => e.CompletionId), Is.EqualTo(new[] { "seed-0" }));
    }

    private static async Task ExecuteAsync(GatewayFactory gateway, string? postgres, string sql)
    {
        if (postgres is not null)
        {
            await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(postgres) { Pooling = false }.ToString());
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand(sql, connection);
            await command.ExecuteNonQueryAsync();
            return;
        }

        await using var sqlite = new SqliteConnection($"Data Source={gateway.DatabasePath};Pooling=False");
        await sqlite.OpenAsync();
        await using var drop = sqlite.CreateCommand();
        drop.CommandText = sql;
        await drop.ExecuteNonQueryAsync();
    }
}
