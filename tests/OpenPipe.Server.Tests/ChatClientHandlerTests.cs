using System;
using System.Collections.Generic;
using System.Linq;
using System.Net.Http;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using NUnit.Framework;
using OpenPipe.Client;
using AIChatRole = Microsoft.Extensions.AI.ChatRole;

namespace OpenPipe.Server.Tests;

/// <summary>An IChatClient served through MapOpenPipeChatCompletions with ChatClientCompletionHandler.</summary>
[TestFixture]
public sealed class ChatClientHandlerTests
{
    private const string Key = "sk-chat-client-handler";
    private static readonly TimeSpan TestTimeout = TimeSpan.FromSeconds(30);
    private readonly RecordingChatClient chatClient = new();
    private WebApplication app = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production" });
        builder.Logging.ClearProviders();
        builder.WebHost.UseTestServer();
        builder.Services.AddChatClient(chatClient);
        builder.Services.AddOpenPipeServer<ChatClientCompletionHandler>(o => o.ApiKeys.Add(Key));
        app = builder.Build();
        app.MapOpenPipeChatCompletions();
        await app.StartAsync();
    }

    [OneTimeTearDown]
    public async Task StopAsync() => await app.DisposeAsync();

    [Test]
    public async Task Post_WithOpenPipeHeaders_ReachesTheChatClientAsOptionKeysAndAnswersItsText()
    {
        // Arrange
        using var client = CreateClient();
        using var cts = new CancellationTokenSource(TestTimeout);
        var request = new ChatCompletionRequest { Model = "served-model", Temperature = 0.25, Messages = [new SystemMessage { Content = "be short" }, new UserMessage { Content = "hello" }] };

        // Act
        var completion = await client.CreateChatCompletionAsync(request, new OpenPipeRequestOptions
        {
            Tags = new Dictionary<string, TagValue> { ["prompt_id"] = "p7", ["attempt"] = 2, ["cached"] = false },
            Cache = CacheMode.ReadOnly,
            LogRequest = true,
            Criteria = ["crit-a"],
        }, cts.Token);

        // Assert
        Assert.That(completion.Choices.Single().Message.Content, Is.EqualTo("served: hello"));
        Assert.That(completion.Usage!.TotalTokens, Is.EqualTo(5));
        var seen = chatClient.LastOptions!;
        Assert.That(seen.ModelId, Is.EqualTo("served-model"));
        Assert.That(seen.Temperature, Is.EqualTo(0.25f));
        Assert.That(chatClient.LastMessages.Select(m => m.Role), Is.EqualTo(new[] { AIChatRole.System, AIChatRole.User }));
        var tags = (IDictionary<string, TagValue>)seen.AdditionalProperties![OpenPipeChatOptionKeys.Tags]!;
        Assert.That(tags["prompt_id"], Is.EqualTo(TagValue.FromString("p7")));
        Assert.That(tags["attempt"].Kind, Is.EqualTo(TagValueKind.Number), "a number tag stays a number");
        Assert.That(tags["attempt"].TryGetInt64(out long attempt) && attempt == 2, Is.True);
        Assert.That(tags["cached"], Is.EqualTo(TagValue.FromBoolean(false)));
        Assert.That(seen.AdditionalProperties[OpenPipeChatOptionKeys.Cache], Is.EqualTo(CacheMode.ReadOnly));
        Assert.That(seen.AdditionalProperties[OpenPipeChatOptionKeys.LogRequest], Is.EqualTo(true));
        Assert.That(seen.AdditionalProperties[OpenPipeChatOptionKeys.Criteria], Is.EqualTo(new[] { "crit-a" }));
    }

    [Test]
    public async Task Post_Stream_SendsTheUpdatesAsChunksThenFinishAndUsage()
    {
        // Arrange
        using var client = CreateClient();
        using var cts = new CancellationTokenSource(TestTimeout);
        var request = new ChatCompletionRequest { Model = "served-model", Messages = [new UserMessage { Content = "one two" }], StreamOptions = new StreamOptions { IncludeUsage = true } };

        // Act
        var chunks = new List<ChatCompletionChunk>();
        await foreach (var chunk in client.CreateChatCompletionStreamingAsync(request, cts.Token))
        {
            chunks.Add(chunk);
        }

        // Assert
        Assert.That(string.Concat(chunks.SelectMany(c => c.Choices).Select(c => c.Delta.Content)), Is.EqualTo("served: one two"));
        Assert.That(chunks.SelectMany(c => c.Choices).Last(c => c.FinishReason is not null).FinishReason, Is.EqualTo(FinishReason.Stop));
        Assert.That(chunks[^1].Usage!.TotalTokens, Is.EqualTo(5));
    }

    private OpenPipeClient CreateClient()
    {
        var options = new OpenPipeClientOptions { ApiKey = Key, MaxRetries = 0 };
        var http = app.GetTestClient();
        options.BaseUrl = new Uri(http.BaseAddress!, "api/v1");
        var handler = new OpenPipeResilienceHandler(options) { InnerHandler = app.GetTestServer().CreateHandler() };
        return new OpenPipeClient(new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan }, Microsoft.Extensions.Options.Options.Create(options));
    }

    /// <summary>Answers "served: " and the last message (usage 2 + 3), word by word when streaming, and keeps what it was asked.</summary>
    private sealed class RecordingChatClient : IChatClient
    {
        public ChatOptions? LastOptions { get; private set; }

        public List<ChatMessage> LastMessages { get; private set; } = [];

        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            LastMessages = messages.ToList();
            LastOptions = options;
            return Task.FromResult(new ChatResponse(new ChatMessage(AIChatRole.Assistant, "served: " + LastMessages.Last().Text))
            {
                FinishReason = ChatFinishReason.Stop,
                Usage = new UsageDetails { InputTokenCount = 2, OutputTokenCount = 3, TotalTokenCount = 5 },
            });
        }

        public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            var response = await GetResponseAsync(messages, options, cancellationToken);
            string[] words = response.Text.Split(' ');
            for (int i = 0; i < words.Length; i++)
            {
                yield return new ChatResponseUpdate(AIChatRole.Assistant, (i == 0 ? string.Empty : " ") + words[i]);
            }

            yield return new ChatResponseUpdate { FinishReason = ChatFinishReason.Stop, Contents = [new UsageContent(response.Usage!)] };
        }

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }

    [Test]
    public void ToChatOptions_Request_RawFactoryGivesAFreshCopyWithoutMessages()
    {
        // Arrange
        var original = new ChatCompletionRequest { Model = "m", Temperature = 0.4, Messages = [new UserMessage { Content = "hi" }] };
        original.AdditionalProperties["x_vendor"] = "kept";

        // Act
        var options = OpenPipeChatMapping.ToChatOptions(original);
        var first = (ChatCompletionRequest)options.RawRepresentationFactory!(null!)!;
        var second = (ChatCompletionRequest)options.RawRepresentationFactory!(null!)!;

        // Assert
        Assert.That(first, Is.Not.SameAs(second).And.Not.SameAs(original));
        Assert.That(first.Messages, Is.Empty);
        Assert.That(original.Messages, Has.Count.EqualTo(1), "the request itself is untouched");
        Assert.That(first.Temperature, Is.EqualTo(0.4));
        Assert.That(first.AdditionalProperties["x_vendor"]?.ToString(), Is.EqualTo("kept"));
    }
}
