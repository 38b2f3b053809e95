using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using Npgsql;
using NUnit.Framework;

namespace OpenPipe.Gateway.Tests.RequestLog;

/// <summary>Gateway:Storage:TextIndex on PostgreSQL: false drops the trigram index and search still answers; true (the default) makes it.</summary>
[TestFixture]
[NonParallelizable]
public sealed class TextIndexTests
{
    [Test]
    public async Task TextIndex_OffThenOn_DropsAndMakesTheIndexWhileSearchAnswersTheSame()
    {
        // Arrange
        string database = await RequestLogStorage.DatabaseAsync();
        var seeds = LogSeed.Make();
        var expected = seeds.Where(s => s.KeyId == RequestLogStorage.KeyIdA && s.Word == "Zebra").Select(s => s.CompletionId).ToList();

        // Act
        List<string?> without, with;
        bool indexedWithout, indexedWith;
        using (var off = await RequestLogStorage.GatewayAsync(RequestLogStorage.Postgres, new Dictionary<string, string?> { ["Gateway:Storage:TextIndex"] = "false" }, database: database))
        {
            await LogSeed.WriteAsync(off, seeds);
            indexedWithout = await IndexExistsAsync(database);
            using var client = off.CreateOpenPipeClient();
            without = (await client.ListLogsAsync(null, null, null, null, null, null, null, null, "zebra", null, 200, null)).Data.Select(e => e.CompletionId).ToList();
        }

        using (var on = await RequestLogStorage.GatewayAsync(RequestLogStorage.Postgres, database: database))
        {
            indexedWith = await IndexExistsAsync(database);
            using var client = on.CreateOpenPipeClient();
            with = (await client.ListLogsAsync(null, null, null, null, null, null, null, null, "zebra", null, 200, null)).Data.Select(e => e.CompletionId).ToList();
        }

        // Assert
        Assert.That(indexedWithout, Is.False);
        Assert.That(indexedWith, Is.True);
        Assert.That(without, Is.EquivalentTo(expected).And.Not.Empty);
        Assert.That(with, Is.EquivalentTo(expected));
    }

    private static async Task<bool> IndexExistsAsync(string database)
    {
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(database) { Pooling = false }.ToString());
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM pg_indexes WHERE indexname = 'request_log_text_trgm'", connection);
        return (long)(await command.ExecuteScalarAsync())! > 0;
    }
}
