using System;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Threading.Tasks;
using Newtonsoft.Json.Linq;
using NUnit.Framework;

namespace OpenPipe.Gateway.Tests.LogsPage;

/// <summary>
/// The list's export button (the logs API's export for the same filter, as a download) and the form that
/// adds the filtered calls to a dataset (new or existing, with its antiforgery token), with what it says.
/// </summary>
public sealed class ExportAndDatasetTests : KeyAPageTests
{
    [TestCase("tag=prompt_id%3Dcheckout")]
    [TestCase("model=gpt-4o-mini&status=2xx")]
    [TestCase("")]
    public async Task Export_ListsButton_DownloadsWhatTheApiExportsForTheFilter(string filter)
    {
        // Arrange
        var list = await KeyA.GetAsync("/logs?limit=25&" + filter);
        string link = list.Document.QuerySelector("a[download]")!.GetAttribute("href")!;
        using var api = Gateway.CreateClient();
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", PageSeed.KeyA);
        string expected = await api.GetStringAsync("/api/v1/logs/export?" + filter);

        // Act
        using var response = await KeyA.Http.GetAsync(new Uri(link, UriKind.Relative));
        string body = await response.Content.ReadAsStringAsync();

        // Assert
        Assert.That(link, Is.EqualTo("/logs/export" + (filter.Length == 0 ? string.Empty : "?" + filter)), "the filters without the paging");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(response.Content.Headers.ContentType!.MediaType, Is.EqualTo("application/jsonl"));
        Assert.That(response.Content.Headers.ContentDisposition!.DispositionType, Is.EqualTo("attachment"));
        Assert.That(body, Is.EqualTo(expected));
        var lines = body.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines, Is.Not.Empty);
        Assert.That(lines.Select(l => (string)JObject.Parse(l)["messages"]!.Last!["role"]!), Is.All.EqualTo("assistant"));
        Assert.That(long.Parse(response.Headers.GetValues("op-export-rows").Single(), System.Globalization.CultureInfo.InvariantCulture), Is.GreaterThanOrEqualTo(lines.Length));
    }

    [Test]
    public async Task Export_BadFilter_Answers400InTheApisErrorShape()
    {
        // Act
        using var response = await KeyA.Http.GetAsync(new Uri("/logs/export?status=6xx", UriKind.Relative));
        var body = JObject.Parse(await response.Content.ReadAsStringAsync());

        // Assert
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That((string)body["error"]!["type"]!, Is.EqualTo("invalid_request_error"));
        Assert.That((string)body["issues"]![0]!["path"]![0]!, Is.EqualTo("status"));
    }

    [Test]
    public async Task AddToDataset_NewDataset_AddsTheFilteredCallsAndSaysHowMany()
    {
        // Arrange
        var list = await KeyA.GetAsync("/logs?tag=prompt_id%3Dcheckout&limit=25");
        var form = await KeyA.GetAsync(list.Document.QuerySelector("a.button.secondary")!.GetAttribute("href")!);
        int usable = PageSeed.CountOfA(e => e.Tags!.Contains("\"checkout\"", StringComparison.Ordinal) && e.Status == 200 && e.ResponseJson is not null);
        int failed = PageSeed.CountOfA(e => e.Tags!.Contains("\"checkout\"", StringComparison.Ordinal)) - usable;
        string name = "checkout-" + Guid.NewGuid().ToString("N")[..8];

        // Act
        var added = await KeyA.SubmitAsync(form, "main form.filters", ("dataset_id", ""), ("new_dataset_name", name), ("split", "TRAIN"));

        // Assert
        Assert.That(form.Text("ul.filter-summary"), Does.Contain("tag: prompt_id=checkout"));
        Assert.That(added.Status, Is.EqualTo(HttpStatusCode.OK), added.Html);
        string said = added.Text("[role=status]");
        Assert.That(said, Does.Contain($"Added {usable} calls to “{name}”").And.Contain($"{usable + failed} matched").And.Contain($"{failed} left out").And.Contain($"{usable} TRAIN and 0 TEST"));
        using var api = Gateway.CreateClient();
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", PageSeed.KeyA);
        var dataset = JObject.Parse(await api.GetStringAsync("/api/v1/datasets"))["data"]!.Single(d => (string)d["name"]! == name);
        Assert.That((long)dataset["train_entries"]!, Is.EqualTo(usable));
        string download = added.Document.QuerySelector("[role=status] a[download]")!.GetAttribute("href")!;
        using var jsonl = await KeyA.Http.GetAsync(new Uri(download, UriKind.Relative));
        Assert.That((await jsonl.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries), Has.Length.EqualTo(usable));
    }

    [Test]
    public async Task AddToDataset_SameCallsAgain_AddsNoneAndCountsThemAsAlreadyThere()
    {
        // Arrange
        var form = await KeyA.GetAsync("/logs/dataset?tag=prompt_id%3Dweather");
        var first = await KeyA.SubmitAsync(form, "main form.filters", ("new_dataset_name", "weather-" + Guid.NewGuid().ToString("N")[..8]), ("split", ""));
        string datasetId = first.Document.QuerySelector("#d-existing option[selected]")!.GetAttribute("value")!;

        // Act
        var again = await KeyA.SubmitAsync(first, "main form.filters", ("dataset_id", datasetId), ("split", ""));

        // Assert
        Assert.That(first.Text("[role=status]"), Does.Contain("Added 1 call to"));
        Assert.That(again.Status, Is.EqualTo(HttpStatusCode.OK), again.Html);
        Assert.That(again.Text("[role=status]"), Does.Contain("Added 0 calls").And.Contain("1 already in the dataset"));
    }

    [TestCase("", "", "Choose a dataset, or name a new one")]
    [TestCase("some-id", "and-a-name", "Choose a dataset, or name a new one")]
    [TestCase("no-such-dataset", "", "There is no such dataset for this key")]
    public async Task AddToDataset_NeitherBothOrUnknown_ShowsAMessage(string datasetId, string name, string message)
    {
        // Arrange
        var form = await KeyA.GetAsync("/logs/dataset?model=gpt-4o-mini");

        // Act
        var refused = await KeyA.SubmitAsync(form, "main form.filters", ("dataset_id", datasetId), ("new_dataset_name", name), ("split", ""));

        // Assert
        Assert.That((int)refused.Status, Is.EqualTo(datasetId == "no-such-dataset" ? 404 : 400));
        Assert.That(refused.Text("[role=alert]"), Does.Contain(message));
    }

    [Test]
    public async Task AddToDataset_AnotherKeysDataset_IsNotFound()
    {
        // Arrange: key B's dataset.
        using var keyB = await PageClient.SignedInAsync(Gateway, PageSeed.KeyB);
        var formOfB = await keyB.GetAsync("/logs/dataset");
        var ofB = await keyB.SubmitAsync(formOfB, "main form.filters", ("new_dataset_name", "of-b"), ("split", ""));
        string datasetOfB = ofB.Document.QuerySelector("#d-existing option[selected]")!.GetAttribute("value")!;
        var form = await KeyA.GetAsync("/logs/dataset");

        // Act
        var refused = await KeyA.SubmitAsync(form, "main form.filters", ("dataset_id", datasetOfB), ("split", ""));
        using var download = await KeyA.Http.GetAsync(new Uri("/logs/datasets/" + datasetOfB + "/export", UriKind.Relative));

        // Assert
        Assert.That(refused.Status, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(download.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(form.Html, Does.Not.Contain("of-b"));
    }

    [Test]
    public async Task AddToDataset_WithoutTheAntiforgeryToken_Answers400AndAddsNothing()
    {
        // Act
        var refused = await KeyA.PostAsync("/logs/dataset", ("new_dataset_name", "forged"), ("split", ""));
        var form = await KeyA.GetAsync("/logs/dataset");

        // Assert
        Assert.That(refused.Status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(form.Html, Does.Not.Contain("forged"));
    }

    [Test]
    public async Task AddToDataset_BadFilter_ShowsTheMessage()
    {
        // Act
        var page = await KeyA.GetAsync("/logs/dataset?cache_hit=perhaps");

        // Assert
        Assert.That(page.Status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(page.Text("[role=alert]"), Does.Contain("cache_hit must be true or false"));
    }
}
