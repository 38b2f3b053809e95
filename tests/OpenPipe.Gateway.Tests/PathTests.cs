using System;
using System.ClientModel;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Text;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Newtonsoft.Json.Linq;
using NUnit.Framework;
using OpenAI;
using OpenAI.Chat;
using OpenAI.Models;

namespace OpenPipe.Gateway.Tests;

// Inside the namespace: OpenPipe.ChatCompletion, of an enclosing namespace, would win over a using outside it.
using ChatCompletion = OpenAI.Chat.ChatCompletion;

/// <summary>
/// OpenAI's path shape (<c>/v1/...</c>, where OpenAI's SDKs send by default) served as <c>/api/v1/...</c>,
/// with the OpenAI .NET SDK on a real Kestrel; and a JSON error in the API's shape for every path or
/// method the gateway does not serve.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class PathTests
{
    private GatewayFactory gateway = null!;
    private Uri baseUrl = null!;

    [OneTimeSetUp]
    public void Start()
    {
        gateway = new GatewayFactory(new Uri("http://127.0.0.1:9/v1"));
        gateway.UseKestrel(0);
        gateway.StartServer();
        string address = gateway.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        baseUrl = new Uri(address.Replace("localhost", "127.0.0.1", StringComparison.Ordinal));
    }

    [OneTimeTearDown]
    public void Stop() => gateway.Dispose();

    private OpenAIClient Sdk(string key = GatewayFactory.Key) =>
        new(new ApiKeyCredential(key), new OpenAIClientOptions { Endpoint = new Uri(baseUrl, "v1"), RetryPolicy = new System.ClientModel.Primitives.ClientRetryPolicy(0) });

    [Test]
    public async Task OpenAISdk_DefaultV1Path_CompletesAndIsLogged()
    {
        // Arrange
        var chat = Sdk().GetChatClient("echo");
        string text = "hello from the sdk " + Guid.NewGuid().ToString("N")[..8];

        // Act
        ClientResult<ChatCompletion> result = await chat.CompleteChatAsync([new UserChatMessage(text)], new ChatCompletionOptions { StoredOutputEnabled = true });
        var row = await gateway.WaitForRowAsync(r => ((string)r["request_json"]!).Contains(text, StringComparison.Ordinal));

        // Assert
        Assert.That(result.Value.Content[0].Text, Is.EqualTo(text));
        Assert.That(result.Value.Usage.TotalTokenCount, Is.GreaterThan(0));
        Assert.That(row, Is.Not.Null, "store: true through /v1 is logged as through /api/v1");
        Assert.That(row!["status"], Is.EqualTo(200L));
    }

    [Test]
    public async Task OpenAISdk_DefaultV1Path_Streams()
    {
        // Arrange
        var chat = Sdk().GetChatClient("echo");
        var text = new StringBuilder();
        ChatFinishReason? finish = null;

        // Act
        await foreach (StreamingChatCompletionUpdate update in chat.CompleteChatStreamingAsync([new UserChatMessage("one two three")]))
        {
            foreach (var part in update.ContentUpdate)
            {
                text.Append(part.Text);
            }

            finish ??= update.FinishReason;
        }

        // Assert
        Assert.That(text.ToString(), Is.EqualTo("one two three"));
        Assert.That(finish, Is.EqualTo(ChatFinishReason.Stop));
    }

    [Test]
    public async Task OpenAISdk_DefaultV1Path_ListsModels()
    {
        // Act
        ClientResult<OpenAIModelCollection> models = await Sdk().GetOpenAIModelClient().GetModelsAsync();

        // Assert
        Assert.That(models.Value.Select(m => m.Id), Is.EquivalentTo(new[] { "up:*", "echo" }));
    }

    [Test]
    public void OpenAISdk_V1PathWithAWrongKey_Is401AsOnApiV1()
    {
        // Act
        var error = Assert.ThrowsAsync<ClientResultException>(() => Sdk("wrong-key").GetChatClient("echo").CompleteChatAsync([new UserChatMessage("hi")]));

        // Assert
        Assert.That(error!.Status, Is.EqualTo(401));
    }

    [TestCase("/")]
    [TestCase("/v2/chat/completions")]
    [TestCase("//api/v1/chat/completions")]
    [TestCase("/api/v1/nothing-here")]
    [TestCase("/v1/nothing-here")]
    [TestCase("/v1")]
    [TestCase("/api")]
    [TestCase("/v10/chat/completions")]
    public async Task UnknownPath_AnyMethod_IsJson404InTheApisShape(string path)
    {
        // Arrange
        using var http = new HttpClient { BaseAddress = baseUrl };

        foreach (var method in new[] { HttpMethod.Get, HttpMethod.Post })
        {
            using var request = new HttpRequestMessage(method, new Uri(baseUrl.GetLeftPart(UriPartial.Authority) + path)) { Content = method == HttpMethod.Post ? new StringContent("{}", Encoding.UTF8, "application/json") : null };
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", GatewayFactory.Key);

            // Act
            using var response = await http.SendAsync(request);
            string body = await response.Content.ReadAsStringAsync();

            // Assert
            Assert.That(response.RequestMessage!.RequestUri!.AbsolutePath, Is.EqualTo(path), "the path was sent as written");
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.NotFound), body);
            Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/json"));
            var error = JObject.Parse(body);
            Assert.That((string?)error["code"], Is.EqualTo("NOT_FOUND"));
            Assert.That((string?)error["message"], Does.Contain($"{method.Method} {path}"));
            Assert.That((string?)error.SelectToken("error.code"), Is.EqualTo("NOT_FOUND"));
            Assert.That((string?)error.SelectToken("error.type"), Is.EqualTo("not_found_error"));
        }
    }

    [TestCase("GET", "/api/v1/chat/completions", "POST")]
    [TestCase("PUT", "/v1/chat/completions", "POST")]
    [TestCase("POST", "/api/v1/models", "GET")]
    [TestCase("DELETE", "/v1/models", "GET")]
    [TestCase("GET", "/v1/report", "POST")]
    [TestCase("GET", "/api/v1/logs/update-tags", "POST")]
    public async Task KnownRoute_OtherMethod_IsJson405WithAllow(string method, string path, string allowed)
    {
        // Arrange
        using var http = new HttpClient { BaseAddress = baseUrl };
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", GatewayFactory.Key);

        // Act
        using var response = await http.SendAsync(request);
        string body = await response.Content.ReadAsStringAsync();

        // Assert
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.MethodNotAllowed), body);
        Assert.That(response.Content.Headers.Allow, Is.EquivalentTo(new[] { allowed }));
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/json"));
        var error = JObject.Parse(body);
        Assert.That((string?)error["code"], Is.EqualTo("METHOD_NOT_SUPPORTED"));
        Assert.That((string?)error["message"], Does.Contain(method).And.Contain(allowed));
        Assert.That((string?)error.SelectToken("error.type"), Is.EqualTo("invalid_request_error"));
    }

    [Test]
    public async Task V1Path_WithoutKey_Is401WithTheApisErrorAsOnApiV1()
    {
        // Arrange
        using var http = new HttpClient { BaseAddress = baseUrl };
        var responses = new List<(HttpStatusCode Status, string Body, string? Challenge)>();

        // Act
        foreach (string path in new[] { "/api/v1/chat/completions", "/v1/chat/completions" })
        {
            using var response = await http.PostAsync(path, new StringContent("""{"model":"echo","messages":[{"role":"user","content":"x"}]}""", Encoding.UTF8, "application/json"));
            responses.Add((response.StatusCode, await response.Content.ReadAsStringAsync(), response.Headers.WwwAuthenticate.SingleOrDefault()?.Scheme));
        }

        // Assert
        Assert.That(responses[1], Is.EqualTo(responses[0]));
        Assert.That(responses[1].Status, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(responses[1].Challenge, Is.EqualTo("Bearer"));
    }
}
