using System;
using System.Collections.Generic;
using System.Linq;
using System.Net.Http;
using System.Text;
using System.Threading.Tasks;
using Newtonsoft.Json.Linq;
using NUnit.Framework;
using OpenPipe.Client;
using OpenPipe.Client.Tests.Support;

namespace OpenPipe.Gateway.Tests;

/// <summary>Upstream mode against a WireMock upstream.</summary>
[TestFixture]
[NonParallelizable]
public sealed class UpstreamTests
{
    private WireMockHost upstream = null!;
    private GatewayFactory factory = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        upstream = await WireMockHost.StartAsync(TestContext.CurrentContext.TestDirectory);
        factory = new GatewayFactory(new Uri($"http://127.0.0.1:{upstream.Port}/v1"));
    }

    [OneTimeTearDown]
    public void Stop()
    {
        factory.Dispose();
        upstream.Dispose();
    }

    [SetUp]
    public void Reset() => upstream.Reset();

    [Test]
    public async Task Post_NonStreaming_ForwardsUnknownFieldsBothWays()
    {
        // Arrange: the stub matches the exact body, unknown fields included, and the upstream key.
        upstream.Stub("upstream-completion.json");
        using var http = factory.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/chat/completions")
        {
            Content = new StringContent("""{"model":"up:gpt","messages":[{"role":"user","content":"forward me"}],"temperature":0.2,"seed":7,"x_vendor":{"keep":true}}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", GatewayFactory.Key);

        // Act
        using var response = await http.SendAsync(request);
        var body = JObject.Parse(await response.Content.ReadAsStringAsync());

        // Assert
        Assert.That((int)response.StatusCode, Is.EqualTo(200), body.ToString());
        Assert.That((string?)body["choices"]![0]!["message"]!["content"], Is.EqualTo("from upstream"));
        Assert.That((string?)body["service_tier"], Is.EqualTo("flex"), "an unknown response field passes through");
        Assert.That((int?)body["choices"]![0]!["message"]!["x_message_extra"], Is.EqualTo(1));
        Assert.That(upstream.Unmatched, Is.Empty, "the upstream got exactly the fields sent, with its own key");
    }

    [Test]
    public async Task Stream_Passthrough_DeliversEveryChunkInOrder()
    {
        // Arrange
        upstream.Stub("upstream-stream.json");
        using var client = factory.CreateOpenPipeClient();
        var request = new ChatCompletionRequest { Model = "up:gpt", Messages = [new UserMessage { Content = "stream" }] };

        // Act
        var chunks = new List<ChatCompletionChunk>();
        await foreach (var chunk in client.CreateChatCompletionStreamingAsync(request))
        {
            chunks.Add(chunk);
        }

        // Assert
        var words = chunks.SelectMany(c => c.Choices).Select(c => c.Delta.Content).Where(c => !string.IsNullOrEmpty(c)).ToList();
        Assert.That(chunks, Has.Count.EqualTo(22));
        Assert.That(words, Is.EqualTo(Enumerable.Range(0, 20).Select(i => (i == 0 ? string.Empty : " ") + "u" + i)));
        Assert.That(chunks.All(c => (string?)c.AdditionalProperties["x_chunk_extra"] == "kept"), Is.True, "unknown chunk fields pass through");
        Assert.That(chunks[^1].Choices[0].FinishReason, Is.EqualTo(FinishReason.Stop));
    }

    [TestCase("up:limited", 429, "rate_limit_exceeded")]
    [TestCase("up:broken", 500, "INTERNAL_SERVER_ERROR")]
    public async Task Post_UpstreamError_KeepsItsStatusAndBody(string model, int status, string code)
    {
        // Arrange
        upstream.Stub("upstream-errors.json");
        using var client = factory.CreateOpenPipeClient();
        var request = new ChatCompletionRequest { Model = model, Messages = [new UserMessage { Content = "x" }] };

        // Act
        var plain = Assert.ThrowsAsync<OpenPipeApiException>(() => client.CreateChatCompletionAsync(request));
        var streamed = Assert.ThrowsAsync<OpenPipeApiException>(async () =>
        {
            await foreach (var chunk in client.CreateChatCompletionStreamingAsync(request))
            {
                Assert.Fail("no chunk expected");
            }
        });

        // Assert
        foreach (var error in new[] { plain!, streamed! })
        {
            Assert.That(error.StatusCode, Is.EqualTo(status));
            Assert.That(error.ErrorCode, Is.EqualTo(code));
        }

        if (status == 429)
        {
            Assert.That(plain!.Headers["Retry-After"].Single(), Is.EqualTo("7"));
        }
    }

    [Test]
    public async Task Stream_ClientDisconnectsFromKestrel_CancelsTheUpstreamCall()
    {
        // Arrange: the upstream dribbles 22 chunks over 8 s.
        upstream.StubSlowStream("/v1/chat/completions", "upstream-20.sse", TimeSpan.FromSeconds(8));
        using var kestrel = new GatewayFactory(new Uri($"http://127.0.0.1:{upstream.Port}/v1"));
        kestrel.UseKestrel(0);
        kestrel.StartServer();
        using var client = kestrel.CreateOpenPipeClient();
        var request = new ChatCompletionRequest { Model = "up:gpt", Messages = [new UserMessage { Content = "slow" }] };

        // Act: take one chunk and leave.
        await foreach (var chunk in client.CreateChatCompletionStreamingAsync(request))
        {
            break;
        }

        // Assert
        var first = await Task.WhenAny(kestrel.Probe.Cancelled.Task, Task.Delay(TimeSpan.FromSeconds(6)));
        Assert.That(first, Is.SameAs(kestrel.Probe.Cancelled.Task), "the upstream request's token fired");
    }
}
