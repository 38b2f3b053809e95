using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Threading.Tasks;
using Microsoft.Extensions.DependencyInjection;
using Newtonsoft.Json.Linq;
using NUnit.Framework;
using OpenPipe.Client;

namespace OpenPipe.Gateway.Tests.RequestLog;

/// <summary>
/// GET /logs, /logs/{id} and /local-testing-only-get-latest-logged-call through the generated client,
/// on SQLite and on PostgreSQL: every filter, newest-first keyset pages while rows arrive, who sees
/// what (own key, another key, admin key), and bad parameters as 400s naming the parameter.
/// </summary>
[TestFixture(RequestLogStorage.Sqlite)]
[TestFixture(RequestLogStorage.Postgres)]
[NonParallelizable]
public sealed class LogsApiTests(string storage)
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

    /// <summary>One filter: the parameters, and which seeds it must select.</summary>
    public sealed record FilterCase(string Name, LogArgs Args, Func<LogSeed, bool> Matches)
    {
        public override string ToString() => Name;
    }

    /// <summary>The filter parameters of GET /logs.</summary>
    public sealed record LogArgs(
        string? Model = null, string? Backend = null, string? Status = null, string[]? Tag = null, string? Criterion = null,
        bool? CacheHit = null, DateTimeOffset? From = null, DateTimeOffset? To = null, string? Q = null, string? KeyId = null);

    public static IEnumerable<FilterCase> Filters() =>
    [
        new("model", new(Model: "m-beta"), s => s.Model == "m-beta"),
        new("backend", new(Backend: "report"), s => s.Backend == "report"),
        new("status code", new(Status: "500"), s => s.Status == 500),
        new("status class", new(Status: "4xx"), s => s.Status is >= 400 and < 500),
        new("status list", new(Status: "4xx,5xx"), s => s.Status >= 400),
        new("status success", new(Status: "2xx"), s => s.Status == 200),
        new("tag string", new(Tag: ["prompt_id=p1"]), s => s.HasTag("prompt_id", "p1")),
        new("tag number and its text", new(Tag: ["attempt=2"]), s => s.HasTag("attempt", "2")),
        new("tag number written another way", new(Tag: ["attempt=2.0"]), s => s.HasTag("attempt", "2")),
        new("tag boolean", new(Tag: ["reviewed=true"]), s => s.HasTag("reviewed", "true")),
        new("two tags", new(Tag: ["prompt_id=p0", "attempt=0"]), s => s.HasTag("prompt_id", "p0") && s.HasTag("attempt", "0")),
        new("criterion", new(Criterion: "length@v2"), s => s.Criteria.Contains("length@v2")),
        new("criterion shared", new(Criterion: "tone@v1"), s => s.Criteria.Contains("tone@v1")),
        new("cache hit", new(CacheHit: true), s => s.CacheHit),
        new("cache miss", new(CacheHit: false), s => !s.CacheHit),
        new("time range", new(From: LogSeed.Start.AddMinutes(10), To: LogSeed.Start.AddMinutes(20)),
            s => s.ReceivedAt >= LogSeed.Start.AddMinutes(10) && s.ReceivedAt < LogSeed.Start.AddMinutes(20)),
        new("time with an offset", new(From: LogSeed.Start.AddMinutes(50).ToOffset(TimeSpan.FromHours(2))), s => s.ReceivedAt >= LogSeed.Start.AddMinutes(50)),
        new("text, any case", new(Q: "zebra"), s => s.Word == "Zebra"),
        new("text in the response", new(Q: "\"answer 12\""), s => s.Index == 12 && s.HasResponse),
        new("text wildcards are literal", new(Q: "ques%ion"), _ => false),
        new("combined", new(Model: "m-alpha", Status: "2xx", Tag: ["prompt_id=p0"]), s => s.Model == "m-alpha" && s.Status == 200 && s.HasTag("prompt_id", "p0")),
    ];

    [TestCaseSource(nameof(Filters))]
    public async Task List_EachFilter_ReturnsExactlyTheMatchingCallsNewestFirst(FilterCase filter)
    {
        // Arrange
        using var client = gateway.CreateOpenPipeClient();
        var expected = seeds.Where(s => s.KeyId == RequestLogStorage.KeyIdA && filter.Matches(s))
            .OrderByDescending(s => s.ReceivedAt).ThenByDescending(s => s.Index).Select(s => s.CompletionId).ToList();

        // Act
        var page = await ListAsync(client, filter.Args, limit: 200);

        // Assert
        Assert.That(page.Data.Select(e => e.CompletionId), Is.EqualTo(expected));
        Assert.That(page.HasMore, Is.False);
        Assert.That(page.NextCursor, Is.Null);
    }

    [Test]
    public async Task List_Filters_AreTheSameForTheExportAndTheDatasetImport()
    {
        // Arrange: one filter through all three routes.
        using var client = gateway.CreateOpenPipeClient();
        var expected = seeds.Where(s => s.KeyId == RequestLogStorage.KeyIdA && s.Model == "m-gamma" && s.HasTag("prompt_id", "p1")).ToList();

        // Act
        var listed = await client.ListLogsAsync("m-gamma", null, null, ["prompt_id=p1"], null, null, null, null, null, null, 200, null);
        var dataset = await client.UnstableDatasetCreateAsync(new CreateDatasetRequest { Name = "same filters" });
        var added = await client.AddLogsToDatasetAsync(dataset.DatasetId, null, "m-gamma", null, null, ["prompt_id=p1"], null, null, null, null, null, null);

        // Assert
        Assert.That(listed.Data, Has.Count.EqualTo(expected.Count).And.Count.GreaterThan(0));
        Assert.That(added.Matched, Is.EqualTo(expected.Count));
        Assert.That(added.Added, Is.EqualTo(expected.Count(s => s.HasResponse)));
    }

    [Test]
    public async Task List_PagesWhileRowsArrive_ReturnEveryEarlierRowOnceNewestFirst()
    {
        // Arrange: key C's own rows, so nothing else in the fixture moves them.
        var first = Enumerable.Range(0, 40).Select(i => PagingRow(i, LogSeed.Start.AddSeconds(i * 10))).ToList();
        await gateway.Services.GetRequiredService<Storage.IGatewayStore>().WriteLogAsync(first);
        using var client = gateway.CreateOpenPipeClient(RequestLogStorage.KeyC);
        var seen = new List<LogEntry>();
        string? cursor = null;
        int added = 0;

        // Act: after each page, three rows arrive: one newer than all, one among those not read yet, one at the cursor's own time.
        do
        {
            var page = await client.ListLogsAsync(null, null, null, null, null, null, null, null, null, null, 7, cursor);
            seen.AddRange(page.Data);
            cursor = page.NextCursor;
            if (page.Data.Count > 0)
            {
                var last = page.Data[^1].ReceivedAt;
                await gateway.Services.GetRequiredService<Storage.IGatewayStore>().WriteLogAsync(
                [
                    PagingRow(100 + added++, LogSeed.Start.AddHours(5)),
                    PagingRow(100 + added++, last.AddSeconds(-5)),
                    PagingRow(100 + added++, last),
                ]);
            }
        }
        while (cursor is not null);

        // Assert
        var ids = seen.Select(e => e.Id).ToList();
        Assert.That(ids, Is.Unique, "no row twice");
        Assert.That(seen.Select(e => e.CompletionId), Is.SupersetOf(first.Select(e => e.CompletionId)), "no earlier row missed");
        Assert.That(seen, Is.Ordered.Descending.By(nameof(LogEntry.ReceivedAt)));
        Assert.That(seen.Select(e => e.KeyId), Is.All.EqualTo(RequestLogStorage.KeyIdC));
    }

    [Test]
    public async Task List_AnotherApiKey_SeesOnlyItsOwnCalls()
    {
        // Arrange
        using var client = gateway.CreateOpenPipeClient(RequestLogStorage.KeyB);

        // Act
        var page = await ListAsync(client, new LogArgs(), limit: 200);
        var own = await ListAsync(client, new LogArgs(KeyId: RequestLogStorage.KeyIdB), limit: 200);

        // Assert
        Assert.That(page.Data.Select(e => e.CompletionId), Is.EquivalentTo(seeds.Where(s => s.KeyId == RequestLogStorage.KeyIdB).Select(s => s.CompletionId)));
        Assert.That(own.Data.Select(e => e.Id), Is.EqualTo(page.Data.Select(e => e.Id)));
    }

    [Test]
    public void List_ApiKeyAsksForAnotherKeysCalls_Is403NamingKeyId()
    {
        // Arrange
        using var client = gateway.CreateOpenPipeClient();

        // Act
        var error = Assert.ThrowsAsync<OpenPipeApiException>(() => ListAsync(client, new LogArgs(KeyId: RequestLogStorage.KeyIdB)));

        // Assert
        Assert.That(error!.StatusCode, Is.EqualTo(403));
        Assert.That(error.Error!.Issues![0].Path, Is.EqualTo(new object[] { "key_id" }));
    }

    [Test]
    public async Task List_AdminKey_SeesEveryKeyAndNarrowsByKeyId()
    {
        // Arrange
        using var admin = gateway.CreateOpenPipeClient(RequestLogStorage.AdminKey);

        // Act
        var all = await ListAsync(admin, new LogArgs(Model: "m-gamma"), limit: 200);
        var onlyB = await ListAsync(admin, new LogArgs(Model: "m-gamma", KeyId: RequestLogStorage.KeyIdB), limit: 200);

        // Assert
        Assert.That(all.Data.Select(e => e.CompletionId), Is.EquivalentTo(seeds.Where(s => s.Model == "m-gamma").Select(s => s.CompletionId)));
        Assert.That(all.Data.Select(e => e.KeyId).Distinct(), Is.EquivalentTo(new[] { RequestLogStorage.KeyIdA, RequestLogStorage.KeyIdB }));
        Assert.That(onlyB.Data.Select(e => e.CompletionId), Is.EquivalentTo(seeds.Where(s => s.Model == "m-gamma" && s.KeyId == RequestLogStorage.KeyIdB).Select(s => s.CompletionId)));
    }

    [Test]
    public async Task Get_OwnAnotherKeysAndAdmin_ShowsTheWholeCallOnlyToWhoMaySeeIt()
    {
        // Arrange: a tool-calling row of key A.
        var seed = seeds.First(s => s.KeyId == RequestLogStorage.KeyIdA && s.WithTools && s.HasResponse);
        using var owner = gateway.CreateOpenPipeClient();
        using var other = gateway.CreateOpenPipeClient(RequestLogStorage.KeyB);
        using var admin = gateway.CreateOpenPipeClient(RequestLogStorage.AdminKey);
        long id = (await ListAsync(owner, new LogArgs(Q: $"question {seed.Index} "), limit: 10)).Data.Single().Id;

        // Act
        var entry = await owner.GetLogAsync(id);
        var hidden = Assert.ThrowsAsync<OpenPipeApiException>(() => other.GetLogAsync(id));
        var seenByAdmin = await admin.GetLogAsync(id);

        // Assert
        Assert.That(entry.CompletionId, Is.EqualTo(seed.CompletionId));
        Assert.That(JToken.DeepEquals(JToken.FromObject(entry.Request!), JObject.Parse(seed.RequestJson())), Is.True, "the request as logged");
        Assert.That(JToken.DeepEquals(JToken.FromObject(entry.Response!), JObject.Parse(seed.ResponseJson())), Is.True, "the response as logged");
        Assert.That(entry.Tags.Keys, Is.EquivalentTo(seed.Tags.Keys));
        Assert.That(hidden!.StatusCode, Is.EqualTo(404));
        Assert.That(seenByAdmin.Id, Is.EqualTo(id));
    }

    [Test]
    public async Task Api_AnyAnswer_ShowsKeyIdsButNeverAKey()
    {
        // Arrange
        using var http = gateway.CreateClient();

        // Act
        string listed = await GetTextAsync(http, "/api/v1/logs?limit=200", RequestLogStorage.AdminKey);
        string usage = await GetTextAsync(http, "/api/v1/usage?group_by=key", RequestLogStorage.AdminKey);

        // Assert
        Assert.That(listed, Does.Contain(RequestLogStorage.KeyIdA));
        foreach (string key in new[] { GatewayFactory.Key, RequestLogStorage.KeyB, RequestLogStorage.KeyC, RequestLogStorage.AdminKey })
        {
            Assert.That(listed, Does.Not.Contain(key));
            Assert.That(usage, Does.Not.Contain(key));
        }
    }

    [Test]
    public async Task ChatCompletion_LoggedWithOpTags_IsTheLatestCallAndFoundByItsTag()
    {
        // Arrange
        using var http = gateway.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/chat/completions")
        {
            Content = new StringContent("""{"model":"echo","messages":[{"role":"user","content":"latest call"}],"store":true}""", System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", RequestLogStorage.KeyC);
        request.Headers.Add("op-tags", """{"prompt_id":"e2e","attempt":3,"cached":false}""");
        using var answered = await http.SendAsync(request);
        using var client = gateway.CreateOpenPipeClient(RequestLogStorage.KeyC);

        // Act
        var latest = await client.LocalTestingOnlyGetLatestLoggedCallAsync();
        var tagged = await client.ListLogsAsync(null, null, null, ["attempt=3", "cached=false"], null, null, null, null, null, null, null, null);

        // Assert
        Assert.That(answered.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(latest, Is.Not.Null);
        Assert.That(latest!.StatusCode, Is.EqualTo(200));
        Assert.That(latest.CacheHit, Is.False);
        Assert.That(JToken.FromObject(latest.ReqPayload!)["messages"]![0]!["content"]!.ToString(), Is.EqualTo("latest call"));
        Assert.That(JToken.FromObject(latest.Tags).ToString(Newtonsoft.Json.Formatting.None), Is.EqualTo("""{"prompt_id":"e2e","attempt":3,"cached":false}"""));
        Assert.That(tagged.Data.Single().Model, Is.EqualTo("echo"));
    }

    [TestCase("/api/v1/chat/completions", """{"model":"echo","messages":[{"role":"user","content":"admin call"}],"store":true}""")]
    [TestCase("/api/v1/report", """{"reqPayload":{"model":"x","messages":[]},"respPayload":{"id":"admin-report"},"statusCode":200}""")]
    [TestCase("/api/v1/logs/update-tags", """{"filters":[],"tags":{"touched":"by admin"}}""")]
    public async Task AdminKey_RoutesThatCallModelsOrWriteTheLog_Are403AndLogNothing(string path, string body)
    {
        // Arrange
        using var http = gateway.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", RequestLogStorage.AdminKey);
        request.Headers.Add("op-log-request", "true");
        using var admin = gateway.CreateOpenPipeClient(RequestLogStorage.AdminKey);

        // Act
        using var response = await http.SendAsync(request);
        var error = JObject.Parse(await response.Content.ReadAsStringAsync());
        var adminRows = await admin.ListLogsAsync(null, null, null, null, null, null, null, null, null, OpenPipe.Server.OpenPipeCaller.KeyIdOf(RequestLogStorage.AdminKey), null, null);
        var touched = await admin.ListLogsAsync(null, null, null, ["touched=by admin"], null, null, null, null, null, null, null, null);

        // Assert
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That((string?)error["code"], Is.EqualTo("FORBIDDEN"));
        Assert.That(adminRows.Data, Is.Empty, "nothing logged under the admin key");
        Assert.That(touched.Data, Is.Empty, "no tag written");
    }

    [TestCase("modle=m-alpha", "modle")]
    [TestCase("model=a&model=b", "model")]
    [TestCase("model=", "model")]
    [TestCase("status=abc", "status")]
    [TestCase("status=6xx", "status")]
    [TestCase("tag=noequals", "tag")]
    [TestCase("tag==value", "tag")]
    [TestCase("cache_hit=yes", "cache_hit")]
    [TestCase("from=yesterday", "from")]
    [TestCase("from=2025-03-01T10:00:00+02:00", "from")] // an unescaped '+' arrives as a space
    [TestCase("from=2025-03-02&to=2025-03-01", "to")]
    [TestCase("limit=0", "limit")]
    [TestCase("limit=201", "limit")]
    [TestCase("limit=ten", "limit")]
    [TestCase("cursor=not-a-cursor", "cursor")]
    public async Task List_BadParameter_Is400NamingIt(string query, string parameter)
    {
        // Act
        var (status, error) = await GetErrorAsync("/api/v1/logs?" + query);

        // Assert
        Assert.That(status, Is.EqualTo(400));
        Assert.That((string?)error["code"], Is.EqualTo("BAD_REQUEST"));
        Assert.That((string?)error["error"]!["type"], Is.EqualTo("invalid_request_error"));
        Assert.That(error["issues"]![0]!["path"]!.ToObject<string[]>(), Is.EqualTo(new[] { parameter }));
    }

    [TestCase("/api/v1/logs?q=", "q")]
    [TestCase("/api/v1/logs/export?limit=5", "limit")]
    [TestCase("/api/v1/usage", "group_by")]
    [TestCase("/api/v1/usage?group_by=week", "group_by")]
    [TestCase("/api/v1/usage?group_by=key&model=m", "model")]
    [TestCase("/api/v1/datasets/x/export?split=VALIDATE", "split")]
    [TestCase("/api/v1/local-testing-only-get-latest-logged-call?x=1", "x")]
    public async Task OtherRoutes_BadParameter_Is400NamingIt(string path, string parameter)
    {
        // Act
        var (status, error) = await GetErrorAsync(path);

        // Assert
        Assert.That(status, Is.EqualTo(400));
        Assert.That(error["issues"]![0]!["path"]!.ToObject<string[]>(), Is.EqualTo(new[] { parameter }));
    }

    [TestCase("/api/v1/logs/abc")]
    [TestCase("/api/v1/logs/-1")]
    public async Task Get_IdThatIsNotANumber_Is404Json(string path)
    {
        // Act
        var (status, error) = await GetErrorAsync(path);

        // Assert
        Assert.That(status, Is.EqualTo(404));
        Assert.That((string?)error["error"]!["type"], Is.Not.Null.And.Not.Empty);
    }

    [Test]
    public async Task List_TextLongerThanTheLimit_Is400()
    {
        // Act
        var (status, error) = await GetErrorAsync("/api/v1/logs?q=" + new string('a', 201));

        // Assert
        Assert.That(status, Is.EqualTo(400));
        Assert.That(error["issues"]![0]!["path"]![0]!.ToString(), Is.EqualTo("q"));
    }

    private static Task<LogList> ListAsync(OpenPipeClient client, LogArgs a, int? limit = null, string? cursor = null) =>
        client.ListLogsAsync(a.Model, a.Backend, a.Status, a.Tag, a.Criterion, a.CacheHit, a.From, a.To, a.Q, a.KeyId, limit, cursor);

    private static Storage.RequestLogEntry PagingRow(int n, DateTimeOffset at) => new()
    {
        ReceivedAt = at,
        KeyId = RequestLogStorage.KeyIdC,
        Model = "paging",
        Backend = "echo",
        Status = 200,
        RequestJson = """{"model":"paging","messages":[{"role":"user","content":"page"}]}""",
        CompletionId = "page-" + n.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    private async Task<(int Status, JObject Error)> GetErrorAsync(string path)
    {
        using var http = gateway.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", GatewayFactory.Key);
        using var response = await http.SendAsync(request);
        return ((int)response.StatusCode, JObject.Parse(await response.Content.ReadAsStringAsync()));
    }

    private static async Task<string> GetTextAsync(HttpClient http, string path, string key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        using var response = await http.SendAsync(request);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), path);
        return await response.Content.ReadAsStringAsync();
    }
}
