using System;
using System.ClientModel;
using System.Collections.Generic;
using System.Linq;
using System.Net.Http;
using System.Threading.Tasks;
using Newtonsoft.Json.Linq;
using NUnit.Framework;
using OpenPipe.Gateway.Tests.Support;

namespace OpenPipe.Gateway.Tests;

/// <summary>
/// <c>Gateway:DefaultBackend</c> empty: only routed models are served; any other gets 404
/// <c>model_not_found</c> in OpenAI's shape (logged when asked), and <c>/models</c> lists exactly the routes.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class UnroutedModelTests
{
    private FakeUpstream upstream = null!;
    private GatewayFactory gateway = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        upstream = await FakeUpstream.StartAsync();
        gateway = new GatewayFactory(upstream.BaseUrl, new Dictionary<string, string?> { ["Gateway:DefaultBackend"] = "" });
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        gateway.Dispose();
        await upstream.DisposeAsync();
    }

    [TestCase(false)]
    [TestCase(true)]
    public async Task ChatCompletions_ModelWithoutRoute_Is404ModelNotFoundInOpenAIsShapeAndLogged(bool stream)
    {
        // Arrange: a typo of a model no route serves, asked to be logged.
        string marker = Guid.NewGuid().ToString("N")[..8];
        string body = $$"""{"model":"gpt-4o","messages":[{"role":"user","content":"{{marker}}"}],"store":true,"stream":{{(stream ? "true" : "false")}}}""";
        int calls = upstream.Calls;

        // Act
        using var response = await gateway.PostAsync("/api/v1/chat/completions", body);
        var error = JObject.Parse(await response.Content.ReadAsStringAsync());
        var row = await gateway.WaitForRowAsync(r => ((string)r["request_json"]!).Contains(marker, StringComparison.Ordinal));

        // Assert
        Assert.That((int)response.StatusCode, Is.EqualTo(404));
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/json"));
        Assert.That((string?)error.SelectToken("error.code"), Is.EqualTo("model_not_found"));
        Assert.That((string?)error.SelectToken("error.type"), Is.EqualTo("invalid_request_error"));
        Assert.That((string?)error.SelectToken("error.message"), Is.EqualTo("The model `gpt-4o` does not exist or you do not have access to it."));
        Assert.That((string?)error["message"], Is.EqualTo((string?)error.SelectToken("error.message")));
        Assert.That((string?)error["code"], Is.EqualTo("NOT_FOUND"));
        Assert.That(upstream.Calls, Is.EqualTo(calls), "nothing was called");
        Assert.That(row, Is.Not.Null, "the 404 is logged, as store asked");
        Assert.That(row!["status"], Is.EqualTo(404L));
        Assert.That(row["backend"], Is.EqualTo("none"));
        Assert.That((string?)row["error"], Does.Contain("does not exist"));
    }

    [Test]
    public async Task ChatCompletions_ModelWithoutRouteNotAskedToLog_IsNotLogged()
    {
        // Arrange
        string marker = Guid.NewGuid().ToString("N")[..8];

        // Act
        using var response = await gateway.PostAsync("/api/v1/chat/completions", $$"""{"model":"gpt-4o","messages":[{"role":"user","content":"{{marker}}"}]}""");
        using var logged = await gateway.PostAsync("/api/v1/chat/completions", """{"model":"gpt-4o","messages":[{"role":"user","content":"x"}]}""", ("op-log-request", "true"));
        await gateway.WaitForRowsAsync(1, "\"content\":\"x\"");

        // Assert
        Assert.That((int)response.StatusCode, Is.EqualTo(404));
        Assert.That((await gateway.RowsAsync()).Any(r => ((string)r["request_json"]!).Contains(marker, StringComparison.Ordinal)), Is.False);
    }

    [Test]
    public async Task ChatCompletions_RoutedModel_IsStillServed()
    {
        // Act
        using var response = await gateway.PostAsync("/api/v1/chat/completions", """{"model":"up:ok","messages":[{"role":"user","content":"routed"}]}""");

        // Assert
        Assert.That((int)response.StatusCode, Is.EqualTo(200));
        Assert.That((string?)JObject.Parse(await response.Content.ReadAsStringAsync()).SelectToken("choices[0].message.content"), Is.EqualTo("upstream says: routed"));
    }

    [Test]
    public async Task Models_EmptyDefaultBackend_ListsOnlyTheRoutes()
    {
        // Arrange
        using var http = gateway.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/models");
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", GatewayFactory.Key);

        // Act
        using var response = await http.SendAsync(request);
        var list = JObject.Parse(await response.Content.ReadAsStringAsync());

        // Assert
        Assert.That(list["data"]!.Select(m => (string?)m["id"]), Is.EqualTo(new[] { "up:*" }), "echo is not served, so not listed");
    }

    [Test]
    public void OpenAISdk_ModelWithoutRoute_GetsOpenAIsModelNotFound()
    {
        // Arrange
        var chat = new OpenAI.Chat.ChatClient("gpt-4o", new ApiKeyCredential(GatewayFactory.Key), new OpenAI.OpenAIClientOptions
        {
            Endpoint = new Uri(gateway.Server.BaseAddress, "v1"),
            Transport = new System.ClientModel.Primitives.HttpClientPipelineTransport(gateway.CreateClient()),
        });

        // Act
        var error = Assert.ThrowsAsync<ClientResultException>(() => chat.CompleteChatAsync([new OpenAI.Chat.UserChatMessage("hi")]));

        // Assert
        Assert.That(error!.Status, Is.EqualTo(404));
        Assert.That(error.Message, Does.Contain("model_not_found").And.Contain("The model `gpt-4o` does not exist"));
    }
}
