using System;
using System.Diagnostics;
using System.Threading.Tasks;
using NUnit.Framework;
using Polly.Timeout;

namespace OpenPipe.Client.Tests.WireMock;

[TestFixture]
public sealed class RetryTests : WireMockTestBase
{
    [Test]
    public async Task CreateChatCompletionAsync_429WithRetryAfterThen200_RetriesAfterTheServersDelay()
    {
        // Arrange: backoff 10 ms, so any longer wait comes from Retry-After: 1.
        Server.Stub("retry-after-then-success.json", ("RETRY_AFTER", "1"));
        var client = CreateClient(o => o.RetryBaseDelay = TimeSpan.FromMilliseconds(10));
        var clock = Stopwatch.StartNew();

        // Act
        var completion = await client.CreateChatCompletionAsync(Hello());

        // Assert
        Assert.That(completion.Id, Is.EqualTo("chatcmpl-small"));
        Assert.That(Server.Requests, Has.Count.EqualTo(2), "the 429 and the retry");
        Assert.That(clock.Elapsed, Is.GreaterThanOrEqualTo(TimeSpan.FromMilliseconds(900)));
    }

    [Test]
    public async Task CreateChatCompletionAsync_RetryAfterBeyondTheCap_WaitsOnlyTheCap()
    {
        // Arrange: the server asks for an hour; the cap is 100 ms.
        Server.Stub("retry-after-then-success.json", ("RETRY_AFTER", "3600"));
        var client = CreateClient(o => o.MaxRetryAfter = TimeSpan.FromMilliseconds(100));
        var clock = Stopwatch.StartNew();

        // Act
        var completion = await client.CreateChatCompletionAsync(Hello());

        // Assert
        Assert.That(completion.Id, Is.EqualTo("chatcmpl-small"));
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(60)));
    }

    [Test]
    public void RetryAfter_HttpDate_IsReadAndCapped()
    {
        // Arrange
        using var response = new System.Net.Http.HttpResponseMessage(System.Net.HttpStatusCode.TooManyRequests);
        response.Headers.RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(DateTimeOffset.UtcNow.AddSeconds(20));

        // Act
        var capped = OpenPipeResilienceHandler.RetryAfter(response, TimeSpan.FromSeconds(5));
        var uncapped = OpenPipeResilienceHandler.RetryAfter(response, TimeSpan.FromMinutes(5));

        // Assert
        Assert.That(capped, Is.EqualTo(TimeSpan.FromSeconds(5)));
        Assert.That(uncapped, Is.GreaterThan(TimeSpan.FromSeconds(15)).And.LessThanOrEqualTo(TimeSpan.FromSeconds(20)));
    }

    [TestCase("CONNECTION_RESET_BY_PEER")]
    [TestCase("EMPTY_RESPONSE")]
    [TestCase("MALFORMED_RESPONSE_CHUNK")]
    [TestCase("RANDOM_DATA_THEN_CLOSE")]
    public async Task CreateChatCompletionAsync_FaultThenSuccess_RetriesAndSucceeds(string fault)
    {
        // Arrange
        Server.Stub("fault-then-success.json", ("FAULT", fault));
        var client = CreateClient();

        // Act
        var completion = await client.CreateChatCompletionAsync(Hello());

        // Assert
        Assert.That(completion.Choices[0].Message.Content, Is.EqualTo("Hello!"));
        Assert.That(Server.Requests, Has.Count.EqualTo(2));
    }

    [TestCase("CONNECTION_RESET_BY_PEER")]
    [TestCase("EMPTY_RESPONSE")]
    [TestCase("MALFORMED_RESPONSE_CHUNK")]
    [TestCase("RANDOM_DATA_THEN_CLOSE")]
    public async Task CreateChatCompletionAsync_FaultEveryTime_ThrowsTypedExceptionAfterTheRetries(string fault)
    {
        // Arrange
        Server.Stub("fault-always.json", ("FAULT", fault));
        var client = CreateClient(o => o.MaxRetries = 2);

        // Act
        var error = Assert.ThrowsAsync<OpenPipeApiException>(() => client.CreateChatCompletionAsync(Hello()));

        // Assert
        Assert.That(error!.StatusCode, Is.Zero, "no usable response arrived");
        Assert.That(error.InnerException, Is.Not.Null);
        Assert.That(Server.Requests, Has.Count.EqualTo(3));
    }

    [TestCase("CONNECTION_RESET_BY_PEER")]
    [TestCase("EMPTY_RESPONSE")]
    [TestCase("MALFORMED_RESPONSE_CHUNK")]
    [TestCase("RANDOM_DATA_THEN_CLOSE")]
    public async Task CreateChatCompletionStreamingAsync_FaultEveryTime_ThrowsTypedExceptionNotAShortStream(string fault)
    {
        // Arrange
        Server.Stub("fault-always.json", ("FAULT", fault));
        var client = CreateClient(o => o.MaxRetries = 1);
        int chunks = 0;

        // Act
        var error = Assert.ThrowsAsync<OpenPipeApiException>(async () =>
        {
            await foreach (var chunk in client.CreateChatCompletionStreamingAsync(Hello()))
            {
                chunks++;
            }
        });

        // Assert
        Assert.That(error, Is.Not.Null);
        Assert.That(chunks, Is.Zero);
    }

    [Test]
    public async Task CreateChatCompletionAsync_DelayPastTheNetworkTimeout_RetriesThenThrowsTimeout()
    {
        // Arrange: WireMock answers after 3 s; each attempt may take 300 ms.
        Server.Stub("delay-past-timeout.json");
        var client = CreateClient(o =>
        {
            o.NetworkTimeout = TimeSpan.FromMilliseconds(300);
            o.MaxRetries = 1;
        });

        // Act
        var error = Assert.ThrowsAsync<OpenPipeApiException>(() => client.CreateChatCompletionAsync(Hello()));

        // Assert
        Assert.That(error!.InnerException, Is.InstanceOf<TimeoutRejectedException>());
        Assert.That(error.StatusCode, Is.Zero);
        // WireMock.Net journals a delayed request once its 3 s response is ready.
        await Task.Delay(TimeSpan.FromSeconds(3.5));
        Assert.That(Server.Requests, Has.Count.EqualTo(2), "the timed-out attempt was retried once");
    }
}
