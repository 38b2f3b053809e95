using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using NUnit.Framework;
using OpenPipe.Client;

namespace OpenPipe.Gateway.Tests.RequestLog;

/// <summary>GET /usage through the generated client, on SQLite and PostgreSQL: sums per key, model and UTC day, a time range, and who sees whose.</summary>
[TestFixture(RequestLogStorage.Sqlite)]
[TestFixture(RequestLogStorage.Postgres)]
[NonParallelizable]
public sealed class UsageTests(string storage)
{
    private GatewayFactory gateway = null!;
    private List<LogSeed> seeds = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        gateway = await RequestLogStorage.GatewayAsync(storage);
        seeds = LogSeed.Make();
        await LogSeed.WriteAsync(gateway, seeds);
    }

    [OneTimeTearDown]
    public void Stop() => gateway.Dispose();

    [Test]
    public async Task Usage_ByModel_SumsTheKeysCallsPerModel()
    {
        // Arrange
        using var client = gateway.CreateOpenPipeClient();
        var own = seeds.Where(s => s.KeyId == RequestLogStorage.KeyIdA).ToList();

        // Act
        var report = await client.GetUsageAsync(UsageGroupBy.Model, null, null, null);

        // Assert
        Assert.That(report.GroupBy, Is.EqualTo("model"));
        Assert.That(report.Data.Select(Row), Is.EqualTo(own.GroupBy(s => s.Model).OrderBy(g => g.Key, StringComparer.Ordinal).Select(Expected)));
    }

    [Test]
    public async Task Usage_ByDayWithinARange_CountsOnlyTheRangeInUtcDays()
    {
        // Arrange
        using var client = gateway.CreateOpenPipeClient();
        var from = LogSeed.Start.AddMinutes(30);
        var to = LogSeed.Start.AddMinutes(45);
        var inRange = seeds.Where(s => s.KeyId == RequestLogStorage.KeyIdA && s.ReceivedAt >= from && s.ReceivedAt < to).ToList();

        // Act
        var report = await client.GetUsageAsync(UsageGroupBy.Day, from, to, null);

        // Assert
        Assert.That(report.Data.Select(Row), Is.EqualTo(new[] { Expected(inRange.GroupBy(_ => "2025-03-01").Single()) }));
        Assert.That(report.From, Is.EqualTo(from));
        Assert.That(report.To, Is.EqualTo(to));
    }

    [Test]
    public async Task Usage_ByKey_AnApiKeySeesItselfAndAnAdminEveryKey()
    {
        // Arrange
        using var owner = gateway.CreateOpenPipeClient();
        using var admin = gateway.CreateOpenPipeClient(RequestLogStorage.AdminKey);

        // Act
        var own = await owner.GetUsageAsync(UsageGroupBy.Key, null, null, null);
        var all = await admin.GetUsageAsync(UsageGroupBy.Key, null, null, null);
        var onlyB = await admin.GetUsageAsync(UsageGroupBy.Key, null, null, RequestLogStorage.KeyIdB);
        var refused = Assert.ThrowsAsync<OpenPipeApiException>(() => owner.GetUsageAsync(UsageGroupBy.Key, null, null, RequestLogStorage.KeyIdB));

        // Assert
        Assert.That(own.Data.Select(Row), Is.EqualTo(new[] { Expected(seeds.Where(s => s.KeyId == RequestLogStorage.KeyIdA).GroupBy(s => s.KeyId).Single()) }));
        Assert.That(own.Limits.Select(l => l.KeyId), Is.EqualTo(new[] { RequestLogStorage.KeyIdA }));
        Assert.That(all.Data.Select(Row), Is.EqualTo(seeds.GroupBy(s => s.KeyId).OrderBy(g => g.Key, StringComparer.Ordinal).Select(Expected)));
        Assert.That(all.Limits.Select(l => l.KeyId), Is.EquivalentTo(new[] { RequestLogStorage.KeyIdA, RequestLogStorage.KeyIdB, RequestLogStorage.KeyIdC }));
        Assert.That(all.Limits, Is.All.Matches<KeyLimitStatus>(l => l.RequestsPerMinute == null && l.TokensPerDay == null), "no limits configured");
        Assert.That(onlyB.Data.Single().Group, Is.EqualTo(RequestLogStorage.KeyIdB));
        Assert.That(refused!.StatusCode, Is.EqualTo(403));
    }

    private static (string, long, long, long, long, long, long) Row(UsageRow r) =>
        (r.Group, r.Requests, r.Errors, r.PromptTokens, r.CompletionTokens, r.TotalTokens, r.CacheHits);

    private static (string, long, long, long, long, long, long) Expected(IGrouping<string, LogSeed> g) =>
        (g.Key, g.Count(), g.Count(s => s.Status != 200), g.Sum(s => s.PromptTokens), g.Sum(s => s.CompletionTokens), g.Sum(s => s.TotalTokens), g.Count(s => s.CacheHit));
}
