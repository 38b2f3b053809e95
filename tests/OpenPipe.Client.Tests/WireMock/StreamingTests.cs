using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading.Tasks;
using NUnit.Framework;

namespace OpenPipe.Client.Tests.WireMock;

[TestFixture]
public sealed class StreamingTests : WireMockTestBase
{
    [TestCase("basic.sse", Description = "ends with data: [DONE]")]
    [TestCase("basic-no-done.sse", Description = "ends at the end of the body, as OpenPipe's own server may")]
    [TestCase("basic-crlf.sse", Description = "CRLF line endings")]
    [TestCase("basic-comments.sse", Description = "comment/keep-alive lines, event, id and retry fields")]
    public async Task CreateChatCompletionStreamingAsync_Transcript_YieldsEveryChunkInOrder(string transcript)
    {
        // Arrange
        Server.Stub("stream.json", ("TRANSCRIPT", transcript));
        var client = CreateClient();

        // Act
        var chunks = new List<ChatCompletionChunk>();
        await foreach (var chunk in client.CreateChatCompletionStreamingAsync(Hello()))
        {
            chunks.Add(chunk);
        }

        // Assert
        Assert.That(chunks, Has.Count.EqualTo(6));
        Assert.That(string.Concat(chunks.SelectMany(c => c.Choices).Select(c => c.Delta.Content)), Is.EqualTo("Hello, world"));
        Assert.That(chunks[0].Choices[0].Delta.Role, Is.EqualTo(ChatRole.Assistant));
        Assert.That(chunks[4].Choices[0].FinishReason, Is.EqualTo(FinishReason.Stop));
        Assert.That(chunks[5].Choices, Is.Empty);
        Assert.That(chunks[5].Usage!.TotalTokens, Is.EqualTo(8));
    }

    [Test]
    public async Task CreateChatCompletionStreamingAsync_MultiByteTextAndAnEventLargerThanTheOthers_ReadsEachEventWhole()
    {
        // Arrange: two-, three- and four-byte UTF-8, and one 8 KB event between short ones (the decode buffer grows, then is reused).
        Server.Stub("stream.json", ("TRANSCRIPT", "unicode-sizes.sse"));
        var client = CreateClient();

        // Act
        var chunks = new List<ChatCompletionChunk>();
        await foreach (var chunk in client.CreateChatCompletionStreamingAsync(Hello()))
        {
            chunks.Add(chunk);
        }

        // Assert
        string text = string.Concat(chunks.SelectMany(c => c.Choices).Select(c => c.Delta.Content));
        Assert.That(chunks, Has.Count.EqualTo(7));
        Assert.That(text, Is.EqualTo("Grüße, 世界 " + string.Concat(Enumerable.Repeat("\U0001F642", 2000)) + " ok"));
        Assert.That(chunks[3].Choices[0].Delta.Content, Has.Length.EqualTo(4000));
    }

    [Test]
    public async Task CreateChatCompletionStreamingAsync_Request_SendsStreamTrueWithoutChangingTheCallersRequest()
    {
        // Arrange: the stub only answers bodies with "stream": true.
        Server.Stub("stream.json", ("TRANSCRIPT", "basic.sse"));
        var client = CreateClient();
        var request = Hello();

        // Act
        var completion = await client.CreateChatCompletionStreamingAsync(request).ToChatCompletionAsync();

        // Assert
        Assert.That(completion.Choices[0].Message.Content, Is.EqualTo("Hello, world"));
        Assert.That(request.Stream, Is.Null);
    }

    [Test]
    public async Task ToChatCompletionAsync_ToolCallFragments_MergesThemByIndex()
    {
        // Arrange
        Server.Stub("stream.json", ("TRANSCRIPT", "tool-calls.sse"));
        var client = CreateClient();

        // Act
        var completion = await client.CreateChatCompletionStreamingAsync(Hello()).ToChatCompletionAsync();

        // Assert
        var choice = completion.Choices.Single();
        var calls = choice.Message.ToolCalls!;
        Assert.Multiple(() =>
        {
            Assert.That(completion.Id, Is.EqualTo("chatcmpl-s1"));
            Assert.That(completion.Object, Is.EqualTo("chat.completion"));
            Assert.That(choice.FinishReason, Is.EqualTo(FinishReason.ToolCalls));
            Assert.That(choice.Message.Role, Is.EqualTo("assistant"));
            Assert.That(choice.Message.Content, Is.Null);
            Assert.That(choice.Message.ReasoningContent, Is.EqualTo("Need two tools."));
            Assert.That(calls.Select(c => c.Id), Is.EqualTo(new[] { "call_a", "call_b" }));
            Assert.That(calls[0].Function.Name, Is.EqualTo("get_weather"));
            Assert.That(calls[0].Function.Arguments, Is.EqualTo("{\"city\":\"Paris\"}"));
            Assert.That(calls[1].Function.Arguments, Is.EqualTo("{}"));
            Assert.That(completion.Usage!.CompletionTokens, Is.EqualTo(3));
        });
    }

    [Test]
    public async Task CreateChatCompletionStreamingAsync_ErrorEventMidStream_ThrowsAfterTheChunksBeforeIt()
    {
        // Arrange
        Server.Stub("stream.json", ("TRANSCRIPT", "error-event.sse"));
        var client = CreateClient();
        var received = new List<ChatCompletionChunk>();

        // Act
        var error = Assert.ThrowsAsync<OpenPipeApiException>(async () =>
        {
            await foreach (var chunk in client.CreateChatCompletionStreamingAsync(Hello()))
            {
                received.Add(chunk);
            }
        });

        // Assert
        Assert.That(received, Has.Count.EqualTo(1));
        Assert.That(error!.Error!.Message, Is.EqualTo("The model crashed mid-stream"));
        Assert.That(error.ErrorCode, Is.EqualTo("INTERNAL_SERVER_ERROR"));
        Assert.That(error.Response, Does.Contain("crashed"));
    }

    [Test]
    public async Task CreateChatCompletionStreamingAsync_DribbledBody_FirstChunkArrivesBeforeTheLastIsSent()
    {
        // Arrange: WireMock.Net sends the transcript event by event over 3 s.
        Server.StubSlowStream("/api/v1/chat/completions", "twenty-words.sse", TimeSpan.FromSeconds(3));
        var client = CreateClient();
        var clock = Stopwatch.StartNew();
        TimeSpan? first = null;
        int count = 0;

        // Act
        await foreach (var chunk in client.CreateChatCompletionStreamingAsync(Hello()))
        {
            first ??= clock.Elapsed;
            count++;
        }

        var last = clock.Elapsed;

        // Assert: the first chunk was yielded well before the body finished arriving.
        Assert.That(count, Is.EqualTo(22));
        Assert.That(last - first!.Value, Is.GreaterThan(TimeSpan.FromMilliseconds(1000)), $"first at {first}, end at {last}");
    }

    [Test]
    public async Task CreateChatCompletionStreamingAsync_ErrorStatus_ThrowsWithTheParsedBody()
    {
        // Arrange
        Server.Stub("errors.json");
        var client = CreateClient();

        // Act
        var error = Assert.ThrowsAsync<OpenPipeApiException>(async () =>
        {
            await foreach (var chunk in client.CreateChatCompletionStreamingAsync(Hello("status-403")))
            {
                Assert.Fail("no chunk expected");
            }
        });

        // Assert
        Assert.That(error!.StatusCode, Is.EqualTo(403));
        Assert.That(error.ErrorCode, Is.EqualTo("FORBIDDEN"));
    }
}
