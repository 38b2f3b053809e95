using System;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Reflection;
using System.Text;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Mvc;
using NUnit.Framework;
using OpenPipe.Client;

namespace OpenPipe.Server.Tests;

/// <summary>The handler contract follows the spec, and what a handler returns is spec-valid or reported.</summary>
[TestFixture]
public sealed class ContractTests
{
    [Test]
    public void ChatCompletionContext_ParsesEveryHeaderTheSpecDeclares()
    {
        // Arrange: the headers NSwag generated from the spec's parameters.
        var action = typeof(ChatCompletionsControllerBase).GetMethod(nameof(ChatCompletionsControllerBase.CreateChatCompletion))!;
        var specHeaders = action.GetParameters().Select(p => p.GetCustomAttribute<FromHeaderAttribute>()?.Name).OfType<string>().ToArray();

        // Assert: a header added to the spec fails here until the context parses it.
        Assert.That(specHeaders, Is.Not.Empty);
        Assert.That(ChatCompletionContext.HeaderNames, Is.EquivalentTo(specHeaders));
    }

    [TestCase(typeof(ChatCompletion), nameof(ChatCompletion.Created), typeof(long))]
    [TestCase(typeof(ChatCompletionChunk), nameof(ChatCompletionChunk.Created), typeof(long))]
    [TestCase(typeof(ChatCompletionChoice), nameof(ChatCompletionChoice.Index), typeof(int))]
    [TestCase(typeof(ChatCompletionChunkChoice), nameof(ChatCompletionChunkChoice.Index), typeof(int))]
    [TestCase(typeof(ChatCompletionChunkToolCall), nameof(ChatCompletionChunkToolCall.Index), typeof(int))]
    [TestCase(typeof(Usage), nameof(Usage.TotalTokens), typeof(int))]
    public void GeneratedResponseTypes_WholeNumberFields_AreIntegers(Type type, string property, Type expected)
    {
        // A fractional value (created = 1.5) does not compile against these.
        Assert.That(type.GetProperty(property)!.PropertyType, Is.EqualTo(expected));
    }

    [Test]
    public void Factories_BuildSpecValidResponses()
    {
        var at = DateTimeOffset.FromUnixTimeMilliseconds(1_732_233_600_900);
        var completion = ChatCompletion.FromText("m", "hi", Usage.Create(3, 4), created: at);
        var chunk = ChatCompletionChunk.Delta("chatcmpl-1", "m", at, new ChatCompletionChunkDelta { Content = "hi" });

        string json = OpenPipeJson.Serialize(completion);
        Assert.That(json, Does.Contain("\"object\":\"chat.completion\"").And.Contain("\"created\":1732233600,").And.Contain("\"total_tokens\":7"));
        Assert.That(completion.Id, Does.StartWith("chatcmpl-"));
        Assert.That(completion.Choices.Single().FinishReason, Is.EqualTo(FinishReason.Stop));
        Assert.That(OpenPipeJson.Serialize(chunk), Does.Contain("\"object\":\"chat.completion.chunk\"").And.Contain("\"created\":1732233600,").And.Contain("\"index\":0"));
        Assert.Throws<ArgumentException>(() => ChatCompletion.FromText("", "x"));
        Assert.Throws<ArgumentOutOfRangeException>(() => Usage.Create(-1, 0));
    }

    [TestCase("Development", true)]
    [TestCase("Production", false)]
    public async Task ResponseCheck_HandlerForgetsObject_LogsTheViolationInDevelopment(string environment, bool expectLog)
    {
        // Arrange: the test handler builds this completion by hand and leaves `object` unset.
        await using var app = await TestApp.StartAsync(Mapping.MinimalApi, environment: environment);
        using var http = app.CreateTestClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/chat/completions")
        {
            Content = new StringContent("""{"model":"invalid-output","messages":[{"role":"user","content":"x"}]}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", TestApp.GoodKey);

        // Act
        using var response = await http.SendAsync(request);

        // Assert
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), "the check reports; it does not change the answer");
        var lines = app.Logs.Lines.Where(l => l.Contains("Response check", StringComparison.Ordinal)).ToList();
        if (expectLog)
        {
            Assert.That(lines, Has.Count.EqualTo(1), "the first violation, once");
            Assert.That(lines[0], Does.Contain("ChatCompletion breaks the spec at object: object is missing; the spec requires \"chat.completion\"."));
        }
        else
        {
            Assert.That(lines, Is.Empty);
        }
    }

    [Test]
    public async Task ResponseCheck_ValidHandlerOutput_LogsNothing()
    {
        await using var app = await TestApp.StartAsync(Mapping.MinimalApi, environment: "Development");
        using var http = app.CreateTestClient();
        foreach (string stream in new[] { "false", "true" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/chat/completions")
            {
                Content = new StringContent($$"""{"model":"m","stream":{{stream}},"messages":[{"role":"user","content":"a b"}]}""", Encoding.UTF8, "application/json"),
            };
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", TestApp.GoodKey);
            app.Probe.ChunkDelay = TimeSpan.Zero;
            using var response = await http.SendAsync(request);
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            await response.Content.ReadAsStringAsync();
        }

        Assert.That(app.Logs.Lines.Where(l => l.Contains("Response check", StringComparison.Ordinal)), Is.Empty);
    }
}
