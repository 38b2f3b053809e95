using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.Extensions.DependencyInjection;
using NUnit.Framework;

namespace OpenPipe.Client.Tests.WireMock;

[TestFixture]
public sealed class CompletionTests : WireMockTestBase
{
    [Test]
    public async Task CreateChatCompletionAsync_FullVendorResponse_ReadsEveryField()
    {
        // Arrange
        Server.Stub("full-response.json");
        var client = CreateClient();

        // Act
        ChatCompletion completion = await client.CreateChatCompletionAsync(Hello());

        // Assert
        var choice = completion.Choices[0];
        var message = choice.Message;
        var logprob = choice.Logprobs!.Content![0];
        var usage = completion.Usage!;
        Assert.Multiple(() =>
        {
            Assert.That(completion.Id, Is.EqualTo("chatcmpl-123"));
            Assert.That(completion.Object, Is.EqualTo("chat.completion"));
            Assert.That(completion.Created, Is.EqualTo(1732233600));
            Assert.That(completion.Model, Is.EqualTo("openpipe:test-model"));
            Assert.That(completion.Choices, Has.Count.EqualTo(2));
            Assert.That(choice.FinishReason, Is.EqualTo(FinishReason.ToolCalls));
            Assert.That(choice.Index, Is.Zero);
            Assert.That(message.Role, Is.EqualTo("assistant"));
            Assert.That(message.ReasoningContent, Is.EqualTo("The user wants the weather."));
            Assert.That(message.Content, Is.EqualTo("Let me check."));
            Assert.That(message.Refusal, Is.EqualTo(string.Empty));
            Assert.That(message.FunctionCall!.Name, Is.EqualTo("legacy"));
            Assert.That(message.FunctionCall.Arguments, Is.EqualTo("{}"));
            Assert.That(message.ToolCalls![0].Id, Is.EqualTo("call_1"));
            Assert.That(message.ToolCalls[0].Type, Is.EqualTo(ToolType.Function));
            Assert.That(message.ToolCalls[0].Function.Name, Is.EqualTo("get_weather"));
            Assert.That(message.ToolCalls[0].Function.Arguments, Is.EqualTo("{\"city\":\"Paris\"}"));
            Assert.That(logprob.Token, Is.EqualTo("Let"));
            Assert.That(logprob.Bytes, Is.EqualTo(new double[] { 76, 101, 116 }));
            Assert.That(logprob.Logprob, Is.EqualTo(-0.25));
            Assert.That(logprob.TopLogprobs.Select(t => t.Token), Is.EqualTo(new[] { "Let", "I" }));
            Assert.That(logprob.TopLogprobs[1].Logprob, Is.EqualTo(-1.5));
            Assert.That(choice.Logprobs.Refusal![0].Logprob, Is.EqualTo(-9.5));
            Assert.That(choice.ContentFilterResults!.ContainsKey("hate"), Is.True);
            Assert.That(choice.CriteriaResults!["is-helpful@v1"].Score, Is.EqualTo(0.9));
            Assert.That(choice.CriteriaResults["is-helpful@v1"].Explanation, Is.EqualTo("Answers the question."));
            Assert.That(choice.CriteriaResults["is-safe@v2"].ErrorCode, Is.EqualTo(500));
            Assert.That(choice.CriteriaResults["is-safe@v2"].ErrorMessage, Is.EqualTo("Judge timed out."));
            Assert.That(choice.CriteriaResults["is-new@v1"].AdditionalProperties["status"], Is.EqualTo("pending"));
            Assert.That(completion.Choices[1].FinishReason.Value, Is.EqualTo("guardrail"));
            Assert.That(usage.PromptTokens, Is.EqualTo(120));
            Assert.That(usage.CompletionTokens, Is.EqualTo(30));
            Assert.That(usage.TotalTokens, Is.EqualTo(150));
            Assert.That(usage.PromptCacheHitTokens, Is.EqualTo(100));
            Assert.That(usage.PromptCacheMissTokens, Is.EqualTo(20));
            Assert.That(usage.CompletionTokensDetails!.ReasoningTokens, Is.EqualTo(10));
            Assert.That(usage.CompletionTokensDetails.AudioTokens, Is.Zero);
            Assert.That(usage.CompletionTokensDetails.TextTokens, Is.EqualTo(20));
            Assert.That(usage.CompletionTokensDetails.AcceptedPredictionTokens, Is.EqualTo(1));
            Assert.That(usage.CompletionTokensDetails.RejectedPredictionTokens, Is.EqualTo(2));
            Assert.That(usage.PromptTokensDetails!.CachedTokens, Is.EqualTo(100));
            Assert.That(usage.PromptTokensDetails.AudioTokens, Is.Zero);
            Assert.That(usage.Criteria!["is-helpful@v1"].TotalTokens, Is.EqualTo(42));
            Assert.That(completion.SystemFingerprint, Is.EqualTo("fp_unknown_property"));
        });
    }

    [Test]
    public async Task CreateChatCompletionAsync_WithOptionsAndHeaders_SendsExactlyTheContractJsonAndHeaders()
    {
        // Arrange: the stub matches only the exact body (no extra or null fields) and headers.
        Server.Stub("request-contract.json");
        var client = CreateClient();
        var request = new ChatCompletionRequest
        {
            Model = "openpipe:test-model",
            Messages =
            [
                new SystemMessage { Content = "Be brief." },
                new UserMessage
                {
                    Content = new ChatMessageContentPart[]
                    {
                        new TextContentPart { Text = "Hi" },
                        new ImageContentPart { ImageUrl = new ImageUrl { Url = "https://example.test/cat.png", Detail = ImageDetail.Low } },
                    },
                },
            ],
            Temperature = 0.5,
            MaxTokens = 64,
            N = 1,
            ToolChoice = ToolChoiceOption.Auto,
            Stop = new[] { "END" },
            Store = true,
            Metadata = new Dictionary<string, string> { ["user"] = "ada" },
        };
        var options = new OpenPipeRequestOptions
        {
            LogRequest = true,
            Cache = CacheMode.ReadOnly,
            Tags = new Dictionary<string, TagValue> { ["prompt_id"] = "weather-v2" },
            Criteria = ["is-helpful@v1"],
        };

        // Act
        var completion = await client.CreateChatCompletionAsync(request, options);

        // Assert
        Assert.That(completion.Choices[0].Message.Content, Is.EqualTo("Hello!"));
        var sent = Server.Requests.Single();
        Assert.That(sent.RequestMessage.Body, Does.Not.Contain("null"), "unset optional fields are absent, not null");
    }

    [Test]
    public async Task CreateChatCompletionAsync_MinimalRequest_LeavesUnsetFieldsOutOfTheBody()
    {
        // Arrange
        Server.Stub("minimal-request.json");
        var client = CreateClient();

        // Act
        var completion = await client.CreateChatCompletionAsync(Hello("m"));

        // Assert
        Assert.That(completion.Id, Is.EqualTo("chatcmpl-small"));
        Assert.That(Server.Unmatched, Is.Empty);
    }

    [Test]
    public void CreateChatCompletionAsync_NoApiKeyAnywhere_ThrowsBeforeSendingAnything()
    {
        // Arrange
        string? saved = Environment.GetEnvironmentVariable(OpenPipeClientOptions.ApiKeyEnvironmentVariable);
        Environment.SetEnvironmentVariable(OpenPipeClientOptions.ApiKeyEnvironmentVariable, null);
        try
        {
            var client = CreateClient(o => o.ApiKey = null);

            // Act
            var error = Assert.ThrowsAsync<InvalidOperationException>(() => client.CreateChatCompletionAsync(Hello()));

            // Assert
            Assert.That(error!.Message, Does.Contain("OPENPIPE_API_KEY"));
            Assert.That(Server.Requests, Is.Empty);
        }
        finally
        {
            Environment.SetEnvironmentVariable(OpenPipeClientOptions.ApiKeyEnvironmentVariable, saved);
        }
    }

    [Test]
    public async Task Options_KeyAndBaseUrlFromEnvironment_AreUsed()
    {
        // Arrange
        Server.Stub("minimal-request.json");
        string? savedKey = Environment.GetEnvironmentVariable(OpenPipeClientOptions.ApiKeyEnvironmentVariable);
        string? savedUrl = Environment.GetEnvironmentVariable(OpenPipeClientOptions.BaseUrlEnvironmentVariable);
        Environment.SetEnvironmentVariable(OpenPipeClientOptions.ApiKeyEnvironmentVariable, ApiKey);
        Environment.SetEnvironmentVariable(OpenPipeClientOptions.BaseUrlEnvironmentVariable, Server.ApiBaseUrl.ToString());
        try
        {
            using var client = new OpenPipeClient(new OpenPipeClientOptions());

            // Act
            var completion = await client.CreateChatCompletionAsync(Hello("m"));

            // Assert
            Assert.That(completion.Id, Is.EqualTo("chatcmpl-small"));
            Assert.That(new OpenPipeClientOptions { ApiKey = null, BaseUrl = null }.ResolveBaseUrl(), Is.EqualTo(Server.ApiBaseUrl));
        }
        finally
        {
            Environment.SetEnvironmentVariable(OpenPipeClientOptions.ApiKeyEnvironmentVariable, savedKey);
            Environment.SetEnvironmentVariable(OpenPipeClientOptions.BaseUrlEnvironmentVariable, savedUrl);
        }

        Assert.That(new OpenPipeClientOptions().ResolveBaseUrl(), Is.EqualTo(savedUrl is null ? OpenPipeClientOptions.DefaultBaseUrl : new Uri(savedUrl)));
    }

    [Test]
    public async Task AddOpenPipeClient_TypedClientFromDependencyInjection_CallsTheApiWithRetries()
    {
        // Arrange: a 429 first, so the retry handler of the typed client must be in place.
        Server.Stub("retry-after-then-success.json", ("RETRY_AFTER", "0"));
        var services = new ServiceCollection();
        services.AddOpenPipeClient(o =>
        {
            o.ApiKey = ApiKey;
            o.BaseUrl = Server.ApiBaseUrl;
            o.RetryBaseDelay = TimeSpan.FromMilliseconds(10);
        });
        await using var provider = services.BuildServiceProvider();
        var client = provider.GetRequiredService<IOpenPipeClient>();

        // Act
        var completion = await client.CreateChatCompletionAsync(Hello());

        // Assert
        Assert.That(completion.Id, Is.EqualTo("chatcmpl-small"));
        Assert.That(Server.Requests, Has.Count.EqualTo(2));
        Assert.That(provider.GetRequiredService<OpenPipeClient>(), Is.Not.Null);
    }

    [Test]
    public void CreateChatCompletionAsync_RequestWithStreamTrue_ThrowsArgumentException()
    {
        // Arrange
        var client = CreateClient();
        var request = Hello();
        request.Stream = true;

        // Act + Assert
        Assert.ThrowsAsync<ArgumentException>(() => client.CreateChatCompletionAsync(request));
    }
}
