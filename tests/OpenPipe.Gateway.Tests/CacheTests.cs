using System;
using System.Collections.Generic;
using System.Linq;
using System.Net.Http;
using System.Threading.Tasks;
using Newtonsoft.Json.Linq;
using NUnit.Framework;
using OpenPipe.Gateway.Tests.Support;

namespace OpenPipe.Gateway.Tests;

/// <summary>op-cache on the default SQLite storage, against an in-process upstream that counts its calls.</summary>
[TestFixture]
[NonParallelizable]
public sealed class CacheTests
{
    private FakeUpstream upstream = null!;
    private ManualTime time = null!;
    private GatewayFactory factory = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        upstream = await FakeUpstream.StartAsync();
        time = new ManualTime(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        factory = new GatewayFactory(upstream.BaseUrl, time: time);
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        factory.Dispose();
        await upstream.DisposeAsync();
    }

    private static string Body(string text, bool stream = false, string extra = "") =>
        $$"""{"model":"up:ok","messages":[{"role":"user","content":"{{text}}"}]{{(stream ? ",\"stream\":true" : "")}}{{extra}}}""";

    private static string CacheStatus(HttpResponseMessage response) =>
        response.Headers.TryGetValues("op-cache-status", out var values) ? values.Single() : "(none)";

    private static string ContentOf(string json) => (string)JObject.Parse(json)["choices"]![0]!["message"]!["content"]!;

    [Test]
    public async Task ReadWrite_IdenticalRequestReordered_SecondIsAHitWithoutCallingUpstream()
    {
        // Arrange
        string text = "cache me " + Guid.NewGuid().ToString("N");
        string reordered = $$"""  { "messages" : [ { "content" : "{{text}}", "role" : "user" } ],   "model" : "up:ok" }  """;

        // Act
        using var first = await factory.PostAsync("/api/v1/chat/completions", Body(text), ("op-cache", "readWrite"));
        int callsAfterFirst = upstream.Calls;
        using var second = await factory.PostAsync("/api/v1/chat/completions", reordered, ("op-cache", "readWrite"));

        // Assert
        Assert.That((int)first.StatusCode, Is.EqualTo(200));
        Assert.That(CacheStatus(first), Is.EqualTo("MISS"));
        Assert.That(CacheStatus(second), Is.EqualTo("HIT"));
        Assert.That(upstream.Calls, Is.EqualTo(callsAfterFirst), "a hit does not call the upstream");
        Assert.That(ContentOf(await second.Content.ReadAsStringAsync()), Is.EqualTo(ContentOf(await first.Content.ReadAsStringAsync())));
    }

    [Test]
    public async Task ReadWrite_UnknownFieldNestedDeeperThanNewtonsoftsDefault_IsCachedNotA500()
    {
        // Arrange: 100 levels in an unknown field, within the server's limit of 128 but past the 64 a plain JObject.Parse allows.
        string deep = string.Concat(Enumerable.Repeat("[", 100)) + "1" + string.Concat(Enumerable.Repeat("]", 100));
        string body = Body("deep " + Guid.NewGuid().ToString("N"), extra: ",\"unknown_field\":" + deep);

        // Act
        using var first = await factory.PostAsync("/api/v1/chat/completions", body, ("op-cache", "readWrite"));
        using var second = await factory.PostAsync("/api/v1/chat/completions", body, ("op-cache", "readWrite"));

        // Assert
        Assert.That((int)first.StatusCode, Is.EqualTo(200), await first.Content.ReadAsStringAsync());
        Assert.That(CacheStatus(second), Is.EqualTo("HIT"));
    }

    [Test]
    public async Task ReadWrite_DifferentRequest_IsAMiss()
    {
        // Arrange
        string text = "one " + Guid.NewGuid().ToString("N");
        using var stored = await factory.PostAsync("/api/v1/chat/completions", Body(text), ("op-cache", "readWrite"));
        int calls = upstream.Calls;

        // Act: the same messages with another temperature.
        using var other = await factory.PostAsync("/api/v1/chat/completions", Body(text, extra: ",\"temperature\":0.5"), ("op-cache", "readWrite"));

        // Assert
        Assert.That(CacheStatus(other), Is.EqualTo("MISS"));
        Assert.That(upstream.Calls, Is.EqualTo(calls + 1));
    }

    [Test]
    public async Task ReadWrite_StreamingRequestAfterJson_IsAnsweredAsAWellFormedStreamFromTheCache()
    {
        // Arrange
        string text = "streamed from cache " + Guid.NewGuid().ToString("N");
        using var stored = await factory.PostAsync("/api/v1/chat/completions", Body(text), ("op-cache", "readWrite"));
        string expected = ContentOf(await stored.Content.ReadAsStringAsync());
        int calls = upstream.Calls;

        // Act
        using var streamed = await factory.PostAsync("/api/v1/chat/completions", Body(text, stream: true, extra: ",\"stream_options\":{\"include_usage\":true}"), ("op-cache", "readWrite"));
        var events = Sse.Events(await streamed.Content.ReadAsStringAsync());

        // Assert
        Assert.That(CacheStatus(streamed), Is.EqualTo("HIT"));
        Assert.That(streamed.Content.Headers.ContentType!.MediaType, Is.EqualTo("text/event-stream"));
        Assert.That(upstream.Calls, Is.EqualTo(calls));
        Assert.That(events[^1], Is.EqualTo("[DONE]"));
        var chunks = events.SkipLast(1).Select(JObject.Parse).ToList();
        Assert.That(chunks.All(c => (string?)c["object"] == "chat.completion.chunk"), Is.True);
        Assert.That(string.Concat(chunks.SelectMany(c => c["choices"]!).Select(c => (string?)c["delta"]?["content"])), Is.EqualTo(expected));
        Assert.That(chunks.SelectMany(c => c["choices"]!).Count(c => (string?)c["finish_reason"] == "stop"), Is.EqualTo(1));
        Assert.That((int?)chunks[^1]["usage"]?["total_tokens"], Is.EqualTo(7), "include_usage ends with a usage chunk");
    }

    [Test]
    public async Task ReadWrite_StreamingMiss_IsStoredAndAnswersALaterJsonRequest()
    {
        // Arrange
        string text = "stream first " + Guid.NewGuid().ToString("N");
        using var streamed = await factory.PostAsync("/api/v1/chat/completions", Body(text, stream: true), ("op-cache", "readWrite"));
        string merged = string.Concat(Sse.Events(await streamed.Content.ReadAsStringAsync()).SkipLast(1).Select(JObject.Parse)
            .SelectMany(c => c["choices"]!).Select(c => (string?)c["delta"]?["content"]));
        int calls = upstream.Calls;

        // Act
        using var json = await factory.PostAsync("/api/v1/chat/completions", Body(text), ("op-cache", "readWrite"));

        // Assert
        Assert.That(CacheStatus(streamed), Is.EqualTo("MISS"));
        Assert.That(CacheStatus(json), Is.EqualTo("HIT"));
        Assert.That(upstream.Calls, Is.EqualTo(calls));
        Assert.That(ContentOf(await json.Content.ReadAsStringAsync()), Is.EqualTo(merged));
    }

    [Test]
    public async Task ReadOnly_ReadsButNeverWrites()
    {
        // Arrange
        string text = "read only " + Guid.NewGuid().ToString("N");
        int calls = upstream.Calls;

        // Act
        using var first = await factory.PostAsync("/api/v1/chat/completions", Body(text), ("op-cache", "readOnly"));
        using var second = await factory.PostAsync("/api/v1/chat/completions", Body(text), ("op-cache", "readOnly"));
        using var write = await factory.PostAsync("/api/v1/chat/completions", Body(text), ("op-cache", "readWrite"));
        using var third = await factory.PostAsync("/api/v1/chat/completions", Body(text, stream: true), ("op-cache", "readOnly"));

        // Assert
        Assert.That(new[] { CacheStatus(first), CacheStatus(second), CacheStatus(write), CacheStatus(third) }, Is.EqualTo(new[] { "MISS", "MISS", "MISS", "HIT" }));
        Assert.That(upstream.Calls, Is.EqualTo(calls + 3));
    }

    [Test]
    public async Task WriteOnly_AlwaysCallsTheModelAndStoresTheLatest()
    {
        // Arrange
        string text = "write only " + Guid.NewGuid().ToString("N");
        int calls = upstream.Calls;

        // Act
        using var first = await factory.PostAsync("/api/v1/chat/completions", Body(text), ("op-cache", "writeOnly"));
        using var second = await factory.PostAsync("/api/v1/chat/completions", Body(text, stream: true), ("op-cache", "writeOnly"));
        using var read = await factory.PostAsync("/api/v1/chat/completions", Body(text), ("op-cache", "readOnly"));

        // Assert
        Assert.That(new[] { CacheStatus(first), CacheStatus(second), CacheStatus(read) }, Is.EqualTo(new[] { "MISS", "MISS", "HIT" }));
        Assert.That(upstream.Calls, Is.EqualTo(calls + 2));
    }

    [Test]
    public async Task ReadWrite_AfterTheTtl_IsAMissAgain()
    {
        // Arrange
        string text = "expires " + Guid.NewGuid().ToString("N");
        using var stored = await factory.PostAsync("/api/v1/chat/completions", Body(text), ("op-cache", "readWrite"));

        // Act
        time.Advance(TimeSpan.FromDays(7) - TimeSpan.FromMinutes(1));
        using var before = await factory.PostAsync("/api/v1/chat/completions", Body(text), ("op-cache", "readWrite"));
        int calls = upstream.Calls;
        time.Advance(TimeSpan.FromMinutes(2));
        using var after = await factory.PostAsync("/api/v1/chat/completions", Body(text), ("op-cache", "readWrite"));

        // Assert
        Assert.That(CacheStatus(before), Is.EqualTo("HIT"));
        Assert.That(CacheStatus(after), Is.EqualTo("MISS"));
        Assert.That(upstream.Calls, Is.EqualTo(calls + 1));
    }

    [Test]
    public async Task ReadWrite_UpstreamError_IsNotCached()
    {
        // Arrange
        const string broken = """{"model":"up:html502","messages":[{"role":"user","content":"fails"}]}""";
        int calls = upstream.Calls;

        // Act
        using var first = await factory.PostAsync("/api/v1/chat/completions", broken, ("op-cache", "readWrite"));
        using var second = await factory.PostAsync("/api/v1/chat/completions", broken, ("op-cache", "readWrite"));

        // Assert
        Assert.That((int)second.StatusCode, Is.EqualTo(502));
        Assert.That(CacheStatus(second), Is.EqualTo("MISS"));
        Assert.That(upstream.Calls, Is.EqualTo(calls + 2));
    }

    [Test]
    public async Task ReadWrite_Hit_IsMarkedInTheRequestLog()
    {
        // Arrange
        string text = "logged hit " + Guid.NewGuid().ToString("N");
        int before = (await factory.RowsAsync()).Count;

        // Act
        using var miss = await factory.PostAsync("/api/v1/chat/completions", Body(text, extra: ",\"store\":true"), ("op-cache", "readWrite"));
        using var hit = await factory.PostAsync("/api/v1/chat/completions", Body(text, extra: ",\"store\":true"), ("op-cache", "readWrite"));
        var rows = (await factory.WaitForRowsAsync(before + 2)).Where(r => ((string)r["request_json"]!).Contains(text, StringComparison.Ordinal)).ToList();

        // Assert
        Assert.That(rows.Select(r => r["cache_hit"]), Is.EqualTo(new object[] { 0L, 1L }));
        Assert.That(rows.Select(r => r["status"]), Is.EqualTo(new object[] { 200L, 200L }));
    }
}

/// <summary>Reads an SSE body into its data fields.</summary>
internal static class Sse
{
    public static List<string> Events(string body) =>
        body.Split("\n\n", StringSplitOptions.RemoveEmptyEntries)
            .Select(e => string.Join("\n", e.Split('\n').Where(l => l.StartsWith("data:", StringComparison.Ordinal)).Select(l => l[5..].TrimStart())))
            .Where(d => d.Length > 0)
            .ToList();
}
