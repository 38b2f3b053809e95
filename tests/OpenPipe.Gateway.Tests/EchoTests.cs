using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using NUnit.Framework;
using OpenPipe.Client;

namespace OpenPipe.Gateway.Tests;

/// <summary>The embedded echo backend through the generated client.</summary>
[TestFixture]
public sealed class EchoTests
{
    private GatewayFactory factory = null!;

    [OneTimeSetUp]
    public void Start() => factory = new GatewayFactory(new System.Uri("http://127.0.0.1:9/v1"));

    [OneTimeTearDown]
    public void Stop() => factory.Dispose();

    private static ChatCompletionRequest Request(string text) => new()
    {
        Model = "echo",
        Messages = [new SystemMessage { Content = "be nice" }, new UserMessage { Content = text }],
    };

    [Test]
    public async Task CreateChatCompletionAsync_Echo_AnswersTheLastUserMessageWithUsage()
    {
        using var client = factory.CreateOpenPipeClient();
        var completion = await client.CreateChatCompletionAsync(Request("the quick brown fox"));
        Assert.That(completion.Choices.Single().Message.Content, Is.EqualTo("the quick brown fox"));
        Assert.That(completion.Choices[0].FinishReason, Is.EqualTo(FinishReason.Stop));
        Assert.That(completion.Usage!.PromptTokens, Is.EqualTo(6), "2 system words + 4 user words");
        Assert.That(completion.Usage.CompletionTokens, Is.EqualTo(4));
        Assert.That(completion.Usage.TotalTokens, Is.EqualTo(10));
    }

    [Test]
    public async Task CreateChatCompletionAsync_SameRequestTwice_IsDeterministic()
    {
        using var client = factory.CreateOpenPipeClient();
        var first = await client.CreateChatCompletionAsync(Request("same"));
        var second = await client.CreateChatCompletionAsync(Request("same"));
        Assert.That(second.Id, Is.EqualTo(first.Id));
        Assert.That(second.Choices[0].Message.Content, Is.EqualTo(first.Choices[0].Message.Content));
    }

    [Test]
    public async Task CreateChatCompletionStreamingAsync_Echo_StreamsWordByWord()
    {
        using var client = factory.CreateOpenPipeClient();
        var request = Request("one two three");
        request.StreamOptions = new StreamOptions { IncludeUsage = true };
        var chunks = new List<ChatCompletionChunk>();
        await foreach (var chunk in client.CreateChatCompletionStreamingAsync(request))
        {
            chunks.Add(chunk);
        }

        var words = chunks.SelectMany(c => c.Choices).Select(c => c.Delta.Content).Where(c => !string.IsNullOrEmpty(c)).ToList();
        Assert.That(words, Is.EqualTo(new[] { "one", " two", " three" }));
        Assert.That(chunks.Last().Usage!.CompletionTokens, Is.EqualTo(3));
        var merged = new ChatCompletionAccumulator();
        chunks.ForEach(merged.Append);
        Assert.That(merged.ToChatCompletion().Choices[0].Message.Content, Is.EqualTo("one two three"));
    }

    [Test]
    public async Task CreateChatCompletionAsync_NGreaterThanOneAndMaxTokens_AreHonoured()
    {
        using var client = factory.CreateOpenPipeClient();
        var request = Request("a b c d e");
        request.N = 3;
        request.MaxTokens = 2;

        var completion = await client.CreateChatCompletionAsync(request);
        var streamed = await client.CreateChatCompletionStreamingAsync(request).ToChatCompletionAsync();

        Assert.That(completion.Choices.Select(c => (int)c.Index), Is.EqualTo(new[] { 0, 1, 2 }));
        Assert.That(completion.Choices.Select(c => c.Message.Content), Is.All.EqualTo("a b"));
        Assert.That(completion.Choices.Select(c => c.FinishReason), Is.All.EqualTo(FinishReason.Length));
        Assert.That(completion.Usage!.CompletionTokens, Is.EqualTo(6));
        Assert.That(streamed.Choices.Select(c => c.Message.Content), Is.EqualTo(new[] { "a b", "a b", "a b" }));
    }

    [Test]
    public void CreateChatCompletionAsync_BadKey_Gets401()
    {
        using var client = factory.CreateOpenPipeClient("wrong-key");
        var error = Assert.ThrowsAsync<OpenPipeApiException>(() => client.CreateChatCompletionAsync(Request("x")));
        Assert.That(error!.StatusCode, Is.EqualTo(401));
        Assert.That(error.ErrorCode, Is.EqualTo("UNAUTHORIZED"));
    }

    [Test]
    public async Task Healthz_WithoutAuth_AnswersOk()
    {
        using var http = factory.CreateClient();
        Assert.That(await http.GetStringAsync("/healthz"), Is.EqualTo("ok"));
    }
}
