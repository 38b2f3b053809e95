using System;
using System.ClientModel;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using NUnit.Framework;
using OpenAI;
using OpenAI.Chat;
using OpenPipe.Client;
using OurCompletion = OpenPipe.ChatCompletion;
using OurRequest = OpenPipe.ChatCompletionRequest;

namespace OpenPipe.Server.Tests;

/// <summary>A real Kestrel on 127.0.0.1: the generated client and the official OpenAI .NET SDK both work against it.</summary>
[TestFixture(Mapping.MinimalApi)]
[TestFixture(Mapping.HandlerController)]
[TestFixture(Mapping.DerivedController)]
[NonParallelizable]
public sealed class InteropTests(Mapping mapping)
{
    private TestApp app = null!;

    [OneTimeSetUp]
    public async Task StartAsync() => app = await TestApp.StartAsync(mapping, kestrel: true);

    [OneTimeTearDown]
    public async Task StopAsync() => await app.DisposeAsync();

    [SetUp]
    public void ResetProbe() => app.Probe.Reset();

    private OpenPipeClient OurClient(string key = TestApp.GoodKey) =>
        new(new OpenPipeClientOptions { ApiKey = key, BaseUrl = app.ApiBaseUrl, MaxRetries = 0 });

    private ChatClient SdkClient() =>
        new("test-model", new ApiKeyCredential(TestApp.GoodKey), new OpenAIClientOptions { Endpoint = app.ApiBaseUrl });

    private static OurRequest Request(string text, string model = "test-model") => new()
    {
        Model = model,
        Messages = [new UserMessage { Content = text }],
    };

    private static ChatTool WeatherTool() => ChatTool.CreateFunctionTool(
        "get_weather", "Weather by city", BinaryData.FromString("""{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}"""));

    [Test]
    public async Task GeneratedClient_NonStreaming_GetsTheCompletion()
    {
        using var client = OurClient();
        OurCompletion completion = await client.CreateChatCompletionAsync(Request("hello server"));
        Assert.That(completion.Choices[0].Message.Content, Is.EqualTo("echo: hello server"));
        Assert.That(completion.Choices[0].FinishReason, Is.EqualTo(OpenPipe.FinishReason.Stop));
        Assert.That(completion.Usage!.TotalTokens, Is.EqualTo(5));
    }

    [Test]
    public async Task GeneratedClient_Streaming_GetsEveryChunkAndMergesThem()
    {
        using var client = OurClient();
        var chunks = new List<ChatCompletionChunk>();
        await foreach (var chunk in client.CreateChatCompletionStreamingAsync(Request("one two three")))
        {
            chunks.Add(chunk);
        }

        var accumulator = new ChatCompletionAccumulator();
        chunks.ForEach(accumulator.Append);
        Assert.That(chunks, Has.Count.EqualTo(6), "role, four words, finish");
        Assert.That(accumulator.ToChatCompletion().Choices[0].Message.Content, Is.EqualTo("echo: one two three"));
    }

    [Test]
    public async Task GeneratedClient_ToolCall_NonStreamingAndStreaming()
    {
        // Arrange
        using var client = OurClient();
        var request = Request("weather?");
        request.Tools = [new ChatCompletionTool { Type = OpenPipe.ToolType.Function, Function = new FunctionDefinition { Name = "get_weather" } }];

        // Act
        OurCompletion completion = await client.CreateChatCompletionAsync(request);
        OurCompletion merged = await client.CreateChatCompletionStreamingAsync(request).ToChatCompletionAsync();

        // Assert
        foreach (var answer in new[] { completion, merged })
        {
            Assert.That(answer.Choices[0].FinishReason, Is.EqualTo(OpenPipe.FinishReason.ToolCalls));
            Assert.That(answer.Choices[0].Message.ToolCalls!.Single().Function.Name, Is.EqualTo("get_weather"));
            Assert.That(answer.Choices[0].Message.ToolCalls!.Single().Function.Arguments, Is.EqualTo("{\"city\":\"Paris\"}"));
        }
    }

    [Test]
    public async Task GeneratedClient_BadRequestAndBadKey_MapOntoOpenPipeApiException()
    {
        using var client = OurClient();
        var bad = Request("x");
        bad.Temperature = 5;
        var badRequest = Assert.ThrowsAsync<OpenPipeApiException>(() => client.CreateChatCompletionAsync(bad));
        Assert.That(badRequest!.StatusCode, Is.EqualTo(400));
        Assert.That(badRequest.Error!.Issues!.Single().Path, Is.EqualTo(new[] { "temperature" }));

        using var stranger = OurClient("sk-nobody");
        var unauthorized = Assert.ThrowsAsync<OpenPipeApiException>(() => stranger.CreateChatCompletionAsync(Request("x")));
        Assert.That(unauthorized!.StatusCode, Is.EqualTo(401));
        Assert.That(unauthorized.ErrorCode, Is.EqualTo("UNAUTHORIZED"));
    }

    [Test]
    public async Task GeneratedClient_ProducerFailsMidStream_GetsAnErrorEventAsException()
    {
        using var client = OurClient();
        int received = 0;
        var error = Assert.ThrowsAsync<OpenPipeApiException>(async () =>
        {
            await foreach (var chunk in client.CreateChatCompletionStreamingAsync(Request("a b c", "explode-mid-stream")))
            {
                received++;
            }
        });
        Assert.That(received, Is.EqualTo(2), "the role chunk and the first word came before the failure");
        Assert.That(error!.ErrorCode, Is.EqualTo("INTERNAL_SERVER_ERROR"));
        Assert.That(error.Response, Does.Not.Contain("secret internal detail"));
    }

    [Test]
    public async Task OpenAISdk_NonStreaming_GetsTheCompletion()
    {
        var client = SdkClient();
        OpenAI.Chat.ChatCompletion completion = await client.CompleteChatAsync([new UserChatMessage("hello sdk")]);
        Assert.That(completion.Content[0].Text, Is.EqualTo("echo: hello sdk"));
        Assert.That(completion.FinishReason, Is.EqualTo(ChatFinishReason.Stop));
        Assert.That(completion.Usage.TotalTokenCount, Is.EqualTo(5));
    }

    [Test]
    public async Task OpenAISdk_Streaming_GetsTheText()
    {
        var client = SdkClient();
        var text = new System.Text.StringBuilder();
        ChatFinishReason? finish = null;
        await foreach (StreamingChatCompletionUpdate update in client.CompleteChatStreamingAsync([new UserChatMessage("stream me")]))
        {
            foreach (var part in update.ContentUpdate)
            {
                text.Append(part.Text);
            }

            finish ??= update.FinishReason;
        }

        Assert.That(text.ToString(), Is.EqualTo("echo: stream me"));
        Assert.That(finish, Is.EqualTo(ChatFinishReason.Stop));
    }

    [Test]
    public async Task OpenAISdk_ToolCall_NonStreamingAndStreaming()
    {
        var client = SdkClient();
        var options = new ChatCompletionOptions { Tools = { WeatherTool() } };

        OpenAI.Chat.ChatCompletion completion = await client.CompleteChatAsync([new UserChatMessage("weather?")], options);
        Assert.That(completion.FinishReason, Is.EqualTo(ChatFinishReason.ToolCalls));
        Assert.That(completion.ToolCalls[0].FunctionName, Is.EqualTo("get_weather"));
        Assert.That(completion.ToolCalls[0].FunctionArguments.ToString(), Is.EqualTo("{\"city\":\"Paris\"}"));

        string? name = null;
        var arguments = new System.Text.StringBuilder();
        await foreach (var update in client.CompleteChatStreamingAsync([new UserChatMessage("weather?")], options))
        {
            foreach (var call in update.ToolCallUpdates)
            {
                name ??= call.FunctionName;
                arguments.Append(call.FunctionArgumentsUpdate?.ToString());
            }
        }

        Assert.That(name, Is.EqualTo("get_weather"));
        Assert.That(arguments.ToString(), Is.EqualTo("{\"city\":\"Paris\"}"));
    }

    [Test]
    public async Task OpenAISdk_ToolResultRoundTrip_IsAcceptedByTheServer()
    {
        // The SDK's own serialization of an assistant tool call and a tool message must bind.
        var client = SdkClient();
        var options = new ChatCompletionOptions { Tools = { WeatherTool() } };
        var first = await client.CompleteChatAsync([new UserChatMessage("weather?")], options);
        List<ChatMessage> history =
        [
            new UserChatMessage("weather?"),
            new AssistantChatMessage(first.Value),
            new ToolChatMessage(first.Value.ToolCalls[0].Id, "{\"temp\":21}"),
        ];

        OpenAI.Chat.ChatCompletion second = await client.CompleteChatAsync(history, options);
        Assert.That(second.FinishReason, Is.EqualTo(ChatFinishReason.Stop));
        Assert.That(second.Content[0].Text, Is.EqualTo("echo: weather?"));
    }

    [Test]
    public async Task Post_ChunkedBodyOverTheLimit_Returns413()
    {
        // Arrange: no Content-Length, so the limit is enforced while the body is read.
        using var http = new System.Net.Http.HttpClient();
        string big = new('x', 40 * 1024);
        var content = new System.Net.Http.StreamContent(new System.IO.MemoryStream(System.Text.Encoding.UTF8.GetBytes($$"""{"model":"m","messages":[{"role":"user","content":"{{big}}"}]}""")));
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        using var request = new System.Net.Http.HttpRequestMessage(System.Net.Http.HttpMethod.Post, app.ApiBaseUrl + "/chat/completions") { Content = content };
        request.Headers.TransferEncodingChunked = true;
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", TestApp.GoodKey);

        // Act
        using var response = await http.SendAsync(request);
        var body = Newtonsoft.Json.Linq.JObject.Parse(await response.Content.ReadAsStringAsync());

        // Assert
        Assert.That((int)response.StatusCode, Is.EqualTo(413), body.ToString());
        Assert.That((string?)body["code"], Is.EqualTo("PAYLOAD_TOO_LARGE"));
    }

    [Test]
    public async Task Stream_ChunksReachTheClientWhileTheProducerIsStillRunning()
    {
        // Arrange: 150 ms between words, 8 words.
        using var client = OurClient();
        var clock = Stopwatch.StartNew();
        var firstSeen = TimeSpan.Zero;
        bool producerDoneAtFirst = true;

        // Act
        await foreach (var chunk in client.CreateChatCompletionStreamingAsync(Request("a b c d e f g")))
        {
            if (firstSeen == TimeSpan.Zero && chunk.Choices[0].Delta.Content is { Length: > 0 })
            {
                firstSeen = clock.Elapsed;
                producerDoneAtFirst = app.Probe.ProducerFinished.Task.IsCompleted;
            }
        }

        // Assert
        Assert.That(producerDoneAtFirst, Is.False, "the first word arrived before the producer had finished");
        Assert.That(clock.Elapsed - firstSeen, Is.GreaterThan(TimeSpan.FromMilliseconds(500)), "later words kept arriving after the first");
    }

    [Test]
    public async Task Stream_MultiByteTextLongerThanTheWritersBuffer_ArrivesUnchanged()
    {
        // Arrange: words of 2-, 3- and 4-byte UTF-8, one of 6,001 UTF-16 chars, so the server's
        // 4,096-char buffer fills in the middle of a surrogate pair and drains mid-chunk.
        using var client = OurClient();
        string text = "Grüße 世界 x" + string.Concat(Enumerable.Repeat("\U0001F642", 3000)) + " ok";

        // Act
        var completion = await client.CreateChatCompletionStreamingAsync(Request(text)).ToChatCompletionAsync();

        // Assert
        Assert.That(completion.Choices[0].Message.Content, Is.EqualTo("echo: " + text));
    }

    [Test]
    public async Task Stream_ClientDisconnectsMidStream_CancelsTheProducer()
    {
        // Arrange: a long stream (40 words at 150 ms).
        using var client = OurClient();
        string text = string.Join(' ', Enumerable.Range(0, 40).Select(i => "w" + i));

        // Act: read two chunks, then leave.
        int read = 0;
        await foreach (var chunk in client.CreateChatCompletionStreamingAsync(Request(text)))
        {
            if (++read == 2)
            {
                break;
            }
        }

        // Assert
        var cancelled = await Task.WhenAny(app.Probe.ProducerCancelled.Task, Task.Delay(TimeSpan.FromSeconds(10)));
        Assert.That(cancelled, Is.SameAs(app.Probe.ProducerCancelled.Task), "RequestAborted reached the producer");
        Assert.That(app.Probe.ChunksProduced, Is.LessThan(40));
    }
}
