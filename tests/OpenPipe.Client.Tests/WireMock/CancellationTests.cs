using System;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;
using NUnit.Framework;

namespace OpenPipe.Client.Tests.WireMock;

[TestFixture]
public sealed class CancellationTests : WireMockTestBase
{
    [Test]
    public async Task CreateChatCompletionAsync_CancelledWhileWaiting_ThrowsOperationCanceledPromptly()
    {
        // Arrange: a 3 s response, a network time-out far beyond it, and a caller that gives up at 200 ms.
        Server.Stub("delay-past-timeout.json");
        var client = CreateClient(o => o.NetworkTimeout = TimeSpan.FromSeconds(60));
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        var clock = Stopwatch.StartNew();

        // Act + Assert
        Assert.That(async () => await client.CreateChatCompletionAsync(Hello(), cts.Token), Throws.InstanceOf<OperationCanceledException>());
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(2.5)), "it did not wait for the response");
        // WireMock.Net journals a delayed request once its 3 s response is ready.
        await Task.Delay(TimeSpan.FromSeconds(3.5));
        Assert.That(Server.Requests, Has.Count.EqualTo(1), "a cancelled call is not retried");
    }

    [Test]
    public async Task CreateChatCompletionStreamingAsync_CancelledMidStream_ThrowsOperationCanceledAfterSomeChunks()
    {
        // Arrange: 22 chunks dribbled over 4 s; the caller cancels after the first.
        Server.StubSlowStream("/api/v1/chat/completions", "twenty-words.sse", TimeSpan.FromSeconds(4));
        var client = CreateClient();
        using var cts = new CancellationTokenSource();
        int received = 0;

        // Act
        Assert.That(async () =>
        {
            await foreach (var chunk in client.CreateChatCompletionStreamingAsync(Hello(), cts.Token))
            {
                received++;
                await cts.CancelAsync();
            }
        }, Throws.InstanceOf<OperationCanceledException>());

        // Assert
        Assert.That(received, Is.GreaterThanOrEqualTo(1).And.LessThan(22));
    }

    [Test]
    public async Task CreateChatCompletionStreamingAsync_CallerBreaksEarly_DisposesTheResponse()
    {
        // Arrange: a client over an HttpClient whose handler records when the response body is disposed.
        Server.StubSlowStream("/api/v1/chat/completions", "twenty-words.sse", TimeSpan.FromSeconds(4));
        var options = new OpenPipeClientOptions { ApiKey = ApiKey, BaseUrl = Server.ApiBaseUrl };
        var tracker = new DisposalTrackingHandler { InnerHandler = new OpenPipeResilienceHandler(options) { InnerHandler = new System.Net.Http.SocketsHttpHandler() } };
        using var http = new System.Net.Http.HttpClient(tracker);
        var client = new OpenPipeClient(http, Microsoft.Extensions.Options.Options.Create(options));
        var clock = Stopwatch.StartNew();

        // Act
        await foreach (var chunk in client.CreateChatCompletionStreamingAsync(Hello()))
        {
            break;
        }

        // Assert
        Assert.That(tracker.ContentDisposed, Is.True);
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(3.5)), "it did not read the rest of the stream");
    }

    /// <summary>Wraps each response body to record its disposal.</summary>
    private sealed class DisposalTrackingHandler : System.Net.Http.DelegatingHandler
    {
        public bool ContentDisposed { get; private set; }

        protected override async Task<System.Net.Http.HttpResponseMessage> SendAsync(System.Net.Http.HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = await base.SendAsync(request, cancellationToken);
            var tracked = new TrackedContent(await response.Content.ReadAsStreamAsync(cancellationToken), () => ContentDisposed = true);
            foreach (var header in response.Content.Headers)
            {
                tracked.Headers.TryAddWithoutValidation(header.Key, header.Value);
            }

            response.Content = tracked;
            return response;
        }
    }

    private sealed class TrackedContent(System.IO.Stream body, Action onDispose) : System.Net.Http.StreamContent(body)
    {
        protected override void Dispose(bool disposing)
        {
            onDispose();
            base.Dispose(disposing);
        }
    }
}
