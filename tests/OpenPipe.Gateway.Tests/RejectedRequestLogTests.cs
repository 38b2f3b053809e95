using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net.Http;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Newtonsoft.Json.Linq;
using NUnit.Framework;
using OpenPipe.Gateway.Pipeline;
using OpenPipe.Server;

namespace OpenPipe.Gateway.Tests;

/// <summary>
/// Requests the server kit rejects before the gateway's handler (400, 408, 413, 415) are logged when
/// the caller asked (<c>store: true</c> or <c>op-log-request: true</c>), with status, error, latency,
/// key id and the body as received (or a marker when it is not JSON); unasked, they are not.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class RejectedRequestLogTests
{
    private const int Limit = 2048;
    private GatewayFactory factory = null!;

    [OneTimeSetUp]
    public void Start() => factory = new GatewayFactory(new Uri("http://127.0.0.1:9/v1"), new Dictionary<string, string?>
    {
        ["OpenPipe:Server:MaxRequestBodyBytes"] = Limit.ToString(System.Globalization.CultureInfo.InvariantCulture),
    });

    [OneTimeTearDown]
    public void Stop() => factory.Dispose();

    [Test]
    public async Task Post_InvalidBodyWithStore_LogsThe400WithTheBody()
    {
        // Arrange
        string marker = Guid.NewGuid().ToString("N");
        string body = $$"""{"model":"echo","store":true,"temperature":9,"messages":[{"role":"user","content":"{{marker}}"}]}""";

        // Act
        using var response = await factory.PostAsync("/api/v1/chat/completions", body);
        var row = await RowAsync(marker);

        // Assert
        Assert.That((int)response.StatusCode, Is.EqualTo(400));
        Assert.That(row["status"], Is.EqualTo(400L));
        Assert.That((string?)row["error"], Does.Contain("temperature"));
        Assert.That(row["request_json"], Is.EqualTo(body), "the body as sent");
        Assert.That(row["model"], Is.EqualTo("echo"));
        Assert.That(row["backend"], Is.EqualTo(RejectionLogger.Backend));
        Assert.That(row["key_id"], Is.EqualTo(OpenPipeCaller.KeyIdOf(GatewayFactory.Key)));
        Assert.That((double)row["latency_ms"]!, Is.GreaterThanOrEqualTo(0));
        Assert.That(row["response_json"], Is.Null);
    }

    [Test]
    public async Task Post_MalformedJsonWithLogRequestHeader_LogsThe400WithAMarker()
    {
        // Arrange: cut off before its end, so not JSON.
        string marker = Guid.NewGuid().ToString("N");
        string body = $$"""{"model":"echo","messages":[{"role":"user","content":"{{marker}}"}]""";

        // Act
        using var response = await factory.PostAsync("/api/v1/chat/completions", body, ("op-log-request", "true"));
        var row = await RowAsync(marker);

        // Assert
        Assert.That((int)response.StatusCode, Is.EqualTo(400));
        Assert.That(row["status"], Is.EqualTo(400L));
        Assert.That((string?)row["error"], Does.Contain("not complete JSON"));
        var unparsed = JObject.Parse((string)row["request_json"]!)["unparsed_body"]!;
        Assert.That((string?)unparsed["text"], Is.EqualTo(body));
        Assert.That((int)unparsed["bytes"]!, Is.EqualTo(Encoding.UTF8.GetByteCount(body)));
        Assert.That((bool)unparsed["complete"]!, Is.True, "the whole body arrived; it is just not JSON");
        Assert.That(row["model"], Is.EqualTo("echo"), "read from what is JSON of it");
    }

    [Test]
    public async Task Post_InvalidHeaderWithStoreInTheBody_LogsThe400WithTheBodyAndValidTags()
    {
        // Arrange
        string marker = Guid.NewGuid().ToString("N");
        string body = $$"""{"model":"echo","store":true,"messages":[{"role":"user","content":"{{marker}}"}]}""";

        // Act
        using var response = await factory.PostAsync("/api/v1/chat/completions", body, ("op-cache", "sometimes"), ("op-tags", """{"prompt_id":"p","attempt":2}"""));
        var row = await RowAsync(marker);

        // Assert
        Assert.That((int)response.StatusCode, Is.EqualTo(400));
        Assert.That((string?)row["error"], Does.Contain("op-cache"));
        Assert.That(row["request_json"], Is.EqualTo(body));
        Assert.That(row["tags"], Is.EqualTo("""{"prompt_id":"p","attempt":2}"""));
    }

    [TestCase(true)]
    [TestCase(false)]
    public async Task Post_BodyOverTheLimitWithStore_LogsThe413WithWhatArrivedUpToTheLimit(bool declaresItsLength)
    {
        // Arrange: store and model first, then more than the limit.
        string marker = Guid.NewGuid().ToString("N");
        string body = $$"""{"store":true,"model":"echo","metadata":{"m":"{{marker}}"},"messages":[{"role":"user","content":"{{new string('x', 3 * Limit)}}"}]}""";
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/chat/completions")
        {
            Content = declaresItsLength ? new StringContent(body, Encoding.UTF8, "application/json") : new UnknownLengthContent(body),
        };

        // Act
        using var response = await SendAsync(request);
        var row = await RowAsync(marker);

        // Assert
        Assert.That((int)response.StatusCode, Is.EqualTo(413));
        Assert.That(row["status"], Is.EqualTo(413L));
        var unparsed = JObject.Parse((string)row["request_json"]!)["unparsed_body"]!;
        Assert.That((int)unparsed["bytes"]!, Is.EqualTo(Limit), "the body up to the limit");
        Assert.That((bool)unparsed["complete"]!, Is.False);
        Assert.That(body, Does.StartWith((string)unparsed["text"]!));
    }

    [Test]
    public async Task Post_OtherContentTypeWithLogRequestHeader_LogsThe415()
    {
        // Arrange
        string marker = Guid.NewGuid().ToString("N");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/chat/completions") { Content = new StringContent(marker, Encoding.UTF8, "text/plain") };
        request.Headers.Add("op-log-request", "true");
        request.Headers.Add("op-tags", $$"""{"marker":"{{marker}}"}""");

        // Act
        using var response = await SendAsync(request);
        var row = (await factory.WaitForRowAsync(r => ((string?)r["tags"])?.Contains(marker, StringComparison.Ordinal) == true))!;

        // Assert
        Assert.That((int)response.StatusCode, Is.EqualTo(415));
        Assert.That(row, Is.Not.Null);
        Assert.That(row["status"], Is.EqualTo(415L));
        Assert.That((string?)row["error"], Does.Contain("text/plain"));
        Assert.That((int)JObject.Parse((string)row["request_json"]!)["unparsed_body"]!["bytes"]!, Is.EqualTo(0), "a body of another type is not read");
        Assert.That(row["model"], Is.EqualTo("unknown"));
    }

    [Test]
    public async Task Post_RejectedWithoutAskingToBeLogged_LogsNothing()
    {
        // Arrange
        string marker = Guid.NewGuid().ToString("N");

        // Act: an unlogged rejection, then a logged request after it (the log keeps order).
        using var unasked = await factory.PostAsync("/api/v1/chat/completions", $$"""{"model":"echo","temperature":9,"messages":[{"role":"user","content":"{{marker}}"}]}""");
        using var asked = await factory.PostAsync("/api/v1/chat/completions", $$"""{"model":"echo","store":true,"messages":[{"role":"user","content":"after {{marker}}"}]}""");
        await RowAsync("after " + marker);
        var rows = (await factory.RowsAsync()).Where(r => ((string)r["request_json"]!).Contains(marker, StringComparison.Ordinal)).ToList();

        // Assert
        Assert.That((int)unasked.StatusCode, Is.EqualTo(400));
        Assert.That(rows, Has.Count.EqualTo(1));
        Assert.That(rows[0]["status"], Is.EqualTo(200L));
    }

    [Test]
    public async Task Post_BodyArrivingTooSlowlyWithLogRequestHeader_LogsThe408()
    {
        // Arrange: the gateway on Kestrel, which answers 408 to a body slower than 100 B/s after 1.5 s.
        using var kestrel = new GatewayFactory(new Uri("http://127.0.0.1:9/v1"))
        {
            MoreServices = services => services.Configure<KestrelServerOptions>(o => o.Limits.MinRequestBodyDataRate = new MinDataRate(100, TimeSpan.FromSeconds(1.5))),
        };
        kestrel.UseKestrel(0);
        kestrel.StartServer();
        var root = kestrel.ClientOptions.BaseAddress;
        string marker = Guid.NewGuid().ToString("N");
        string start = $$"""{"model":"echo","metadata":{"m":"{{marker}}"},"messages":[""";

        // Act: the headers and the start of the body, then nothing for 4 s.
        using (var client = new TcpClient())
        {
            await client.ConnectAsync(root.Host, root.Port);
            await using var stream = client.GetStream();
            string head = $"POST /api/v1/chat/completions HTTP/1.1\r\nHost: {root.Host}:{root.Port}\r\nAuthorization: Bearer {GatewayFactory.Key}\r\n" +
                $"Content-Type: application/json\r\nop-log-request: true\r\nContent-Length: 1000\r\n\r\n{start}";
            await stream.WriteAsync(Encoding.UTF8.GetBytes(head));
            using var reader = new StreamReader(stream);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            string? statusLine = await reader.ReadLineAsync(timeout.Token);

            // Assert
            Assert.That(statusLine, Does.StartWith("HTTP/1.1 408"));
        }

        var row = (await kestrel.WaitForRowAsync(r => ((string)r["request_json"]!).Contains(marker, StringComparison.Ordinal)))!;
        Assert.That(row, Is.Not.Null);
        Assert.That(row["status"], Is.EqualTo(408L));
        Assert.That((double)row["latency_ms"]!, Is.GreaterThan(900), "it waited for the body");
        var unparsed = JObject.Parse((string)row["request_json"]!)["unparsed_body"]!;
        Assert.That((string?)unparsed["text"], Is.EqualTo(start));
        Assert.That((bool)unparsed["complete"]!, Is.False);
    }

    private async Task<Dictionary<string, object?>> RowAsync(string marker)
    {
        var row = await factory.WaitForRowAsync(r => ((string)r["request_json"]!).Contains(marker, StringComparison.Ordinal));
        Assert.That(row, Is.Not.Null, "the request was logged");
        return row!;
    }

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request)
    {
        using var http = factory.CreateClient();
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", GatewayFactory.Key);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var response = await http.SendAsync(request, timeout.Token);
        await response.Content.LoadIntoBufferAsync(timeout.Token);
        return response;
    }

    /// <summary>A JSON body sent without a Content-Length, so the server learns its size only by reading it.</summary>
    private sealed class UnknownLengthContent : HttpContent
    {
        private readonly byte[] bytes;

        public UnknownLengthContent(string json)
        {
            bytes = Encoding.UTF8.GetBytes(json);
            Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        }

        protected override Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context) => stream.WriteAsync(bytes).AsTask();

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
