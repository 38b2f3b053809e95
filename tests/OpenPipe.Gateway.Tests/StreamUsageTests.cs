using System;
using System.Linq;
using System.Threading.Tasks;
using Newtonsoft.Json.Linq;
using NUnit.Framework;
using OpenPipe.Gateway.Tests.Support;

namespace OpenPipe.Gateway.Tests;

/// <summary>
/// Token counts of logged streams: the backend is asked for <c>stream_options.include_usage</c> when
/// the caller did not ask, the log gets the counts, and the caller's stream has no usage chunk it did
/// not ask for. The fake upstream sends usage only when asked, as OpenAI does.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class StreamUsageTests
{
    private FakeUpstream upstream = null!;
    private GatewayFactory gateway = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        upstream = await FakeUpstream.StartAsync();
        gateway = new GatewayFactory(upstream.BaseUrl);
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        gateway.Dispose();
        await upstream.DisposeAsync();
    }

    private static string Body(string model, string text, string extra) =>
        $$"""{"model":"{{model}}","messages":[{"role":"user","content":"{{text}}"}],"stream":true{{extra}}}""";

    private static JObject[] Chunks(string sse) => Sse.Events(sse).Where(e => e != "[DONE]").Select(JObject.Parse).ToArray();

    [Test]
    public async Task Stream_LoggedWithoutIncludeUsage_LogHasTokensAndCallerGetsNoUsage()
    {
        // Arrange
        string text = "count these four " + Guid.NewGuid().ToString("N")[..8];

        // Act
        using var response = await gateway.PostAsync("/api/v1/chat/completions", Body("up:ok", text, ""","store":true"""));
        var chunks = Chunks(await response.Content.ReadAsStringAsync());
        var row = await gateway.WaitForRowAsync(r => ((string)r["request_json"]!).Contains(text, StringComparison.Ordinal));
        string sentUpstream = gateway.Probe.Requests.Last(r => r.Contains(text, StringComparison.Ordinal));

        // Assert
        Assert.That((int)response.StatusCode, Is.EqualTo(200));
        Assert.That((bool?)JObject.Parse(sentUpstream).SelectToken("stream_options.include_usage"), Is.True, "the upstream was asked for usage");
        Assert.That(chunks.Any(c => c["usage"] is { Type: not JTokenType.Null }), Is.False, "the caller did not ask for usage");
        Assert.That(chunks.All(c => ((JArray)c["choices"]!).Count > 0), Is.True, "no usage-only chunk");
        Assert.That(chunks[^1].SelectToken("choices[0].finish_reason")?.ToString(), Is.EqualTo("stop"));
        Assert.That(row, Is.Not.Null);
        Assert.That(row!["prompt_tokens"], Is.EqualTo(3L));
        Assert.That(row["completion_tokens"], Is.EqualTo(4L));
        Assert.That(row["total_tokens"], Is.EqualTo(7L));
        Assert.That((string)row["request_json"]!, Does.Not.Contain("stream_options"), "the log keeps the caller's request");
    }

    [Test]
    public async Task Stream_CallerAskedForUsage_GetsTheUsageChunkAndLogHasTokens()
    {
        // Arrange
        string text = "two words " + Guid.NewGuid().ToString("N")[..8];

        // Act
        using var response = await gateway.PostAsync("/api/v1/chat/completions", Body("up:ok", text, ""","store":true,"stream_options":{"include_usage":true}"""));
        var chunks = Chunks(await response.Content.ReadAsStringAsync());
        var row = await gateway.WaitForRowAsync(r => ((string)r["request_json"]!).Contains(text, StringComparison.Ordinal));

        // Assert
        Assert.That((long?)chunks[^1].SelectToken("usage.total_tokens"), Is.EqualTo(6));
        Assert.That(((JArray)chunks[^1]["choices"]!).Count, Is.Zero);
        Assert.That(row!["total_tokens"], Is.EqualTo(6L));
    }

    [Test]
    public async Task Stream_NotLoggedNorCached_IsForwardedAsTheCallerSentIt()
    {
        // Arrange
        string text = "not logged " + Guid.NewGuid().ToString("N")[..8];

        // Act
        using var response = await gateway.PostAsync("/api/v1/chat/completions", Body("up:ok", text, ""));
        await response.Content.ReadAsStringAsync();
        string sentUpstream = gateway.Probe.Requests.Last(r => r.Contains(text, StringComparison.Ordinal));

        // Assert
        Assert.That((int)response.StatusCode, Is.EqualTo(200));
        Assert.That(JObject.Parse(sentUpstream)["stream_options"], Is.Null);
    }

    [Test]
    public async Task Stream_EchoLoggedWithoutIncludeUsage_LogHasItsOwnCountsAndCallerGetsNoUsage()
    {
        // Arrange
        string text = "echo counts " + Guid.NewGuid().ToString("N")[..8];

        // Act
        using var response = await gateway.PostAsync("/api/v1/chat/completions", Body("echo", text, ""), ("op-log-request", "true"));
        var chunks = Chunks(await response.Content.ReadAsStringAsync());
        var row = await gateway.WaitForRowAsync(r => ((string)r["request_json"]!).Contains(text, StringComparison.Ordinal));

        // Assert
        Assert.That(chunks.Any(c => c["usage"] is { Type: not JTokenType.Null }), Is.False);
        Assert.That(row!["prompt_tokens"], Is.EqualTo(3L));
        Assert.That(row["completion_tokens"], Is.EqualTo(3L));
        Assert.That(row["total_tokens"], Is.EqualTo(6L));
    }

    [Test]
    public async Task Stream_CacheHitLogged_LogHasTheCachedCounts()
    {
        // Arrange: a logged stream fills the cache; the same request again is a hit.
        string text = "cached usage " + Guid.NewGuid().ToString("N")[..8];
        string body = Body("up:ok", text, ""","store":true""");
        using (var miss = await gateway.PostAsync("/api/v1/chat/completions", body, ("op-cache", "readWrite")))
        {
            await miss.Content.ReadAsStringAsync();
        }

        // Act
        using var hit = await gateway.PostAsync("/api/v1/chat/completions", body, ("op-cache", "readWrite"));
        var chunks = Chunks(await hit.Content.ReadAsStringAsync());
        var rows = await gateway.WaitForRowsAsync(2, text);

        // Assert
        Assert.That(hit.Headers.GetValues("op-cache-status").Single(), Is.EqualTo("HIT"));
        Assert.That(chunks.Any(c => c["usage"] is { Type: not JTokenType.Null }), Is.False);
        Assert.That(rows.Select(r => r["total_tokens"]), Is.EqualTo(new object[] { 6L, 6L }));
        Assert.That(rows.Select(r => r["cache_hit"]), Is.EqualTo(new object[] { 0L, 1L }));
    }
}
