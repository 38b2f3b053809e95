using System;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Newtonsoft.Json.Linq;
using NUnit.Framework;

namespace OpenPipe.Fuzz.Tests;

/// <summary>One regression test per class of hostile input the seeded mutations found, on Kestrel.</summary>
[TestFixture]
[NonParallelizable]
public sealed class HostileInputTests
{
    private const string Valid = """{"model":"openpipe:fuzz","messages":[{"role":"user","content":"hello there"}]}""";

    private FuzzGateway gateway = null!;

    [OneTimeSetUp]
    public void StartGateway() => gateway = new FuzzGateway();

    [OneTimeTearDown]
    public void StopGateway() => gateway.Dispose();

    [Test]
    public async Task Post_InvalidUtf8InAString_Answers400NamingUtf8()
    {
        // Arrange
        byte[] body = [.. Encoding.UTF8.GetBytes("""{"model":"openpipe:fuzz","messages":[{"role":"user","content":"a"""), 0xC3, 0x28, .. Encoding.UTF8.GetBytes("\"}]}")];

        // Act
        var (status, error) = await PostAsync(body);

        // Assert
        Assert.That(status, Is.EqualTo(400), error.ToString());
        Assert.That((string?)error["message"], Does.Contain("UTF-8"));
    }

    [TestCase("gzip")]
    [TestCase("br")]
    [TestCase("deflate")]
    public async Task Post_CompressedBody_IsDecodedAndAnswered(string encoding)
    {
        // Act
        var (status, body) = await PostAsync(Compress(Encoding.UTF8.GetBytes(Valid), encoding), encoding: encoding);

        // Assert
        Assert.That(status, Is.EqualTo(200), body.ToString());
        Assert.That((string?)body.SelectToken("choices[0].message.content"), Is.EqualTo("hello there"));
    }

    [Test]
    public async Task Post_UnknownContentEncoding_Answers415()
    {
        // Act
        var (status, error) = await PostAsync(Encoding.UTF8.GetBytes(Valid), encoding: "zstd");

        // Assert
        Assert.That(status, Is.EqualTo(415), error.ToString());
        Assert.That((string?)error["message"], Does.Contain("zstd"));
    }

    [TestCase("gzip")]
    [TestCase("br")]
    [TestCase("deflate")]
    public async Task Post_EncodingHeaderOnAPlainBody_Answers400NamingTheEncoding(string encoding)
    {
        // Act
        var (status, error) = await PostAsync(Encoding.UTF8.GetBytes(Valid), encoding: encoding);

        // Assert
        Assert.That(status, Is.EqualTo(400), error.ToString());
        Assert.That((string?)error["message"], Does.Contain(encoding));
    }

    [TestCase(200, "unknown_field")]
    [TestCase(129, "content")]
    public async Task Post_NestingPastTheDepthLimit_Answers400NamingTheLimit(int depth, string where)
    {
        // Arrange
        string nested = new string('[', depth) + new string(']', depth);
        string body = where == "content"
            ? $$"""{"model":"openpipe:fuzz","messages":[{"role":"user","content":{{nested}}}]}"""
            : $$"""{"model":"openpipe:fuzz","messages":[{"role":"user","content":"hi"}],"unknown_field":{{nested}}}""";

        // Act
        var (status, error) = await PostAsync(Encoding.UTF8.GetBytes(body));

        // Assert
        Assert.That(status, Is.EqualTo(400), error.ToString());
        Assert.That((string?)error["message"], Does.Contain("depth"));
    }

    [Test]
    public async Task Post_DeepButAllowedSchemaInToolParameters_IsAnswered()
    {
        // Arrange: 40 levels of JSON Schema, past MVC's model validation depth of 32, under the JSON limit.
        string schema = "{\"type\":\"string\"}";
        for (int i = 0; i < 40; i++)
        {
            schema = "{\"type\":\"object\",\"properties\":{\"p\":" + schema + "}}";
        }

        string body = """{"model":"openpipe:fuzz","messages":[{"role":"user","content":"deep"}],"tools":[{"type":"function","function":{"name":"f","parameters":""" + schema + "}}]}";

        // Act
        var (status, answer) = await PostAsync(Encoding.UTF8.GetBytes(body));

        // Assert
        Assert.That(status, Is.EqualTo(200), answer.ToString());
    }

    [TestCase("""{"name":[[[]]]}""", "function_call")]
    [TestCase("""{"type":"function","function":{"name":{}}}""", "tool_choice")]
    public async Task Post_MistypedMemberInsideAUnion_Answers400WithTheFullPath(string value, string field)
    {
        // Arrange
        string body = $$"""{"model":"openpipe:fuzz","messages":[{"role":"user","content":"hi"}],"{{field}}":{{value}}}""";

        // Act
        var (status, error) = await PostAsync(Encoding.UTF8.GetBytes(body));

        // Assert
        Assert.That(status, Is.EqualTo(400), error.ToString());
        Assert.That(error["issues"]!.Select(i => (string?)i["path"]![0]), Has.Some.EqualTo(field));
        Assert.That(error["issues"]!.Select(i => i["path"]!.Last().ToString()), Has.Some.EqualTo("name"));
    }

    [Test]
    public async Task Post_WrongTypeInsideAMessage_PathKeepsItsPrefixWithIntegerIndices()
    {
        // Arrange
        string mistyped = """{"model":"openpipe:fuzz","messages":[{"role":"user","content":"a"},{"role":"user","content":[{"type":"text","text":[]}]}]}""";

        // Act
        var (status, error) = await PostAsync(Encoding.UTF8.GetBytes(mistyped));

        // Assert
        Assert.That(status, Is.EqualTo(400), error.ToString());
        Assert.That(error["issues"]![0]!["path"]!.ToString(Newtonsoft.Json.Formatting.None), Is.EqualTo("""["messages",1,"content",0,"text"]"""));
    }

    [Test]
    public async Task Post_MetadataKeysAsData_AreAccepted()
    {
        // Arrange
        string body = """{"$type":null,"$id":"1","model":"openpipe:fuzz","messages":[{"role":"user","content":"hi","$ref":"x"}],"metadata":{"$type":"t"}}""";

        // Act
        var (status, answer) = await PostAsync(Encoding.UTF8.GetBytes(body));

        // Assert
        Assert.That(status, Is.EqualTo(200), answer.ToString());
    }

    [Test]
    public async Task Post_CustomAndUnknownToolKinds_AreAccepted()
    {
        // Arrange: OpenAI's custom tools and calls, and a kind nobody knows yet.
        string body = """{"model":"openpipe:fuzz","messages":[{"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"custom","custom":{"name":"sql","input":"SELECT 1"}}]},{"role":"tool","tool_call_id":"c1","content":"1"},{"role":"user","content":"hi"}],"tools":[{"type":"custom","custom":{"name":"sql"}},{"type":"web_search_preview"}],"tool_choice":{"type":"custom","custom":{"name":"sql"}}}""";

        // Act
        var (status, answer) = await PostAsync(Encoding.UTF8.GetBytes(body));

        // Assert
        Assert.That(status, Is.EqualTo(200), answer.ToString());
    }

    [Test]
    public async Task Post_ChunkSizeThatOverflows_Answers400Json()
    {
        // Arrange
        string head = $"POST /{ResponseRules.Route} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {FuzzGateway.Key}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n";

        // Act
        string response = await RawAsync(head + "FFFFFFFFFFFFFFFFFFFF\r\n{}\r\n0\r\n\r\n");

        // Assert
        Assert.That(response, Does.StartWith("HTTP/1.1 400"), string.Join("\n", gateway.Errors));
        Assert.That(response, Does.Contain("application/json"));
        Assert.That(response, Does.Contain("chunk"));
    }

    [Test]
    public async Task Post_EmptyBody_Answers400SayingItIsEmpty()
    {
        // Act
        var (status, error) = await PostAsync([]);

        // Assert
        Assert.That(status, Is.EqualTo(400));
        Assert.That((string?)error["message"], Does.Contain("empty"));
    }

    [TestCase("""{"model":"openpipe:fuzz","messages":[{"role":"user","content":"hi"}]} x""", "after")]
    [TestCase("""{"model":"openpipe:fuzz","messages":[{"role":"user","content":"hi"}]}{}""", "after")]
    [TestCase("""{"model":"openpipe:fuzz","messages":[{"role":"user","content":"hi"}],"stream":"true"}""", "stream")]
    [TestCase("""{"model":"openpipe:fuzz","messages":[]}""", "messages")]
    [TestCase("""{"model":"openpipe:fuzz","messages":[{"role":"user","content":"hi"}],"metadata":{"a":1}}""", "metadata")]
    public async Task Post_LenientShapes_Answer400NamingTheField(string body, string named)
    {
        // Act
        var (status, error) = await PostAsync(Encoding.UTF8.GetBytes(body));

        // Assert
        Assert.That(status, Is.EqualTo(400), error.ToString());
        Assert.That(error.ToString(), Does.Contain(named));
    }

    [TestCase("[]")]
    [TestCase("""{"a":{"b":"c"}}""")]
    [TestCase("{")]
    [TestCase("""{"a":[1]}""")]
    [TestCase("""{"a":1,"a":2}""")]
    public async Task Post_OpTagsNotAnObjectOfTagValues_Answers400NamingTheHeader(string tags)
    {
        // Act
        var (status, error) = await PostAsync(Encoding.UTF8.GetBytes(Valid), headers: [("op-tags", tags)]);

        // Assert
        Assert.That(status, Is.EqualTo(400), error.ToString());
        Assert.That(error.ToString(), Does.Contain("op-tags"));
    }

    [Test]
    public async Task Post_ManyChoicesOfALargePrompt_Answers400NamingTheWorkLimit()
    {
        // Arrange: 128 choices of a 1 MB prompt would build ~128 MB of answers.
        string prompt = string.Join(' ', Enumerable.Repeat("word", 200_000));
        string body = $$"""{"model":"openpipe:fuzz","n":128,"messages":[{"role":"user","content":"{{prompt}}"}]}""";

        // Act
        var (status, error) = await PostAsync(Encoding.UTF8.GetBytes(body));

        // Assert
        Assert.That(status, Is.EqualTo(400), error.ToString());
        Assert.That((string?)error["message"], Does.Contain("n"));
    }

    // Whitespace after the key ends the header, which HTTP drops (RFC 9110 5.5); inside the value it is the caller's.
    [TestCase(" " + FuzzGateway.Key)]
    [TestCase("\t" + FuzzGateway.Key)]
    [TestCase(" " + FuzzGateway.Key + " x")]
    public async Task Post_KeyWithSurroundingWhitespace_Answers401(string key)
    {
        // Arrange
        string head = $"POST /{ResponseRules.Route} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {key}\r\nContent-Type: application/json\r\nContent-Length: {Valid.Length}\r\nConnection: close\r\n\r\n";

        // Act
        string response = await RawAsync(head + Valid);

        // Assert
        Assert.That(response, Does.StartWith("HTTP/1.1 401"), response);
    }

    [Test]
    public async Task Post_BodyArrivingInPartsThenASecondRequestOnTheConnection_BothAreReadWhole()
    {
        // Arrange: the first body in two parts 300 ms apart (the reader must wait for all it was
        // promised), then a second request pipelined right behind it (it must not be read as body).
        string head = $"POST /{ResponseRules.Route} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {FuzzGateway.Key}\r\nContent-Type: application/json\r\nContent-Length: {Valid.Length}\r\n\r\n";
        string second = Valid.Replace("hello there", "second one", StringComparison.Ordinal);
        string secondHead = $"POST /{ResponseRules.Route} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {FuzzGateway.Key}\r\nContent-Type: application/json\r\nContent-Length: {second.Length}\r\nConnection: close\r\n\r\n";
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        using var socket = new TcpClient { NoDelay = true };
        await socket.ConnectAsync(gateway.Root.Host, gateway.Root.Port, timeout.Token);
        var stream = socket.GetStream();

        // Act
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head + Valid[..20]), timeout.Token);
        await Task.Delay(TimeSpan.FromMilliseconds(300), timeout.Token);
        await stream.WriteAsync(Encoding.ASCII.GetBytes(Valid[20..] + secondHead + second), timeout.Token);
        using var received = new MemoryStream();
        try
        {
            await stream.CopyToAsync(received, timeout.Token);
        }
        catch (IOException)
        {
            // The server may reset the connection after answering; what arrived is the answer.
        }

        // Assert
        string response = Encoding.UTF8.GetString(received.ToArray());
        Assert.That(response.Split("HTTP/1.1 200 OK").Length - 1, Is.EqualTo(2), response);
        Assert.That(response.IndexOf("hello there", StringComparison.Ordinal), Is.GreaterThan(0).And.LessThan(response.IndexOf("second one", StringComparison.Ordinal)), response);
    }

    [Test]
    public async Task Stream_ReaderThatStopsReading_IsDisconnectedAfterTheWriteTimeLimit()
    {
        // Arrange: a 1 s write limit, and a stream of ~24 MB (8 choices of 180 words of 16 KB) that no socket buffer holds.
        using var strict = new FuzzGateway(("OpenPipe:Server:StreamWriteTimeout", "00:00:01"));
        string prompt = string.Join(' ', Enumerable.Repeat(new string('w', 16 * 1024), 180));
        string body = $$"""{"model":"openpipe:fuzz","stream":true,"n":8,"messages":[{"role":"user","content":"{{prompt}}"}]}""";
        string head = $"POST /{ResponseRules.Route} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {FuzzGateway.Key}\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n";
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var socket = new TcpClient { ReceiveBufferSize = 4096 };
        await socket.ConnectAsync(strict.Root.Host, strict.Root.Port, timeout.Token);
        var stream = socket.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head + body), timeout.Token);

        // Act: read nothing while the server's writes back up, then drain what was sent.
        await Task.Delay(TimeSpan.FromSeconds(4), timeout.Token);
        var tail = new byte[64];
        long received = 0;
        int tailLength = 0;
        var buffer = new byte[81920];
        try
        {
            int n;
            while ((n = await stream.ReadAsync(buffer, CancellationToken.None).AsTask().WaitAsync(timeout.Token)) > 0)
            {
                received += n;
                int keep = Math.Min(n, tail.Length);
                Buffer.BlockCopy(buffer, n - keep, tail, 0, keep);
                tailLength = keep;
            }
        }
        catch (IOException)
        {
            // A reset after the abort ends the stream too.
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"the connection stayed open: {received} bytes received, ending {Encoding.UTF8.GetString(tail, 0, tailLength)}");
        }

        // Assert: the connection ended before the stream did.
        string end = Encoding.UTF8.GetString(tail, 0, tailLength);
        Assert.That(timeout.IsCancellationRequested, Is.False, "the server closed the connection");
        Assert.That(end, Does.Not.Contain("[DONE]"), $"the stream was cut, not finished ({received} bytes received)");
        Assert.That(received, Is.GreaterThan(0));
    }

    [Test]
    public async Task Post_AfterHostileInput_ServerStillAnswers()
    {
        // Arrange
        await RawAsync("GARBAGE / HTTP/9.9\r\n\r\n");
        await PostAsync([0xFF, 0xFE, 0x00]);

        // Act
        var (status, body) = await PostAsync(Encoding.UTF8.GetBytes(Valid));

        // Assert
        Assert.That(status, Is.EqualTo(200), body.ToString());
    }

    private async Task<(int Status, JObject Body)> PostAsync(byte[] body, string? encoding = null, (string Name, string Value)[]? headers = null)
    {
        var request = new FuzzRequest("hostile", body, "application/json", encoding, (headers ?? []).Select(h => new System.Collections.Generic.KeyValuePair<string, string>(h.Name, h.Value)).ToList());
        var (status, mediaType, text) = await ResponseRules.SendAsync(gateway.Http, request);
        Assert.That(ResponseRules.Check(status, mediaType, text), Is.Null, "the answer keeps the rules");
        return (status, JObject.Parse(text));
    }

    private async Task<string> RawAsync(string request)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        using var socket = new TcpClient();
        await socket.ConnectAsync(gateway.Root.Host, gateway.Root.Port, timeout.Token);
        var stream = socket.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request), timeout.Token);
        using var response = new MemoryStream();
        try
        {
            await stream.CopyToAsync(response, timeout.Token);
        }
        catch (IOException)
        {
            // The server may reset the connection after answering; what arrived is the answer.
        }

        return Encoding.UTF8.GetString(response.ToArray());
    }

    private static byte[] Compress(byte[] body, string encoding)
    {
        using var output = new MemoryStream();
        using (Stream compressor = encoding switch
        {
            "br" => new BrotliStream(output, CompressionLevel.Fastest, leaveOpen: true),
            "deflate" => new ZLibStream(output, CompressionLevel.Fastest, leaveOpen: true),
            _ => new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true),
        })
        {
            compressor.Write(body);
        }

        return output.ToArray();
    }
}
