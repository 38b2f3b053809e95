using System;
using System.Collections.Generic;
using System.Linq;
using System.Net.Http;
using System.Threading.Tasks;
using Newtonsoft.Json.Linq;
using NUnit.Framework;
using OpenPipe.Gateway.Tests.Support;

namespace OpenPipe.Gateway.Tests;

/// <summary>
/// POST /report and /logs/update-tags with the bodies OpenPipe's SDKs send, GET /models, op-criteria,
/// and op-* forwarding to an upstream that speaks OpenPipe (and not to one that does not).
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class ApiEndpointTests
{
    private FakeUpstream upstream = null!;
    private GatewayFactory factory = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        upstream = await FakeUpstream.StartAsync();
        factory = new GatewayFactory(upstream.BaseUrl, new Dictionary<string, string?>
        {
            ["Gateway:Upstreams:openpipe:BaseUrl"] = upstream.BaseUrl.ToString(),
            ["Gateway:Upstreams:openpipe:SpeaksOpenPipe"] = "true",
            ["Gateway:Upstreams:openpipe:MaxRetries"] = "0",
            ["Gateway:Routes:1:Model"] = "openpipe:*",
            ["Gateway:Routes:1:Backend"] = "openpipe",
            ["Gateway:Routes:2:Model"] = "gpt-exact",
            ["Gateway:Routes:2:Backend"] = "wm",
        });
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        factory.Dispose();
        await upstream.DisposeAsync();
    }

    // What OpenPipe's TypeScript SDK posts after a call to a model OpenPipe does not serve.
    private static string SdkReport(string completionId, string promptId) => $$$"""
        {
          "requestedAt": 1732000000000,
          "receivedAt": 1732000000850,
          "reqPayload": {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Count to 3"}], "stream": false},
          "respPayload": {"id": "{{{completionId}}}", "object": "chat.completion", "created": 1732000000, "model": "gpt-4o-mini",
            "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "1, 2, 3"}}],
            "usage": {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18}},
          "statusCode": 200,
          "tags": {"prompt_id": "{{{promptId}}}", "$sdk": "typescript", "$sdk.version": "0.29.0", "attempt": 2, "flagged": false, "empty": null}
        }
        """;

    [Test]
    public async Task Report_SdkBody_IsStoredInTheRequestLog()
    {
        // Arrange
        string id = "chatcmpl-" + Guid.NewGuid().ToString("N");

        // Act
        using var response = await factory.PostAsync("/api/v1/report", SdkReport(id, "count"));
        var row = (await factory.WaitForRowAsync(r => (string?)r["completion_id"] == id))!;

        // Assert
        Assert.That((int)response.StatusCode, Is.EqualTo(200));
        Assert.That(await response.Content.ReadAsStringAsync(), Is.EqualTo("""{"status":"ok"}"""));
        Assert.Multiple(() =>
        {
            Assert.That(row["backend"], Is.EqualTo("report"));
            Assert.That(row["model"], Is.EqualTo("gpt-4o-mini"));
            Assert.That(row["status"], Is.EqualTo(200L));
            Assert.That(row["latency_ms"], Is.EqualTo(850.0));
            Assert.That(row["total_tokens"], Is.EqualTo(18L));
            Assert.That((string?)JObject.Parse((string)row["response_json"]!)["choices"]![0]!["message"]!["content"], Is.EqualTo("1, 2, 3"));
            var tags = JObject.Parse((string)row["tags"]!);
            Assert.That((string?)tags["prompt_id"], Is.EqualTo("count"));
            Assert.That((int?)tags["attempt"], Is.EqualTo(2));
            Assert.That(tags.ContainsKey("empty"), Is.False, "a null tag is not stored");
        });
    }

    [Test]
    public async Task UpdateTags_ByCompletionIdAndTag_MergesTagsAndCountsMatches()
    {
        // Arrange: two reported calls with the same prompt id.
        string first = "chatcmpl-" + Guid.NewGuid().ToString("N");
        string second = "chatcmpl-" + Guid.NewGuid().ToString("N");
        string prompt = "p-" + Guid.NewGuid().ToString("N")[..8];
        using (await factory.PostAsync("/api/v1/report", SdkReport(first, prompt)))
        using (await factory.PostAsync("/api/v1/report", SdkReport(second, prompt)))
        {
        }

        // Act: the SDK's update-tags bodies, sent at once after the reports.
        using var byTag = await factory.PostAsync("/api/v1/logs/update-tags",
            $$$"""{"filters":[{"field":"tags.prompt_id","equals":"{{{prompt}}}"},{"field":"model","equals":"gpt-4o-mini"}],"tags":{"reviewed":"yes","attempt":null}}""");
        using var byId = await factory.PostAsync("/api/v1/logs/update-tags",
            $$$"""{"filters":[{"field":"completionId","equals":"{{{first}}}"}],"tags":{"score":5,"good":true}}""");
        var rows = (await factory.RowsAsync()).Where(r => (string?)r["completion_id"] == first || (string?)r["completion_id"] == second)
            .ToDictionary(r => (string)r["completion_id"]!, r => JObject.Parse((string)r["tags"]!));

        // Assert
        Assert.That(await byTag.Content.ReadAsStringAsync(), Is.EqualTo("""{"matchedLogs":2}"""));
        Assert.That(await byId.Content.ReadAsStringAsync(), Is.EqualTo("""{"matchedLogs":1}"""));
        Assert.That((string?)rows[first]["reviewed"], Is.EqualTo("yes"));
        Assert.That(rows[first].ContainsKey("attempt"), Is.False, "a null tag removes it");
        Assert.That(rows[first]["score"]!.Type, Is.EqualTo(JTokenType.Integer), "a tag keeps its JSON type");
        Assert.That((int)rows[first]["score"]!, Is.EqualTo(5));
        Assert.That(rows[first]["good"]!.Type, Is.EqualTo(JTokenType.Boolean));
        Assert.That((bool)rows[first]["good"]!, Is.True);
        Assert.That(rows[second].ContainsKey("score"), Is.False);
        Assert.That((string?)rows[second]["prompt_id"], Is.EqualTo(prompt), "other tags are kept");
    }

    [Test]
    public async Task OpTags_SdkTagShapes_AreLoggedWithTheirJsonTypesAndFilteredAsOpenPipeDoes()
    {
        // Arrange: op-tags as OpenPipe's SDKs send them (Record<string, string | number | boolean | null>).
        string prompt = "p-" + Guid.NewGuid().ToString("N")[..8];
        string tags = $$"""{"prompt_id":"{{prompt}}","attempt":2,"cached":false,"note":null}""";
        string Filter(string field, string equals) =>
            $$$"""{"filters":[{"field":"tags.prompt_id","equals":"{{{prompt}}}"},{"field":"{{{field}}}","equals":{{{equals}}}}],"tags":{"reviewed":true}}""";

        // Act
        using var logged = await factory.PostAsync("/api/v1/chat/completions", """{"model":"echo","store":true,"messages":[{"role":"user","content":"typed tags"}]}""", ("op-tags", tags));
        var row = (await factory.WaitForRowAsync(r => ((string?)r["tags"])?.Contains(prompt, StringComparison.Ordinal) == true))!;
        using var byNumber = await factory.PostAsync("/api/v1/logs/update-tags", Filter("tags.attempt", "2"));
        using var byNumberText = await factory.PostAsync("/api/v1/logs/update-tags", Filter("tags.attempt", "\"2\""));
        using var byBoolean = await factory.PostAsync("/api/v1/logs/update-tags", Filter("tags.cached", "false"));
        using var byOtherNumber = await factory.PostAsync("/api/v1/logs/update-tags", Filter("tags.attempt", "3"));
        var updated = (await factory.WaitForRowAsync(r => (string?)r["entry_id"] == (string?)row["entry_id"]))!;

        // Assert
        Assert.That((int)logged.StatusCode, Is.EqualTo(200), await logged.Content.ReadAsStringAsync());
        Assert.That(row["tags"], Is.EqualTo($$"""{"prompt_id":"{{prompt}}","attempt":2,"cached":false}"""), "each tag keeps its JSON type; a null tag is no tag");
        Assert.That(await byNumber.Content.ReadAsStringAsync(), Is.EqualTo("""{"matchedLogs":1}"""));
        Assert.That(await byNumberText.Content.ReadAsStringAsync(), Is.EqualTo("""{"matchedLogs":1}"""), "values compare by their text, as on OpenPipe");
        Assert.That(await byBoolean.Content.ReadAsStringAsync(), Is.EqualTo("""{"matchedLogs":1}"""));
        Assert.That(await byOtherNumber.Content.ReadAsStringAsync(), Is.EqualTo("""{"matchedLogs":0}"""));
        Assert.That(updated["tags"], Is.EqualTo($$"""{"prompt_id":"{{prompt}}","attempt":2,"cached":false,"reviewed":true}"""));
    }

    [Test]
    public async Task GeneratedClient_ReportUpdateTagsAndModels_RoundTripThroughTheGateway()
    {
        // Arrange: the spec's operations, called with the client generated from it.
        using var client = factory.CreateOpenPipeClient();
        string id = "chatcmpl-" + Guid.NewGuid().ToString("N");
        var report = new OpenPipe.ReportRequest
        {
            RequestedAt = 1_732_000_000_000,
            ReceivedAt = 1_732_000_000_120,
            ReqPayload = new Dictionary<string, object> { ["model"] = "claude-x", ["messages"] = new object[0] },
            RespPayload = new Dictionary<string, object> { ["id"] = id, ["model"] = "claude-x" },
            StatusCode = 200,
            Tags = new Dictionary<string, object> { ["prompt_id"] = "gen" },
        };

        // Act
        var reported = await client.ReportAsync(report);
        var updated = await client.UpdateLogTagsAsync(new OpenPipe.UpdateLogTagsRequest
        {
            Filters = [new OpenPipe.LogTagsFilter { Field = "completionId", EqualsValue = id }],
            Tags = new Dictionary<string, object> { ["checked"] = "yes" },
        });
        var models = await client.ListModelsAsync();

        // Assert
        Assert.That(reported.Status, Is.EqualTo("ok"));
        Assert.That(updated.MatchedLogs, Is.EqualTo(1));
        Assert.That(models.Object, Is.EqualTo("list"));
        Assert.That(models.Data.Select(m => m.Id), Does.Contain("openpipe:*"));
        var row = (await factory.WaitForRowAsync(r => (string?)r["completion_id"] == id))!;
        Assert.That((string?)JObject.Parse((string)row["tags"]!)["checked"], Is.EqualTo("yes"));
    }

    [TestCase("/api/v1/logs/update-tags", """{"filters":[{"field":"colour","equals":"red"}],"tags":{}}""", "filters")]
    [TestCase("/api/v1/logs/update-tags", """{"filters":[],"tags":{"a":{"nested":1}}}""", "tags")]
    [TestCase("/api/v1/logs/update-tags", """{"tags":{}}""", "filters")]
    [TestCase("/api/v1/report", """{"statusCode":"two hundred"}""", "statusCode")]
    [TestCase("/api/v1/report", """{"tags":{"a":[1]}}""", "tags")]
    [TestCase("/api/v1/report", """[1,2]""", null)]
    [TestCase("/api/v1/report", """{"tags":""", null)]
    public async Task Post_InvalidBody_Is400InTheApiShape(string path, string body, string? issuePath)
    {
        // Act
        using var response = await factory.PostAsync(path, body);
        var error = JObject.Parse(await response.Content.ReadAsStringAsync());

        // Assert
        Assert.That((int)response.StatusCode, Is.EqualTo(400));
        Assert.That((string?)error["code"], Is.EqualTo("BAD_REQUEST"));
        Assert.That((string?)error["message"], Is.Not.Empty);
        if (issuePath is not null)
        {
            Assert.That((string?)error["issues"]![0]!["path"]![0], Is.EqualTo(issuePath));
        }
    }

    [TestCase("/api/v1/report", "text/plain", """{"statusCode":200}""", 415)]
    [TestCase("/api/v1/report", "application/json", """{"statusCode":200,"statusCode":201}""", 400)]
    [TestCase("/api/v1/report", "application/json", """{"requestedAt":"yesterday"}""", 400)]
    [TestCase("/api/v1/logs/update-tags", "application/json", """{"filters":[],"tags":{},"tags":{}}""", 400)]
    [TestCase("/api/v1/logs/update-tags", "application/json; charset=utf-16", """{"filters":[],"tags":{}}""", 415)]
    public async Task Post_BodyTheChatRouteWouldRefuse_IsRefusedTheSameWay(string path, string contentType, string body, int status)
    {
        // Arrange: the same reader as chat completions (content type, duplicate keys, strict primitives).
        using var http = factory.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body) };
        request.Content.Headers.Remove("Content-Type");
        request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", GatewayFactory.Key);

        // Act
        using var response = await http.SendAsync(request);
        var error = JObject.Parse(await response.Content.ReadAsStringAsync());

        // Assert
        Assert.That((int)response.StatusCode, Is.EqualTo(status));
        Assert.That((string?)error["error"]!["message"], Is.Not.Empty);
    }

    [Test]
    public async Task Post_ReportOverTheBodyLimit_Is413()
    {
        // Act
        using var response = await factory.PostAsync("/api/v1/report", $$"""{"errorMessage":"{{new string('x', 5 * 1024 * 1024)}}"}""");

        // Assert
        Assert.That((int)response.StatusCode, Is.EqualTo(413));
    }

    [Test]
    public async Task Models_ListsRoutedModelsInOpenAIsShape()
    {
        // Arrange
        using var http = factory.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/models");
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", GatewayFactory.Key);

        // Act
        using var response = await http.SendAsync(request);
        using var anonymous = await http.GetAsync("/api/v1/models");
        var list = JObject.Parse(await response.Content.ReadAsStringAsync());

        // Assert
        Assert.That((int)response.StatusCode, Is.EqualTo(200));
        Assert.That((int)anonymous.StatusCode, Is.EqualTo(401));
        Assert.That((string?)list["object"], Is.EqualTo("list"));
        var models = list["data"]!.ToDictionary(m => (string)m["id"]!, m => (string)m["owned_by"]!);
        Assert.That(models, Is.EquivalentTo(new Dictionary<string, string> { ["up:*"] = "wm", ["openpipe:*"] = "openpipe", ["gpt-exact"] = "wm", ["echo"] = "echo" }));
        Assert.That(list["data"]!.All(m => (string?)m["object"] == "model"), Is.True);
    }

    [TestCase(false)]
    [TestCase(true)]
    public async Task OpHeaders_AreForwardedOnlyToAnUpstreamThatSpeaksOpenPipe(bool stream)
    {
        // Arrange
        (string, string)[] headers = [("op-tags", """{"prompt_id":"fwd"}"""), ("op-criteria", """["tone","accuracy@v2"]"""), ("op-log-request", "true"), ("op-cache", "writeOnly")];
        string Body(string model) => $$"""{"model":"{{model}}","messages":[{"role":"user","content":"forward"}]{{(stream ? ",\"stream\":true" : "")}}}""";

        // Act
        using var toOpenPipe = await factory.PostAsync("/api/v1/chat/completions", Body("openpipe:ok"), headers);
        string receivedByOpenPipe = upstream.OpHeaders.Last();
        using var toOther = await factory.PostAsync("/api/v1/chat/completions", Body("up:ok"), headers);
        string receivedByOther = upstream.OpHeaders.Last();

        // Assert
        Assert.That((int)toOpenPipe.StatusCode, Is.EqualTo(200));
        Assert.That((int)toOther.StatusCode, Is.EqualTo(200));
        Assert.That(receivedByOpenPipe, Is.EqualTo("""op-cache=writeOnly; op-criteria=["tone","accuracy@v2"]; op-log-request=true; op-tags={"prompt_id":"fwd"}"""));
        Assert.That(receivedByOther, Is.Empty);
    }

    [TestCase("tone")]
    [TestCase("""{"tone":1}""")]
    [TestCase("""["tone", 3]""")]
    [TestCase("""[""]""")]
    public async Task OpCriteria_NotAJsonArrayOfIds_Is400(string criteria)
    {
        // Act
        using var response = await factory.PostAsync("/api/v1/chat/completions", """{"model":"echo","messages":[{"role":"user","content":"x"}]}""", ("op-criteria", criteria));
        var error = JObject.Parse(await response.Content.ReadAsStringAsync());

        // Assert
        Assert.That((int)response.StatusCode, Is.EqualTo(400));
        Assert.That((string?)error["message"], Does.Contain("op-criteria"));
    }

    [Test]
    public async Task OpCriteria_Valid_IsLoggedWithTheRequest()
    {
        // Arrange
        string text = "judged " + Guid.NewGuid().ToString("N");

        // Act
        using var response = await factory.PostAsync("/api/v1/chat/completions", $$"""{"model":"echo","messages":[{"role":"user","content":"{{text}}"}],"store":true}""", ("op-criteria", """[ "tone" , "accuracy@v2" ]"""));
        var row = (await factory.WaitForRowsAsync(1, text)).Single();

        // Assert
        Assert.That((int)response.StatusCode, Is.EqualTo(200));
        Assert.That(row["criteria"], Is.EqualTo("""["tone","accuracy@v2"]"""));
    }
}
