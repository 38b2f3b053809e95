using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.AI;
using NUnit.Framework;
using OpenPipe.Client;
using OpenPipe.Gateway.Backends;
using AIChatRole = Microsoft.Extensions.AI.ChatRole;

namespace OpenPipe.Gateway.Tests;

/// <summary>A Microsoft.Extensions.AI IChatClient served through the gateway, routed by model.</summary>
[TestFixture]
public sealed class ChatClientBackendTests
{
    private static readonly TimeSpan TestTimeout = TimeSpan.FromSeconds(30);
    private GatewayFactory factory = null!;
    private Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactory<Program> app = null!;

    [OneTimeSetUp]
    public void Start()
    {
        factory = new GatewayFactory(new Uri("http://127.0.0.1:9/v1"));
        app = factory.WithWebHostBuilder(b => b
            .UseSetting("Gateway:Routes:1:Model", "mea:*")
            .UseSetting("Gateway:Routes:1:Backend", "mea")
            .ConfigureTestServices(services => services.AddGatewayChatClient("mea", _ => new WeatherChatClient())));
    }

    [OneTimeTearDown]
    public void Stop()
    {
        app.Dispose();
        factory.Dispose();
    }

    [Test]
    public async Task CreateChatCompletionAsync_RoutedToAChatClient_AnswersWithItsTextAndUsage()
    {
        // Arrange
        using var client = CreateClient();
        using var cts = new CancellationTokenSource(TestTimeout);

        // Act
        var completion = await client.CreateChatCompletionAsync(new ChatCompletionRequest { Model = "mea:small", Messages = [new UserMessage { Content = "say hi" }] }, cts.Token);

        // Assert
        Assert.That(completion.Choices.Single().Message.Content, Is.EqualTo("chat client says: say hi"));
        Assert.That(completion.Choices[0].FinishReason, Is.EqualTo(FinishReason.Stop));
        Assert.That(completion.Model, Is.EqualTo("mea:small"));
        Assert.That(completion.Usage!.TotalTokens, Is.EqualTo(7));
    }

    [Test]
    public async Task CreateChatCompletionStreamingAsync_RoutedToAChatClient_StreamsTheUpdatesThenFinishAndUsage()
    {
        // Arrange
        using var client = CreateClient();
        using var cts = new CancellationTokenSource(TestTimeout);
        var request = new ChatCompletionRequest { Model = "mea:small", Messages = [new UserMessage { Content = "say hi" }], StreamOptions = new StreamOptions { IncludeUsage = true } };

        // Act
        var chunks = new List<ChatCompletionChunk>();
        await foreach (var chunk in client.CreateChatCompletionStreamingAsync(request, cts.Token))
        {
            chunks.Add(chunk);
        }

        // Assert
        Assert.That(string.Concat(chunks.SelectMany(c => c.Choices).Select(c => c.Delta.Content)), Is.EqualTo("chat client says: say hi"));
        Assert.That(chunks.Count(c => c.Choices.Any(ch => !string.IsNullOrEmpty(ch.Delta.Content))), Is.GreaterThan(1), "text arrives in pieces");
        Assert.That(chunks[0].Choices[0].Delta.Role, Is.EqualTo(OpenPipe.ChatRole.Assistant));
        Assert.That(chunks.SelectMany(c => c.Choices).Last(c => c.FinishReason is not null).FinishReason, Is.EqualTo(FinishReason.Stop));
        Assert.That(chunks[^1].Usage!.TotalTokens, Is.EqualTo(7));
        Assert.That(chunks.Select(c => c.Id).Distinct().Count(), Is.EqualTo(1));
    }

    [Test]
    public async Task GetResponseAsync_FunctionInvocationOverTheWire_RunsTheToolTheServerSideChatClientAskedFor()
    {
        // Arrange: M.E.AI on both ends; the server-side chat client asks for get_weather, then answers with its result.
        using var client = CreateClient();
        using IChatClient chat = new ChatClientBuilder(client.AsIChatClient("mea:small")).UseFunctionInvocation().Build();
        var weather = AIFunctionFactory.Create((string city) => $"rainy in {city}", "get_weather");
        using var cts = new CancellationTokenSource(TestTimeout);

        // Act
        var response = await chat.GetResponseAsync("weather in Oslo?", new ChatOptions { Tools = [weather] }, cts.Token);

        // Assert
        Assert.That(response.Text, Is.EqualTo("It is rainy in Oslo."));
        Assert.That(response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>().Single().Arguments!["city"]?.ToString(), Is.EqualTo("Oslo"));
    }

    [Test]
    public async Task GetStreamingResponseAsync_ToolCallOverTheWire_ArrivesAsOneFunctionCall()
    {
        // Arrange
        using var client = CreateClient();
        var chat = client.AsIChatClient("mea:small");
        var weather = AIFunctionFactory.Create((string city) => city, "get_weather");
        using var cts = new CancellationTokenSource(TestTimeout);

        // Act
        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in chat.GetStreamingResponseAsync("weather in Oslo?", new ChatOptions { Tools = [weather] }, cts.Token))
        {
            updates.Add(update);
        }

        // Assert
        var merged = updates.ToChatResponse();
        var call = merged.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>().Single();
        Assert.That(call.Name, Is.EqualTo("get_weather"));
        Assert.That(call.Arguments!["city"]?.ToString(), Is.EqualTo("Oslo"));
        Assert.That(merged.FinishReason, Is.EqualTo(ChatFinishReason.ToolCalls));
    }

    private OpenPipeClient CreateClient()
    {
        var options = new OpenPipeClientOptions { ApiKey = GatewayFactory.Key, MaxRetries = 0 };
        var http = app.CreateDefaultClient(new OpenPipeResilienceHandler(options));
        http.Timeout = Timeout.InfiniteTimeSpan;
        options.BaseUrl = new Uri(http.BaseAddress!, "api/v1");
        return new OpenPipeClient(http, Microsoft.Extensions.Options.Options.Create(options));
    }

    /// <summary>
    /// A chat client that, offered get_weather without a result yet, calls it for the city named last;
    /// with a result, reports it; otherwise echoes "chat client says: ..." word by word with usage 3 + 4.
    /// </summary>
    private sealed class WeatherChatClient : IChatClient
    {
        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            var list = messages.ToList();
            var result = list.SelectMany(m => m.Contents).OfType<FunctionResultContent>().LastOrDefault();
            if (result is not null)
            {
                return Task.FromResult(new ChatResponse(new ChatMessage(AIChatRole.Assistant, $"It is {result.Result}.")) { FinishReason = ChatFinishReason.Stop });
            }

            if (options?.Tools?.OfType<AIFunctionDeclaration>().Any(t => t.Name == "get_weather") == true)
            {
                string city = list.Last().Text.Split(' ').Last().TrimEnd('?');
                var call = new FunctionCallContent("call_1", "get_weather", new Dictionary<string, object?> { ["city"] = city });
                return Task.FromResult(new ChatResponse(new ChatMessage(AIChatRole.Assistant, [call])) { FinishReason = ChatFinishReason.ToolCalls });
            }

            return Task.FromResult(new ChatResponse(new ChatMessage(AIChatRole.Assistant, "chat client says: " + list.Last().Text))
            {
                FinishReason = ChatFinishReason.Stop,
                Usage = new UsageDetails { InputTokenCount = 3, OutputTokenCount = 4, TotalTokenCount = 7 },
            });
        }

        public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            var response = await GetResponseAsync(messages, options, cancellationToken);
            foreach (var update in response.ToChatResponseUpdates())
            {
                foreach (var content in update.Contents.ToList())
                {
                    if (content is TextContent text)
                    {
                        foreach (string piece in text.Text.Split(' ').Select((w, i) => i == 0 ? w : " " + w))
                        {
                            await Task.Yield();
                            yield return new ChatResponseUpdate(AIChatRole.Assistant, piece);
                        }
                    }
                    else
                    {
                        yield return new ChatResponseUpdate(AIChatRole.Assistant, [content]) { FinishReason = response.FinishReason };
                    }
                }

                if (update.FinishReason is not null)
                {
                    yield return new ChatResponseUpdate { FinishReason = update.FinishReason };
                }
            }
        }

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }
}
