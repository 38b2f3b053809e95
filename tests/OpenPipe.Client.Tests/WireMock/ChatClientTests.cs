using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Newtonsoft.Json.Linq;
using NUnit.Framework;
using AIChatRole = Microsoft.Extensions.AI.ChatRole;

namespace OpenPipe.Client.Tests.WireMock;

/// <summary>OpenPipeChatClient (Microsoft.Extensions.AI's IChatClient) against WireMock stubs.</summary>
[TestFixture]
public sealed class ChatClientTests : WireMockTestBase
{
    private static readonly TimeSpan TestTimeout = TimeSpan.FromSeconds(30);

    [Test]
    public async Task GetResponseAsync_FunctionInvocationLoop_CallsTheToolAndReturnsTheFinalAnswer()
    {
        // Arrange: the first call answers a tool call; the second matches only when the tool result is in the history.
        Server.Stub("ai-tool-loop.json");
        var cities = new List<string>();
        var weather = AIFunctionFactory.Create(
            ([System.ComponentModel.Description("The city")] string city) =>
            {
                cities.Add(city);
                return "sunny, 21 C";
            },
            "get_weather",
            "Gets the weather in a city.");
        using IChatClient chat = new ChatClientBuilder(CreateClient().AsIChatClient("openpipe:test-model")).UseFunctionInvocation().Build();
        using var cts = new CancellationTokenSource(TestTimeout);

        // Act
        var response = await chat.GetResponseAsync("What is the weather in Paris?", new ChatOptions { Tools = [weather] }, cts.Token);

        // Assert
        Assert.That(cities, Is.EqualTo(new[] { "Paris" }));
        Assert.That(response.Text, Is.EqualTo("It is sunny in Paris, 21 C."));
        Assert.That(response.FinishReason, Is.EqualTo(ChatFinishReason.Stop));
        Assert.That(response.Usage!.TotalTokenCount, Is.EqualTo(27 + 39), "usage of both round trips is summed");
        var requests = Server.Requests;
        Assert.That(requests, Has.Count.EqualTo(2));
        var first = JObject.Parse(requests[0].RequestMessage.Body!);
        Assert.That((string?)first.SelectToken("tools[0].function.parameters.properties.city.type"), Is.EqualTo("string"));
        Assert.That((string?)first.SelectToken("tools[0].function.description"), Is.EqualTo("Gets the weather in a city."));
        var second = JObject.Parse(requests[1].RequestMessage.Body!);
        Assert.That(second["messages"]!.Select(m => (string?)m["role"]), Is.EqualTo(new[] { "user", "assistant", "tool" }));
        Assert.That(JObject.Parse((string)second.SelectToken("messages[1].tool_calls[0].function.arguments")!)["city"]!.ToString(), Is.EqualTo("Paris"));
    }

    [TestCase("basic")]
    [TestCase("tool-calls")]
    public async Task GetStreamingResponseAsync_UpdatesMergedWithToChatResponse_EqualTheNonStreamingResponse(string name)
    {
        // Arrange: the same completion as JSON and as an SSE transcript.
        Server.Stub("ai-same-answer.json", ("TRANSCRIPT", name + ".sse"), ("COMPLETION", name + ".json"));
        var chat = CreateClient().AsIChatClient("openpipe:test-model");
        using var cts = new CancellationTokenSource(TestTimeout);

        // Act
        var whole = await chat.GetResponseAsync("Hi", cancellationToken: cts.Token);
        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in chat.GetStreamingResponseAsync("Hi", cancellationToken: cts.Token))
        {
            updates.Add(update);
        }

        var merged = updates.ToChatResponse();

        // Assert
        Assert.That(updates.Select(u => u.RawRepresentation).OfType<ChatCompletionChunk>().Count(), Is.GreaterThan(1));
        Assert.That(whole.RawRepresentation, Is.InstanceOf<ChatCompletion>());
        Assert.That(Describe(merged), Is.EqualTo(Describe(whole)));
    }

    [Test]
    public async Task GetResponseAsync_OpenPipeOptionsAndResponseFormat_TravelAsHeadersAndBody()
    {
        // Arrange
        Server.Stub("ai-echo-request.json");
        var chat = CreateClient().AsIChatClient("openpipe:test-model");
        using var schema = JsonDocument.Parse("""{"type":"object","properties":{"answer":{"type":"integer"}},"required":["answer"]}""");
        var options = new ChatOptions
        {
            Instructions = "Answer in JSON.",
            Temperature = 0.5f,
            MaxOutputTokens = 50,
            StopSequences = ["END"],
            ResponseFormat = ChatResponseFormat.ForJsonSchema(schema.RootElement, "answer", "The answer."),
            AdditionalProperties = new AdditionalPropertiesDictionary
            {
                [OpenPipeChatOptionKeys.Tags] = new Dictionary<string, string> { ["prompt_id"] = "p1" },
                [OpenPipeChatOptionKeys.Cache] = CacheMode.ReadOnly,
                [OpenPipeChatOptionKeys.LogRequest] = true,
                [OpenPipeChatOptionKeys.Criteria] = new[] { "crit-1" },
                [OpenPipeChatOptionKeys.Store] = true,
                [OpenPipeChatOptionKeys.Metadata] = new Dictionary<string, string> { ["user"] = "u1" },
                ["seed"] = 7,
            },
        };
        var image = new ChatMessage(AIChatRole.User, [new TextContent("What is this?"), new DataContent(new byte[] { 1, 2, 3 }, "image/png"), new UriContent(new Uri("https://example.com/a.jpg"), "image/jpeg")]);
        using var cts = new CancellationTokenSource(TestTimeout);

        // Act
        var response = await chat.GetResponseAsync([image], options, cts.Token);

        // Assert
        Assert.That(response.Text, Is.EqualTo("{\"answer\":42}"));
        var sent = Server.Requests.Single().RequestMessage;
        string? Header(string n) => sent.Headers!.FirstOrDefault(p => string.Equals(p.Key, n, StringComparison.OrdinalIgnoreCase)).Value?.ToString();
        Assert.That(Header("op-tags"), Is.EqualTo("{\"prompt_id\":\"p1\"}"));
        Assert.That(Header("op-cache"), Is.EqualTo("readOnly"));
        Assert.That(Header("op-log-request"), Is.EqualTo("true"));
        Assert.That(Header("op-criteria"), Is.EqualTo("[\"crit-1\"]"));
        var body = JObject.Parse(sent.Body!);
        Assert.That((string?)body.SelectToken("messages[0].role"), Is.EqualTo("system"));
        Assert.That((string?)body.SelectToken("messages[0].content"), Is.EqualTo("Answer in JSON."));
        Assert.That((string?)body.SelectToken("messages[1].content[1].image_url.url"), Is.EqualTo("data:image/png;base64,AQID"));
        Assert.That((string?)body.SelectToken("messages[1].content[2].image_url.url"), Is.EqualTo("https://example.com/a.jpg"));
        Assert.That((string?)body.SelectToken("response_format.type"), Is.EqualTo("json_schema"));
        Assert.That((string?)body.SelectToken("response_format.json_schema.name"), Is.EqualTo("answer"));
        Assert.That((string?)body.SelectToken("response_format.json_schema.schema.properties.answer.type"), Is.EqualTo("integer"));
        Assert.That((double?)body["temperature"], Is.EqualTo(0.5));
        Assert.That((int?)body["max_tokens"], Is.EqualTo(50));
        Assert.That((string?)body.SelectToken("stop[0]") ?? (string?)body["stop"], Is.EqualTo("END"));
        Assert.That((bool?)body["store"], Is.True);
        Assert.That((string?)body.SelectToken("metadata.user"), Is.EqualTo("u1"));
        Assert.That((int?)body["seed"], Is.EqualTo(7));
        Assert.That(body.Properties().Select(p => p.Name), Has.None.StartsWith("openpipe."), "OpenPipe's keys are not sent in the body");
    }

    [Test]
    public async Task GetResponseAsync_ApiError_ThrowsOpenPipeApiException()
    {
        // Arrange
        Server.Stub("errors.json");
        var chat = CreateClient().AsIChatClient();

        // Act
        var error = Assert.ThrowsAsync<OpenPipeApiException>(() => chat.GetResponseAsync("Hi", new ChatOptions { ModelId = "status-400" }));

        // Assert
        Assert.That(error!.StatusCode, Is.EqualTo(400));
        Assert.That(error.ErrorCode, Is.EqualTo("BAD_REQUEST"));
    }

    [Test]
    public async Task GetStreamingResponseAsync_Cancelled_ThrowsOperationCanceled()
    {
        // Arrange: a stream that dribbles its chunks slowly.
        Server.StubSlowStream("/api/v1/chat/completions", "twenty-words.sse", TimeSpan.FromSeconds(4));
        var chat = CreateClient().AsIChatClient("openpipe:test-model");
        using var cts = new CancellationTokenSource(TestTimeout);

        // Act
        var thrown = Assert.CatchAsync<OperationCanceledException>(async () =>
        {
            await foreach (var update in chat.GetStreamingResponseAsync("Hi", cancellationToken: cts.Token))
            {
                await cts.CancelAsync();
            }
        });

        // Assert
        Assert.That(thrown, Is.Not.Null);
        Assert.That(cts.IsCancellationRequested, Is.True);
    }

    [Test]
    public void GetResponseAsync_NoModel_ThrowsBeforeSending()
    {
        // Arrange
        var chat = CreateClient().AsIChatClient();

        // Act / Assert
        Assert.ThrowsAsync<InvalidOperationException>(() => chat.GetResponseAsync("Hi"));
    }

    [Test]
    public async Task AddOpenPipeChatClient_WithFunctionInvocation_ResolvesAWorkingPipeline()
    {
        // Arrange
        Server.Stub("ai-echo-request.json");
        var services = new ServiceCollection();
        services.AddOpenPipeChatClient("openpipe:test-model", o =>
        {
            o.ApiKey = ApiKey;
            o.BaseUrl = Server.ApiBaseUrl;
        }).UseFunctionInvocation();
        await using var provider = services.BuildServiceProvider();
        var chat = provider.GetRequiredService<IChatClient>();
        using var cts = new CancellationTokenSource(TestTimeout);

        // Act
        var response = await chat.GetResponseAsync("Hi", cancellationToken: cts.Token);

        // Assert
        Assert.That(chat.GetService<FunctionInvokingChatClient>(), Is.Not.Null);
        Assert.That(chat.GetService<ChatClientMetadata>()!.ProviderName, Is.EqualTo("openpipe"));
        Assert.That(chat.GetService<IOpenPipeClient>(), Is.Not.Null);
        Assert.That(response.Text, Is.EqualTo("{\"answer\":42}"));
    }

    [Test]
    public async Task ReadmeExample_FunctionInvocationWithOpenPipeOptions_AnswersFromTheToolLoopStub()
    {
        // Arrange
        Server.Stub("ai-tool-loop.json");
        var client = CreateClient();
        var services = new ServiceCollection();

        // Act: the README's "Microsoft.Extensions.AI" block, as written there.
        IChatClient chat = new ChatClientBuilder(client.AsIChatClient("openpipe:my-model"))
            .UseFunctionInvocation()
            .Build();

        var weather = AIFunctionFactory.Create((string city) => "sunny, 21 C", "get_weather", "Gets the weather in a city.");
        ChatResponse response = await chat.GetResponseAsync("What is the weather in Paris?", new ChatOptions
        {
            Tools = [weather],
            AdditionalProperties = new AdditionalPropertiesDictionary
            {
                [OpenPipeChatOptionKeys.Tags] = new Dictionary<string, string> { ["prompt_id"] = "weather" },
                [OpenPipeChatOptionKeys.Cache] = CacheMode.ReadWrite,
                [OpenPipeChatOptionKeys.LogRequest] = true,
            },
        });

        // With dependency injection: registers IOpenPipeClient and IChatClient, returns M.E.AI's ChatClientBuilder.
        services.AddOpenPipeChatClient("openpipe:my-model", o => o.ApiKey = "opk-...").UseFunctionInvocation();

        // Assert
        Assert.That(response.Text, Is.EqualTo("It is sunny in Paris, 21 C."));
        Assert.That(services.Any(d => d.ServiceType == typeof(IChatClient)), Is.True);
        chat.Dispose();
    }

    [Test]
    public void ToRequest_RawRequestFromTheOptions_KeepsItsSettingsAndTakesTheMessagesOnlyFromTheCall()
    {
        // Arrange: a raw request, as a server-side adapter passes it on, that still has messages of its own.
        var raw = new ChatCompletionRequest { Model = "raw-model", Temperature = 0.3, Messages = [new UserMessage { Content = "old" }] };
        var options = new ChatOptions { RawRepresentationFactory = _ => raw };

        // Act
        var request = OpenPipeChatMapping.ToRequest([new ChatMessage(AIChatRole.User, "new")], options, null);

        // Assert
        Assert.That(request.Messages.OfType<UserMessage>().Select(m => m.Content!.ToString()), Is.EqualTo(new[] { "new" }));
        Assert.That(request.Temperature, Is.EqualTo(0.3));
        Assert.That(request.Model, Is.EqualTo("raw-model"));
    }

    /// <summary>What a caller sees of a response, as one comparable string.</summary>
    private static string Describe(ChatResponse response)
    {
        var parts = new List<string>
        {
            $"id={response.ResponseId} model={response.ModelId} created={response.CreatedAt:O} finish={response.FinishReason}",
            $"usage={response.Usage?.InputTokenCount}/{response.Usage?.OutputTokenCount}/{response.Usage?.TotalTokenCount}",
        };
        foreach (var message in response.Messages)
        {
            parts.Add($"message role={message.Role} id={message.MessageId}");
            foreach (var content in message.Contents)
            {
                parts.Add(content switch
                {
                    TextReasoningContent r => "reasoning:" + r.Text,
                    TextContent t => "text:" + t.Text,
                    FunctionCallContent f => $"call:{f.CallId}:{f.Name}:{JsonSerializer.Serialize(f.Arguments, AIJsonUtilities.DefaultOptions)}",
                    _ => content.GetType().Name,
                });
            }
        }

        return string.Join("\n", parts);
    }
}
