using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Newtonsoft.Json.Linq;
using NUnit.Framework;
using OpenPipe.Client;
using OpenPipe.Gateway.Logs;
using OpenPipe.Gateway.Storage;

namespace OpenPipe.Gateway.Tests.LogsPage;

/// <summary>
/// The list at /logs: what each key sees, every filter selecting what the logs API selects for the same
/// query, empty form fields, bad filters as messages, keyset pages, and that a page reads one page of rows.
/// </summary>
public sealed class ListTests
{
    private PageClient keyA = null!;
    private PageClient admin = null!;

    private static GatewayFactory Gateway => PageGateway.Instance;

    [OneTimeSetUp]
    public async Task SignInAsync()
    {
        keyA = await PageClient.SignedInAsync(Gateway, PageSeed.KeyA);
        admin = await PageClient.SignedInAsync(Gateway, PageSeed.AdminKey);
    }

    [OneTimeTearDown]
    public void SignOut()
    {
        keyA.Dispose();
        admin.Dispose();
    }

    [Test]
    public async Task List_ApiKey_ShowsOnlyItsOwnCallsNewestFirst()
    {
        // Act
        var page = await keyA.GetAsync("/logs?limit=200");

        // Assert
        Assert.That(page.Status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(page.CallIds(), Is.EqualTo(PageSeed.IdsOfANewestFirst()));
        Assert.That(page.All("table.calls thead th").Select(th => th.TextContent.Trim()), Does.Not.Contain("Key id"));
    }

    [Test]
    public async Task List_AdminKey_ShowsEveryKeysCallsWithTheirKeyIds()
    {
        // Act
        var page = await admin.GetAsync("/logs?limit=200");

        // Assert
        Assert.That(page.CallIds(), Has.Count.EqualTo(PageSeed.Entries.Count));
        var keyIds = page.All("table.calls tbody td[data-label='Key id']").Select(td => td.TextContent.Trim()).Distinct();
        Assert.That(keyIds, Is.EquivalentTo(new[] { PageSeed.KeyIdA, PageSeed.KeyIdB }));
    }

    [Test]
    public async Task List_ApiKeyAskingForAnotherKeysCalls_Answers403WithAMessage()
    {
        // Act
        var page = await keyA.GetAsync("/logs?key_id=" + PageSeed.KeyIdB);

        // Assert
        Assert.That(page.Status, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That(page.Text("[role=alert]"), Does.Contain("key_id names another key"));
        Assert.That(page.All("table.calls"), Is.Empty);
    }

    public static IEnumerable<string> Filters() =>
    [
        "model=gpt-4o-mini",
        "model=openpipe%3Asupport-bot&status=2xx",
        "backend=openpipe",
        "status=4xx,5xx",
        "status=429",
        "tag=prompt_id%3Dcheckout",
        "tag=prompt_id%3Dsupport&tag=attempt%3D2",
        "tag=attempt%3D2.0",
        "criterion=tone%40v1",
        "cache_hit=true",
        "cache_hit=false&model=gpt-4o-mini",
        "from=2025-03-03T00%3A00&to=2025-03-05T00%3A00",
        "from=2025-03-03T09%3A00%3A00",
        "q=umbrella",
        "q=ORDER%201012",
        "q=ships%20tomorrow",
        "q=%22role%22%3A%22tool%22",
    ];

    [TestCaseSource(nameof(Filters))]
    public async Task List_EachFilter_SelectsWhatTheLogsApiSelects(string filter)
    {
        // Arrange
        using var api = Gateway.CreateClient();
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", PageSeed.KeyA);
        var expected = JObject.Parse(await api.GetStringAsync("/api/v1/logs?limit=200&" + filter))["data"]!.Select(c => (long)c["id"]!).ToList();

        // Act
        var page = await keyA.GetAsync("/logs?limit=200&" + filter);

        // Assert
        Assert.That(page.Status, Is.EqualTo(HttpStatusCode.OK), page.Html);
        Assert.That(expected, Is.Not.Empty, "each filter selects some calls");
        Assert.That(page.CallIds(), Is.EqualTo(expected));
    }

    [Test]
    public async Task List_EmptyFormFields_MeanAny()
    {
        // Act: what the filter form sends with only one tag filled in.
        var page = await keyA.GetAsync("/logs?model=&backend=&status=&tag=prompt_id%3Dweather&tag=&criterion=&cache_hit=&from=&to=&q=&limit=50");

        // Assert
        Assert.That(page.Status, Is.EqualTo(HttpStatusCode.OK), page.Html);
        Assert.That(page.CallIds(), Is.EqualTo(new[] { PageSeed.ToolCallId }));
        Assert.That(page.All("input[name=tag]").Select(i => i.GetAttribute("value") ?? string.Empty), Is.EqualTo(new[] { "prompt_id=weather", string.Empty }), "the form shows the filter and room for another");
    }

    [TestCase("status=6xx", "status must be codes")]
    [TestCase("cache_hit=maybe", "cache_hit must be true or false")]
    [TestCase("from=yesterday", "from must be an ISO 8601 time")]
    [TestCase("from=2025-03-05T00%3A00&to=2025-03-01T00%3A00", "to must be later than from")]
    [TestCase("tag=novalue", "tag must be NAME=VALUE")]
    [TestCase("modle=gpt-4o-mini", "Unknown query parameter 'modle'")]
    [TestCase("model=a&model=b", "given 2 times")]
    [TestCase("cursor=not-a-cursor", "cursor is not a cursor")]
    [TestCase("limit=0", "limit must be a whole number")]
    [TestCase("limit=201", "limit must be a whole number")]
    public async Task List_BadFilter_Answers400WithTheParsersMessageAndTheForm(string query, string message)
    {
        // Act
        var page = await keyA.GetAsync("/logs?" + query);

        // Assert
        Assert.That(page.Status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(page.Text("[role=alert]"), Does.Contain(message));
        Assert.That(page.All("form.filters"), Has.Count.EqualTo(1), "the form is there to correct it");
    }

    [Test]
    public async Task List_Pages_FollowTheCursorThroughEveryCallOnce()
    {
        // Arrange
        var seen = new List<long>();
        string? next = "/logs?limit=7";
        int pages = 0;

        // Act
        while (next is not null)
        {
            var page = await keyA.GetAsync(next);
            Assert.That(page.Status, Is.EqualTo(HttpStatusCode.OK), page.Html);
            seen.AddRange(page.CallIds());
            next = page.NextPage;
            pages++;
            Assert.That(pages, Is.LessThan(20));
        }

        // Assert
        var expected = PageSeed.IdsOfANewestFirst();
        Assert.That(seen, Is.EqualTo(expected));
        Assert.That(pages, Is.EqualTo((int)Math.Ceiling(expected.Count / 7.0)));
    }

    [Test]
    public async Task List_LaterPage_KeepsTheFiltersAndLinksToTheNewest()
    {
        // Arrange
        var first = await keyA.GetAsync("/logs?limit=3&model=gpt-4o-mini");

        // Act
        var second = await keyA.GetAsync(first.NextPage!);

        // Assert
        Assert.That(first.NextPage, Does.Contain("model=gpt-4o-mini").And.Contain("limit=3").And.Contain("cursor="));
        Assert.That(second.Document.QuerySelector("nav.pager a:not([rel])")!.GetAttribute("href"), Is.EqualTo("/logs?limit=3&model=gpt-4o-mini"), "the parameters in the order they came");
        Assert.That(second.CallIds().Intersect(first.CallIds()), Is.Empty);
        Assert.That(second.Document.QuerySelector("#f-model")!.GetAttribute("value"), Is.EqualTo("gpt-4o-mini"));
    }

    [Test]
    public async Task List_OnePage_ReadsOnlyThatPageFromTheLog()
    {
        // Arrange: the gateway's log reader, recorded.
        var reads = new List<string>();
        using var recorded = Gateway.WithWebHostBuilder(builder => builder.ConfigureTestServices(services =>
            services.AddSingleton<IRequestLogReader>(sp => new RecordingReader((IRequestLogReader)sp.GetRequiredService<IGatewayStore>(), reads))));
        using var client = await PageClient.SignedInAsync(recorded, PageSeed.AdminKey);
        reads.Clear();

        // Act
        var page = await client.GetAsync("/logs?limit=25&status=2xx");
        var next = await client.GetAsync(page.NextPage!);

        // Assert: one query of a page and one row more per page; no count, no export, no usage.
        Assert.That(next.Status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(reads, Is.EqualTo(new[] { "list take=26 after=no", "list take=26 after=yes" }));
    }

    /// <summary>Passes every read on and records what was asked.</summary>
    private sealed class RecordingReader(IRequestLogReader inner, List<string> reads) : IRequestLogReader
    {
        public Task<IReadOnlyList<LogEntry>> ListLogsAsync(LogQuery query, LogCursor? after, int take, CancellationToken cancellationToken = default)
        {
            reads.Add($"list take={take} after={(after is null ? "no" : "yes")}");
            return inner.ListLogsAsync(query, after, take, cancellationToken);
        }

        public Task<LogEntry?> GetLogAsync(long id, string? keyId, CancellationToken cancellationToken = default)
        {
            reads.Add("get");
            return inner.GetLogAsync(id, keyId, cancellationToken);
        }

        public Task<LatestLoggedCall?> GetLatestLogAsync(string? keyId, CancellationToken cancellationToken = default)
        {
            reads.Add("latest");
            return inner.GetLatestLogAsync(keyId, cancellationToken);
        }

        public IAsyncEnumerable<ExportRow> ReadExportRowsAsync(LogQuery query, ExportTotals? totals = null, CancellationToken cancellationToken = default)
        {
            reads.Add("export");
            return inner.ReadExportRowsAsync(query, totals, cancellationToken);
        }

        public Task<IReadOnlyList<UsageRow>> GetUsageAsync(UsageGroupBy groupBy, string? keyId, DateTimeOffset? from, DateTimeOffset? to, CancellationToken cancellationToken = default)
        {
            reads.Add("usage");
            return inner.GetUsageAsync(groupBy, keyId, from, to, cancellationToken);
        }

        public Task<long> GetTokensUsedAsync(string keyId, DateTimeOffset since, CancellationToken cancellationToken = default)
        {
            reads.Add("tokens");
            return inner.GetTokensUsedAsync(keyId, since, cancellationToken);
        }
    }
}
