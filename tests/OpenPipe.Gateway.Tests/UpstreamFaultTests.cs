using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading.Tasks;
using Newtonsoft.Json.Linq;
using NUnit.Framework;
using OpenPipe.Gateway.Tests.Support;

namespace OpenPipe.Gateway.Tests;

/// <summary>
/// Every kind of upstream fault (slow, silent, broken, malformed, erroring), for a JSON and a streaming caller: no hang (each call has a
/// client-side limit), no 200 that hides the failure, errors that keep their meaning in the API's
/// JSON shape, and a request-log row with the status and error for each (they all ask to be stored).
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class UpstreamFaultTests
{
    private FakeUpstream upstream = null!;
    private GatewayFactory factory = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        upstream = await FakeUpstream.StartAsync();
        factory = new GatewayFactory(upstream.BaseUrl, new Dictionary<string, string?>
        {
            ["Gateway:Upstreams:wm:IdleTimeout"] = "00:00:01",
            ["Gateway:Upstreams:wm:MaxRetries"] = "1",
            ["Gateway:Upstreams:wm:MaxRetryAfter"] = "00:00:10",
        });
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        factory.Dispose();
        await upstream.DisposeAsync();
    }

    private static string Body(string model, string text, bool stream) =>
        $$"""{"model":"up:{{model}}","messages":[{"role":"user","content":"{{text}}"}],"store":true{{(stream ? ",\"stream\":true" : "")}}}""";

    // Faults answered before anything was sent: the same error status for JSON and streaming callers.
    [TestCase("stall-json", false, 504)]
    [TestCase("stall-json", true, 504)]
    [TestCase("stall-first", false, 504)]
    [TestCase("stall-first", true, 504)]
    [TestCase("stall-mid", false, 504)]
    [TestCase("cut", false, 502)]
    [TestCase("empty", false, 502)]
    [TestCase("empty", true, 502)]
    [TestCase("json-for-stream", true, 502)]
    [TestCase("garbage", false, 502)]
    [TestCase("garbage", true, 502)]
    [TestCase("html502", false, 502)]
    [TestCase("html502", true, 502)]
    [TestCase("unauthorized", false, 401)]
    [TestCase("unauthorized", true, 401)]
    [TestCase("retry-after", false, 429)]
    [TestCase("retry-after", true, 429)]
    public async Task Post_UpstreamFault_AnswersAJsonErrorThatKeepsItsMeaningAndLogsIt(string fault, bool stream, int status)
    {
        // Arrange
        string text = $"{fault}-{stream}-{Guid.NewGuid():N}";
        var watch = Stopwatch.StartNew();

        // Act (PostAsync gives up after 20 s: a hang fails fast)
        using var response = await factory.PostAsync("/api/v1/chat/completions", Body(fault, text, stream));
        watch.Stop();
        string body = await response.Content.ReadAsStringAsync();

        // Assert
        Assert.That((int)response.StatusCode, Is.EqualTo(status), body);
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/json"));
        var error = JObject.Parse(body);
        Assert.That((string?)error["message"], Is.Not.Empty);
        Assert.That((string?)error["code"], Is.Not.Empty);
        Assert.That(error["error"]?["message"]?.Type, Is.EqualTo(JTokenType.String));
        Assert.That(watch.Elapsed, Is.LessThan(TimeSpan.FromSeconds(8)), "answered without waiting out the upstream");
        switch (fault)
        {
            case "unauthorized":
                Assert.That(response.Headers.WwwAuthenticate.ToString(), Does.Contain("invalid_token"), "WWW-Authenticate is kept");
                Assert.That((string?)error["error"]!["code"], Is.EqualTo("invalid_api_key"));
                break;
            case "retry-after":
                Assert.That(response.Headers.RetryAfter?.Delta, Is.EqualTo(TimeSpan.FromHours(1)), "the upstream's Retry-After is passed on at once");
                Assert.That((string?)error["code"], Is.EqualTo("rate_limit_exceeded"));
                break;
            case "html502":
                Assert.That((string?)error["message"], Does.Contain("text/html"), "the HTML page is not relabelled JSON");
                break;
        }

        var row = (await factory.WaitForRowsAsync(1, text)).Single();
        Assert.That(row["status"], Is.EqualTo((long)status));
        Assert.That((string?)row["error"], Is.Not.Empty);
        Assert.That(row["stream"], Is.EqualTo(stream ? 1L : 0L));
    }

    // Faults after the first chunk: the caller's 200 stream ends with an error event, never with [DONE].
    [TestCase("stall-mid", 504, "sent nothing for")]
    [TestCase("cut", 502, "upstream")]
    public async Task Stream_UpstreamBreaksAfterTheFirstChunk_EndsWithAnErrorEventNotDone(string fault, int loggedStatus, string saying)
    {
        // Arrange
        string text = $"{fault}-{Guid.NewGuid():N}";
        var watch = Stopwatch.StartNew();

        // Act
        using var response = await factory.PostAsync("/api/v1/chat/completions", Body(fault, text, stream: true));
        watch.Stop();
        var events = Sse.Events(await response.Content.ReadAsStringAsync());

        // Assert
        Assert.That((int)response.StatusCode, Is.EqualTo(200));
        Assert.That(events, Has.None.EqualTo("[DONE]"));
        Assert.That((string?)JObject.Parse(events[0])["choices"]![0]!["delta"]!["content"], Is.Not.Empty, "the first chunk was relayed");
        Assert.That(JObject.Parse(events[^1])["error"], Is.Not.Null, "the stream ends with an error event");
        Assert.That((string?)JObject.Parse(events[^1])["error"]!["message"], Does.Contain(saying).IgnoreCase, "the event says what the upstream did");
        Assert.That((string?)JObject.Parse(events[^1])["error"]!["type"], Is.EqualTo("server_error"));
        Assert.That(watch.Elapsed, Is.LessThan(TimeSpan.FromSeconds(8)));
        var row = (await factory.WaitForRowsAsync(1, text)).Single();
        Assert.That(row["status"], Is.EqualTo((long)loggedStatus));
        Assert.That((string?)row["error"], Is.Not.Empty);
    }

    [Test]
    public async Task Post_JsonBodyForAJsonRequest_StillAnswers200()
    {
        // Arrange: the fault upstream's "json-for-stream" is a valid answer to a JSON request.
        string text = "plain-" + Guid.NewGuid().ToString("N");

        // Act
        using var response = await factory.PostAsync("/api/v1/chat/completions", Body("json-for-stream", text, stream: false));

        // Assert
        Assert.That((int)response.StatusCode, Is.EqualTo(200));
        Assert.That((string?)JObject.Parse(await response.Content.ReadAsStringAsync())["choices"]![0]!["message"]!["content"], Is.EqualTo("not a stream"));
    }
}
