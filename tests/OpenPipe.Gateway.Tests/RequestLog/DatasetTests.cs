using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using Newtonsoft.Json.Linq;
using NUnit.Framework;
using OpenPipe.Client;

namespace OpenPipe.Gateway.Tests.RequestLog;

/// <summary>
/// OpenPipe's dataset operations and the gateway's datasets from the log, through the generated
/// client, on SQLite and PostgreSQL: entries with their split (or four in five in TRAIN), entries that
/// are no examples reported by index, logged calls added by the log's filters once, the export as
/// fine-tuning JSONL, and datasets seen only by their key and admin keys.
/// </summary>
[TestFixture(RequestLogStorage.Sqlite)]
[TestFixture(RequestLogStorage.Postgres)]
[NonParallelizable]
public sealed class DatasetTests(string storage)
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
    public async Task EntryCreate_ValidAndInvalidEntries_AddsTheValidOnesAndReportsTheOthersByIndex()
    {
        // Arrange
        using var client = gateway.CreateOpenPipeClient();
        var dataset = await client.UnstableDatasetCreateAsync(new CreateDatasetRequest { Name = "counting" });
        var entries = Enumerable.Range(0, 10).Select(i => Entry($"Count to {i}", string.Join(", ", Enumerable.Range(1, i + 1)))).ToList();
        entries[3].Split = DatasetSplit.TEST;
        entries.Add(new DatasetEntryInput { Messages = [new UserMessage { Content = "no answer" }] });

        // Act: OpenPipe's archiveId names the dataset.
        var created = await client.UnstableDatasetEntryCreateAsync(new CreateDatasetEntriesRequest { ArchiveId = dataset.DatasetId, Entries = entries });
        var listed = (await client.ListDatasetsAsync()).Data.Single(d => d.Id == dataset.DatasetId);
        var (lines, trailers) = await ExportAsync(client, dataset.DatasetId, null);
        var (test, _) = await ExportAsync(client, dataset.DatasetId, DatasetSplit.TEST);

        // Assert
        Assert.That(created.CreatedEntries, Is.EqualTo(10));
        Assert.That(created.Errors.Select(e => e.Index), Is.EqualTo(new double[] { 10 }));
        Assert.That(created.Errors[0].Message, Does.Contain("last message"));
        Assert.That((listed.TrainEntries, listed.TestEntries), Is.EqualTo((8L, 2L)), "four in five in TRAIN, the explicit TEST counted");
        Assert.That(listed.Name, Is.EqualTo("counting"));
        Assert.That(listed.KeyId, Is.EqualTo(RequestLogStorage.KeyIdA));
        Assert.That(lines, Has.Count.EqualTo(10));
        Assert.That(lines.Select(FineTuningFormat.Problems), Is.All.Empty);
        Assert.That(JObject.Parse(lines[0])["messages"]!.ToString(Newtonsoft.Json.Formatting.None),
            Is.EqualTo("""[{"role":"user","content":"Count to 0"},{"role":"assistant","content":"1"}]"""));
        Assert.That(trailers["op-export-written"], Is.EqualTo("10"));
        Assert.That(test, Has.Count.EqualTo(2));
        Assert.That(test, Has.Some.Contains("Count to 3"));
    }

    [Test]
    public async Task EntryCreate_DatasetIdInsteadOfArchiveId_IsAcceptedAsOpenPipesEarlierSdksSendIt()
    {
        // Arrange
        using var client = gateway.CreateOpenPipeClient();
        var dataset = await client.UnstableDatasetCreateAsync(new CreateDatasetRequest { Name = "by dataset id" });

        // Act
        var created = await client.UnstableDatasetEntryCreateAsync(new CreateDatasetEntriesRequest { DatasetId = dataset.DatasetId, Entries = [Entry("Hi", "Hello")] });

        // Assert
        Assert.That(created.CreatedEntries, Is.EqualTo(1));
        Assert.That(created.Errors, Is.Empty);
    }

    [Test]
    public async Task AddLogs_ByFiltersTwice_AddsTheSuccessfulCallsOnceAndCountsTheRest()
    {
        // Arrange
        using var client = gateway.CreateOpenPipeClient();
        var dataset = await client.UnstableDatasetCreateAsync(new CreateDatasetRequest { Name = "from logs" });
        var matching = seeds.Where(s => s.KeyId == RequestLogStorage.KeyIdA && s.Model == "m-delta").ToList();

        // Act
        var first = await client.AddLogsToDatasetAsync(dataset.DatasetId, null, "m-delta", null, null, null, null, null, null, null, null, null);
        var second = await client.AddLogsToDatasetAsync(dataset.DatasetId, DatasetSplit.TRAIN, "m-delta", null, null, null, null, null, null, null, null, null);
        var (lines, _) = await ExportAsync(client, dataset.DatasetId, null);

        // Assert
        int usable = matching.Count(s => s.HasResponse);
        Assert.That(first.Matched, Is.EqualTo(matching.Count));
        Assert.That(first.Added, Is.EqualTo(usable).And.GreaterThan(0));
        Assert.That(first.SkippedFailed, Is.EqualTo(matching.Count - usable));
        Assert.That(first.SkippedDuplicates, Is.Zero);
        Assert.That(second.Added, Is.Zero);
        Assert.That(second.SkippedDuplicates, Is.EqualTo(usable));
        Assert.That(lines, Has.Count.EqualTo(usable));
        Assert.That(lines.Select(FineTuningFormat.Problems), Is.All.Empty);
        Assert.That(lines, Has.Some.Contains("tool_calls"), "m-delta rows are the tool-calling ones");
    }

    [Test]
    public async Task Datasets_OfAnotherKey_AreNotFoundButAnAdminSeesThem()
    {
        // Arrange
        using var owner = gateway.CreateOpenPipeClient();
        using var other = gateway.CreateOpenPipeClient(RequestLogStorage.KeyB);
        using var admin = gateway.CreateOpenPipeClient(RequestLogStorage.AdminKey);
        var dataset = await owner.UnstableDatasetCreateAsync(new CreateDatasetRequest { Name = "private" });
        await owner.UnstableDatasetEntryCreateAsync(new CreateDatasetEntriesRequest { ArchiveId = dataset.DatasetId, Entries = [Entry("Hi", "Hello")] });

        // Act
        var entry = Assert.ThrowsAsync<OpenPipeApiException>(() => other.UnstableDatasetEntryCreateAsync(new CreateDatasetEntriesRequest { ArchiveId = dataset.DatasetId, Entries = [Entry("a", "b")] }));
        var export = Assert.ThrowsAsync<OpenPipeApiException>(() => other.ExportDatasetAsync(dataset.DatasetId, null));
        var fromLogs = Assert.ThrowsAsync<OpenPipeApiException>(() => other.AddLogsToDatasetAsync(dataset.DatasetId, null, null, null, null, null, null, null, null, null, null, null));
        var otherList = await other.ListDatasetsAsync();
        var adminList = await admin.ListDatasetsAsync();
        var (adminLines, _) = await ExportAsync(admin, dataset.DatasetId, null);

        // Assert
        Assert.That(new[] { entry!.StatusCode, export!.StatusCode, fromLogs!.StatusCode }, Is.All.EqualTo(404));
        Assert.That(otherList.Data.Select(d => d.Id), Does.Not.Contain(dataset.DatasetId));
        Assert.That(adminList.Data.Select(d => d.Id), Does.Contain(dataset.DatasetId));
        Assert.That(adminLines, Has.Count.EqualTo(1));
    }

    [TestCase("""{"name":"  "}""", "name")]
    [TestCase("""{"nom":"x"}""", "name")]
    [TestCase("""{"name":["x"]}""", "name")]
    public async Task DatasetCreate_BadBody_Is400NamingTheField(string body, string field)
    {
        // Act
        using var response = await gateway.PostAsync("/api/v1/unstable/dataset/create", body);
        var error = JObject.Parse(await response.Content.ReadAsStringAsync());

        // Assert
        Assert.That((int)response.StatusCode, Is.EqualTo(400));
        Assert.That((string?)error["code"], Is.EqualTo("BAD_REQUEST"));
        Assert.That(error["issues"]![0]!["path"]![0]!.ToString(), Is.EqualTo(field));
    }

    [TestCase("""{"entries":[{"messages":[{"role":"user","content":"a"}]}]}""", "archiveId")]
    [TestCase("""{"archiveId":"x","entries":[]}""", "entries")]
    [TestCase("""{"archiveId":"x","datasetId":"y","entries":[{"messages":[{"role":"user","content":"a"}]}]}""", "archiveId")]
    [TestCase("""{"archiveId":"x","entries":[{"messages":[{"role":"user","content":"a"}],"split":"VALIDATE"}]}""", "entries")]
    public async Task EntryCreate_BadBody_Is400NamingTheField(string body, string field)
    {
        // Act
        using var response = await gateway.PostAsync("/api/v1/unstable/dataset-entry/create", body);
        var error = JObject.Parse(await response.Content.ReadAsStringAsync());

        // Assert
        Assert.That((int)response.StatusCode, Is.EqualTo(400));
        Assert.That(error["issues"]![0]!["path"]![0]!.ToString(), Is.EqualTo(field));
    }

    [Test]
    public async Task DatasetCreate_NotJsonOrTooLarge_Is415Or413()
    {
        // Act
        using var http = gateway.CreateClient();
        using var text = new System.Net.Http.HttpRequestMessage(System.Net.Http.HttpMethod.Post, "/api/v1/unstable/dataset/create") { Content = new System.Net.Http.StringContent("name=x") };
        text.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", GatewayFactory.Key);
        using var unsupported = await http.SendAsync(text);
        using var large = await gateway.PostAsync("/api/v1/unstable/dataset/create", $$"""{"name":"{{new string('x', 4 * 1024 * 1024)}}"}""");

        // Assert
        Assert.That((int)unsupported.StatusCode, Is.EqualTo(415));
        Assert.That((int)large.StatusCode, Is.EqualTo(413));
        Assert.That((string?)JObject.Parse(await large.Content.ReadAsStringAsync())["code"], Is.EqualTo("PAYLOAD_TOO_LARGE"));
    }

    private static DatasetEntryInput Entry(string question, string answer) => new()
    {
        Messages = [new UserMessage { Content = question }, new AssistantMessage { Content = answer }],
    };

    private static async Task<(List<string> Lines, Dictionary<string, string> Trailers)> ExportAsync(OpenPipeClient client, string datasetId, DatasetSplit? split)
    {
        using var file = await client.ExportDatasetAsync(datasetId, split);
        using var reader = new StreamReader(file.Stream);
        var lines = new List<string>();
        while (await reader.ReadLineAsync() is { } line)
        {
            lines.Add(line);
        }

        return (lines, file.TrailingHeaders.ToDictionary(t => t.Key, t => t.Value.Single(), StringComparer.OrdinalIgnoreCase));
    }
}
