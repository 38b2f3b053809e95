using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Net.Http;
using System.Threading.Tasks;
using Microsoft.Extensions.DependencyInjection;
using Newtonsoft.Json.Linq;
using NUnit.Framework;
using OpenPipe.Client;
using OpenPipe.Gateway.Tests.Support;

namespace OpenPipe.Gateway.Tests.RequestLog;

/// <summary>
/// Gateway:Limits: requests per minute per key (429 type "requests" with Retry-After), tokens per UTC
/// day per key from the log (429 type "tokens", also across two instances on one PostgreSQL),
/// overrides by key id, the current use in GET /usage, and settings checked at start.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class LimitTests
{
    private const string Body = """{"model":"echo","messages":[{"role":"user","content":"a b"}],"store":true}""";

    // Key A: 2 requests a minute; key B: the default lifted; key C: 3 tokens a day, no request limit.
    private static readonly Dictionary<string, string?> Limits = new()
    {
        ["Gateway:Limits:RequestsPerMinute"] = "2",
        [$"Gateway:Limits:Keys:{RequestLogStorage.KeyIdB}:RequestsPerMinute"] = "0",
        [$"Gateway:Limits:Keys:{RequestLogStorage.KeyIdC}:RequestsPerMinute"] = "0",
        [$"Gateway:Limits:Keys:{RequestLogStorage.KeyIdC}:TokensPerDay"] = "3",
    };

    [Test]
    public async Task Chat_OverRequestsPerMinute_Is429WithRetryAfterInOpenAIsShape()
    {
        // Arrange
        using var gateway = await RequestLogStorage.GatewayAsync(RequestLogStorage.Sqlite, Limits);

        // Act
        var statuses = new List<int>();
        for (int i = 0; i < 2; i++)
        {
            using var ok = await PostAsync(gateway, GatewayFactory.Key);
            statuses.Add((int)ok.StatusCode);
        }

        using var limited = await PostAsync(gateway, GatewayFactory.Key);
        var error = JObject.Parse(await limited.Content.ReadAsStringAsync());
        using var client = gateway.CreateOpenPipeClient();
        var usage = await client.GetUsageAsync(UsageGroupBy.Key, null, null, null);

        // Assert
        Assert.That(statuses, Is.All.EqualTo(200));
        Assert.That((int)limited.StatusCode, Is.EqualTo(429));
        Assert.That(int.Parse(limited.Headers.GetValues("Retry-After").Single(), CultureInfo.InvariantCulture), Is.InRange(1, 60));
        Assert.That((string?)error["code"], Is.EqualTo("TOO_MANY_REQUESTS"));
        Assert.That((string?)error["error"]!["code"], Is.EqualTo("rate_limit_exceeded"));
        Assert.That((string?)error["error"]!["type"], Is.EqualTo("requests"));
        Assert.That((string?)error["message"], Does.Contain(RequestLogStorage.KeyIdA).And.Not.Contain(GatewayFactory.Key));
        var status = usage.Limits.Single();
        Assert.That((status.RequestsPerMinute, status.RequestsThisMinute), Is.EqualTo((2, 2)));
    }

    [Test]
    public async Task Chat_KeyWhoseOverrideLiftsTheDefault_IsNotLimited()
    {
        // Arrange
        using var gateway = await RequestLogStorage.GatewayAsync(RequestLogStorage.Sqlite, Limits);

        // Act
        var statuses = new List<int>();
        for (int i = 0; i < 5; i++)
        {
            using var response = await PostAsync(gateway, RequestLogStorage.KeyB);
            statuses.Add((int)response.StatusCode);
        }

        // Assert
        Assert.That(statuses, Is.All.EqualTo(200));
    }

    [Test]
    public async Task Chat_OverTokensPerDay_Is429UntilMidnightUtcAndUsageShowsTheCount()
    {
        // Arrange: a clock the test moves, so the token count is read again.
        var time = new ManualTime(new DateTimeOffset(2026, 6, 1, 20, 0, 0, TimeSpan.Zero));
        using var gateway = await RequestLogStorage.GatewayAsync(RequestLogStorage.Sqlite, Limits, time);
        using (var first = await PostAsync(gateway, RequestLogStorage.KeyC))
        {
            Assert.That((int)first.StatusCode, Is.EqualTo(200));
        }

        await gateway.WaitForRowAsync(r => (string)r["key_id"]! == RequestLogStorage.KeyIdC);
        time.Advance(TimeSpan.FromSeconds(2));

        // Act
        using var limited = await PostAsync(gateway, RequestLogStorage.KeyC);
        var error = JObject.Parse(await limited.Content.ReadAsStringAsync());
        using var other = await PostAsync(gateway, RequestLogStorage.KeyB);
        using var client = gateway.CreateOpenPipeClient(RequestLogStorage.KeyC);
        var usage = await client.GetUsageAsync(UsageGroupBy.Day, null, null, null);

        // Assert
        Assert.That((int)limited.StatusCode, Is.EqualTo(429));
        Assert.That(limited.Headers.GetValues("Retry-After").Single(), Is.EqualTo("14398"), "until 00:00 UTC");
        Assert.That((string?)error["error"]!["type"], Is.EqualTo("tokens"));
        Assert.That((string?)error["error"]!["code"], Is.EqualTo("rate_limit_exceeded"));
        Assert.That((int)other.StatusCode, Is.EqualTo(200), "another key is not limited");
        var status = usage.Limits.Single();
        Assert.That((status.TokensPerDay, status.TokensToday), Is.EqualTo((3L, 4L)));
        Assert.That(status.TokensResetAt, Is.EqualTo(new DateTimeOffset(2026, 6, 2, 0, 0, 0, TimeSpan.Zero)));
        Assert.That(usage.Data.Single().TotalTokens, Is.EqualTo(4), "the limited request was not logged");
    }

    [Test]
    public async Task Chat_OverTokensPerDayThroughOneInstance_IsRefusedByTheOtherOnTheSameDatabase()
    {
        // Arrange: two gateways on one PostgreSQL database.
        string database = await RequestLogStorage.DatabaseAsync();
        using var a = await RequestLogStorage.GatewayAsync(RequestLogStorage.Postgres, Limits, database: database);
        using var b = await RequestLogStorage.GatewayAsync(RequestLogStorage.Postgres, Limits, database: database);
        using (var first = await PostAsync(a, RequestLogStorage.KeyC))
        {
            Assert.That((int)first.StatusCode, Is.EqualTo(200));
        }

        var logOfB = b.Services.GetRequiredService<Storage.IRequestLogReader>();
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (await logOfB.GetTokensUsedAsync(RequestLogStorage.KeyIdC, new DateTimeOffset(DateTime.UtcNow.Date, TimeSpan.Zero)) < 4 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        // Act
        using var limited = await PostAsync(b, RequestLogStorage.KeyC);

        // Assert
        Assert.That((int)limited.StatusCode, Is.EqualTo(429));
        Assert.That((string?)JObject.Parse(await limited.Content.ReadAsStringAsync())["error"]!["type"], Is.EqualTo("tokens"));
    }

    [TestCase("Gateway:Limits:RequestsPerMinute", "-1", "Gateway:Limits:RequestsPerMinute must be 0 (no limit) or positive")]
    [TestCase("Gateway:Limits:Keys:key_0123456789ab:TokensPerDay", "-5", "Gateway:Limits:Keys:key_0123456789ab:TokensPerDay must be 0 (no limit) or positive")]
    [TestCase("Gateway:Admin:Keys:0", GatewayFactory.Key, "Gateway:Admin:Keys:0 is also an API key")]
    [TestCase("Gateway:Admin:Keys:0", " padded ", "Gateway:Admin:Keys:0 is empty or has whitespace around it")]
    public void Start_BadLimitOrAdminSetting_FailsNamingTheSetting(string setting, string value, string message)
    {
        // Arrange
        using var gateway = new GatewayFactory(new Uri("http://127.0.0.1:9/v1"), new Dictionary<string, string?> { [setting] = value });

        // Act
        var error = Assert.Catch<Exception>(() => gateway.CreateClient());

        // Assert
        Assert.That(error!.ToString(), Does.Contain(message));
    }

    [TestCase(RequestLogStorage.Sqlite, false)]
    [TestCase(RequestLogStorage.Sqlite, true)]
    [TestCase(RequestLogStorage.Postgres, false)]
    public async Task Chat_CallsNotLoggedOverTokensPerDay_AreCountedAndTheNextIsRefused(string storage, bool stream)
    {
        // Arrange: key C may use 3 tokens a day; its call asks for no logging (and, streamed, for no usage).
        var time = new ManualTime(new DateTimeOffset(2026, 6, 1, 20, 0, 0, TimeSpan.Zero));
        using var gateway = await RequestLogStorage.GatewayAsync(storage, Limits, time);
        string body = stream
            ? """{"model":"echo","messages":[{"role":"user","content":"a b"}],"stream":true}"""
            : """{"model":"echo","messages":[{"role":"user","content":"a b"}]}""";
        string answer;
        using (var first = await PostAsync(gateway, RequestLogStorage.KeyC, body))
        {
            Assert.That((int)first.StatusCode, Is.EqualTo(200));
            answer = await first.Content.ReadAsStringAsync();
        }

        Assert.That(await gateway.Services.GetRequiredService<Storage.RequestLogQueue>().WaitForWriterAsync(TimeSpan.FromSeconds(10)), Is.True);
        time.Advance(TimeSpan.FromSeconds(2));

        // Act
        using var limited = await PostAsync(gateway, RequestLogStorage.KeyC, body);
        using var client = gateway.CreateOpenPipeClient(RequestLogStorage.KeyC);
        var usage = await client.GetUsageAsync(UsageGroupBy.Key, null, null, null);
        var logs = await client.ListLogsAsync(null, null, null, null, null, null, null, null, null, null, 10, null);

        // Assert
        Assert.That((int)limited.StatusCode, Is.EqualTo(429));
        Assert.That((string?)JObject.Parse(await limited.Content.ReadAsStringAsync())["error"]!["type"], Is.EqualTo("tokens"));
        Assert.That(usage.Limits.Single().TokensToday, Is.EqualTo(4L), "the call's 4 tokens, though it was not logged");
        Assert.That(logs.Data, Is.Empty, "nothing was logged");
        if (stream)
        {
            Assert.That(answer, Does.Contain("data: [DONE]").And.Not.Contain("\"usage\""), "a stream that did not ask for usage gets none");
        }
    }

    private static async Task<HttpResponseMessage> PostAsync(GatewayFactory gateway, string key, string body = Body)
    {
        using var http = gateway.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/chat/completions") { Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
        var response = await http.SendAsync(request);
        await response.Content.LoadIntoBufferAsync();
        return response;
    }
}
