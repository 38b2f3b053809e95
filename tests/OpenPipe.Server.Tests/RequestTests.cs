using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Text;
using System.Threading.Tasks;
using Newtonsoft.Json.Linq;
using NUnit.Framework;
using OpenPipe.Client;

namespace OpenPipe.Server.Tests;

/// <summary>Request/response cases through the in-memory test server, for each mapping: bad input, auth, errors.</summary>
[TestFixture(Mapping.MinimalApi)]
[TestFixture(Mapping.HandlerController)]
[TestFixture(Mapping.DerivedController)]
public sealed class RequestTests(Mapping mapping)
{
    private const string Valid = """{"model":"m","messages":[{"role":"user","content":"hi there"}]}""";
    private TestApp app = null!;
    private HttpClient http = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        app = await TestApp.StartAsync(mapping);
        http = app.CreateTestClient();
    }

    [SetUp]
    public void ResetProbe() => app.Probe.Reset();

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        http.Dispose();
        await app.DisposeAsync();
    }

    private static HttpRequestMessage Post(string body, string? key = TestApp.GoodKey, string contentType = "application/json", string path = "/api/v1/chat/completions")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        if (key is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + key);
        }

        return request;
    }

    private async Task<(HttpStatusCode Status, JObject Body, HttpResponseMessage Response)> SendAsync(HttpRequestMessage request)
    {
        var response = await http.SendAsync(request);
        string text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, JObject.Parse(text), response);
    }

    private static void AssertErrorShape(JObject body, string code)
    {
        Assert.That((string?)body["code"], Is.EqualTo(code));
        Assert.That((string?)body["message"], Is.Not.Empty);
        Assert.That((string?)body["error"]!["code"], Is.EqualTo(code), "the OpenAI-style error object carries the same code");
        Assert.That((string?)body["error"]!["message"], Is.EqualTo((string?)body["message"]));
    }

    private static string[][] IssuePaths(JObject body) =>
        body["issues"]!.Select(i => i["path"]!.Select(p => (string)p!).ToArray()).ToArray();

    [Test]
    public async Task Post_ValidRequest_Returns200WithTheCompletionAndTheCallersKeyId()
    {
        // Act
        var (status, body, response) = await SendAsync(Post(Valid));

        // Assert
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(response.Content.Headers.ContentType!.MediaType, Is.EqualTo("application/json"));
        Assert.That((string?)body["choices"]![0]!["message"]!["content"], Is.EqualTo("echo: hi there"));
        Assert.That((string?)body["key_id"], Is.EqualTo(OpenPipeCaller.KeyIdOf(TestApp.GoodKey)));
        Assert.That(body["choices"]![0]!["logprobs"], Is.Null, "unset optional fields are left out");
    }

    [Test]
    public async Task Post_MalformedJson_Returns400()
    {
        var (status, body, _) = await SendAsync(Post("""{"model": "m", "messages": [""" ));
        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest));
        AssertErrorShape(body, "BAD_REQUEST");
    }

    [Test]
    public async Task Post_MissingModelAndMessages_Returns400NamingBothFields()
    {
        var (status, body, _) = await SendAsync(Post("""{"temperature": 1}"""));
        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest));
        AssertErrorShape(body, "BAD_REQUEST");
        var paths = IssuePaths(body).Select(p => string.Join('.', p)).ToList();
        Assert.That(paths, Is.EquivalentTo(new[] { "model", "messages" }));
    }

    [TestCase("""{"model":null,"messages":[{"role":"user","content":"x"}]}""", "model")]
    [TestCase("""{"model":"m","messages":null}""", "messages")]
    [TestCase("""{"model":"m","messages":[{"role":"user","content":"x"},{"role":"tool","content":"r"}]}""", "messages.1.tool_call_id")]
    public async Task Post_RequiredMemberNullOrMissing_Returns400NamingIt(string json, string field)
    {
        var (status, body, _) = await SendAsync(Post(json));
        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest));
        AssertErrorShape(body, "BAD_REQUEST");
        Assert.That(IssuePaths(body).Select(p => string.Join('.', p)), Does.Contain(field));
    }

    [Test]
    public async Task Post_WrongType_Returns400NamingTheField()
    {
        var (status, body, _) = await SendAsync(Post("""{"model":"m","messages":[{"role":"user","content":"x"}],"temperature":"hot"}"""));
        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(IssuePaths(body).Select(p => string.Join('.', p)), Does.Contain("temperature"));
    }

    [TestCase("temperature", "3")]
    [TestCase("temperature", "-0.1")]
    [TestCase("top_p", "1.5")]
    [TestCase("n", "0")]
    [TestCase("presence_penalty", "-2.5")]
    [TestCase("frequency_penalty", "2.5")]
    [TestCase("top_logprobs", "21")]
    public async Task Post_OutOfRangeValue_Returns400NamingTheField(string field, string value)
    {
        var (status, body, _) = await SendAsync(Post($$"""{"model":"m","messages":[{"role":"user","content":"x"}],"{{field}}":{{value}}}"""));
        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest));
        AssertErrorShape(body, "BAD_REQUEST");
        Assert.That(IssuePaths(body).Select(p => string.Join('.', p)), Does.Contain(field));
    }

    [Test]
    public async Task Post_UnknownRole_Returns400NamingTheMessagesRole()
    {
        var (status, body, _) = await SendAsync(Post("""{"model":"m","messages":[{"role":"user","content":"a"},{"role":"moderator","content":"b"}]}"""));
        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(IssuePaths(body).Select(p => string.Join('.', p)), Does.Contain("messages.1.role"));
        Assert.That((string?)body["message"], Does.Contain("moderator"));
    }

    [Test]
    public async Task Post_BodyOverTheLimit_Returns413()
    {
        string big = new('x', 40 * 1024);
        var (status, body, _) = await SendAsync(Post($$"""{"model":"m","messages":[{"role":"user","content":"{{big}}"}]}"""));
        Assert.That(status, Is.EqualTo(HttpStatusCode.RequestEntityTooLarge));
        AssertErrorShape(body, "PAYLOAD_TOO_LARGE");
    }

    [Test]
    public async Task Post_WrongContentType_Returns415()
    {
        var (status, body, _) = await SendAsync(Post(Valid, contentType: "text/plain"));
        Assert.That(status, Is.EqualTo(HttpStatusCode.UnsupportedMediaType));
        AssertErrorShape(body, "UNSUPPORTED_MEDIA_TYPE");
    }

    [Test]
    public async Task Post_ImplementationThrows_Returns500WithoutDetailsAndLogsThem()
    {
        var (status, body, _) = await SendAsync(Post("""{"model":"explode","messages":[{"role":"user","content":"x"}]}"""));
        Assert.That(status, Is.EqualTo(HttpStatusCode.InternalServerError));
        AssertErrorShape(body, "INTERNAL_SERVER_ERROR");
        Assert.That(body.ToString(), Does.Not.Contain("secret internal detail"));
        Assert.That(body.ToString(), Does.Not.Contain(" at "), "no stack trace");
        Assert.That(app.Logs.Lines.Any(l => l.Contains("secret internal detail 42", System.StringComparison.Ordinal)), Is.True, "the details went to the log");
    }

    [TestCase(null, Description = "no Authorization header")]
    [TestCase("Basic dXNlcjpwYXNz", Description = "wrong scheme")]
    [TestCase("Bearer ", Description = "empty token")]
    [TestCase("Bearer sk-unknown-key-999", Description = "unknown key")]
    public async Task Post_BadCredentials_Returns401WithChallengeAndErrorBody(string? authorization)
    {
        // Arrange
        var request = Post(Valid, key: null);
        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }

        // Act
        var (status, body, response) = await SendAsync(request);

        // Assert
        Assert.That(status, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(response.Headers.WwwAuthenticate.Single().Scheme, Is.EqualTo("Bearer"));
        AssertErrorShape(body, "UNAUTHORIZED");
        Assert.That((string?)body["error"]!["type"], Is.EqualTo("authentication_error"));
        Assert.That(app.Logs.Lines.Any(l => l.Contains("sk-unknown-key-999", System.StringComparison.Ordinal) || l.Contains(TestApp.GoodKey, System.StringComparison.Ordinal)), Is.False, "keys never reach the logs");
    }

    [Test]
    public async Task Post_SecondConfiguredKey_IsAcceptedAndIdentifiedSeparately()
    {
        var (status, body, _) = await SendAsync(Post(Valid, key: "sk-other-key"));
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((string?)body["key_id"], Is.EqualTo(OpenPipeCaller.KeyIdOf("sk-other-key")));
        Assert.That((string?)body["key_id"], Is.Not.EqualTo(OpenPipeCaller.KeyIdOf(TestApp.GoodKey)));
    }

    [Test]
    public async Task Post_OpHeaders_ReachTheHandlerAsTypedValues()
    {
        // Arrange
        var request = Post(Valid);
        // Typed as OpenPipe's SDKs type tags: Record<string, string | number | boolean | null>.
        request.Headers.Add("op-tags", """{"prompt_id":"p1","attempt":2,"final":true,"ratio":2.50,"note":null,"text":"2"}""");
        request.Headers.Add("op-log-request", "true");
        request.Headers.Add("op-cache", "readOnly");
        request.Headers.Add("op-criteria", """["criterion-1@v1","tone@v2"]""");

        // Act
        var (status, _, _) = await SendAsync(request);

        // Assert
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
        var context = app.Probe.LastContext!;
        Assert.That(context.Tags.Keys, Is.EqualTo(new[] { "prompt_id", "attempt", "final", "ratio", "note", "text" }));
        Assert.That(context.Tags["prompt_id"], Is.EqualTo(TagValue.FromString("p1")));
        Assert.That(context.Tags["attempt"].Kind, Is.EqualTo(TagValueKind.Number));
        Assert.That(context.Tags["attempt"].TryGetInt64(out long attempt) ? attempt : -1, Is.EqualTo(2));
        Assert.That(context.Tags["final"], Is.EqualTo(TagValue.FromBoolean(true)));
        Assert.That(context.Tags["ratio"].ToJson(), Is.EqualTo("2.50"), "a number keeps its JSON text");
        Assert.That(context.Tags["note"].IsNull, Is.True);
        Assert.That(context.Tags["text"].Kind, Is.EqualTo(TagValueKind.String), "the string \"2\" is not the number 2");
        Assert.That(context.LogRequest, Is.True);
        Assert.That(context.Cache, Is.EqualTo(OpenPipe.CacheMode.ReadOnly));
        Assert.That(context.Criteria, Is.EqualTo(new[] { "criterion-1@v1", "tone@v2" }));
        Assert.That(context.Caller.KeyId, Is.EqualTo(OpenPipeCaller.KeyIdOf(TestApp.GoodKey)));
    }

    [Test]
    public async Task Post_NoOpHeaders_HandlerSeesNullsAndEmptyCollections()
    {
        var (status, _, _) = await SendAsync(Post(Valid));
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
        var context = app.Probe.LastContext!;
        Assert.That((context.LogRequest, context.Cache, context.Tags.Count, context.Criteria.Count), Is.EqualTo(((bool?)null, (OpenPipe.CacheMode?)null, 0, 0)));
    }

    [TestCase("op-tags", "not json")]
    [TestCase("op-tags", "[\"a\"]")]
    [TestCase("op-tags", "{\"prompt_id\": {\"nested\": 1}}")]
    [TestCase("op-tags", "{\"a\":\"b\"} trailing")]
    [TestCase("op-tags", "{\"attempts\": [1, 2]}")]
    [TestCase("op-tags", "{\"a\": \"1\", \"a\": \"2\"}")]
    [TestCase("op-log-request", "yes")]
    [TestCase("op-cache", "sometimes")]
    [TestCase("op-criteria", "{\"a\":1}")]
    [TestCase("op-criteria", "[1, 2]")]
    public async Task Post_InvalidOpHeader_Returns400NamingTheHeader(string header, string value)
    {
        // Arrange
        var request = Post(Valid);
        request.Headers.TryAddWithoutValidation(header, value);

        // Act
        var (status, body, _) = await SendAsync(request);

        // Assert
        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest), body.ToString());
        AssertErrorShape(body, "BAD_REQUEST");
        Assert.That(IssuePaths(body).Select(p => string.Join('.', p)), Is.EqualTo(new[] { header }));
        Assert.That((string?)body["message"], Does.Contain(header));
        Assert.That(app.Probe.LastContext, Is.Null, "the handler was not called");
    }

    [Test]
    public async Task Post_StreamThatFailsAfterItsFirstChunk_EndsWithAStreamErrorEventAndNoDone()
    {
        // Act
        using var response = await http.SendAsync(Post("""{"model":"explode-mid-stream","stream":true,"messages":[{"role":"user","content":"a b c"}]}"""));
        string transcript = await response.Content.ReadAsStringAsync();

        // Assert: 200 was committed with the first chunk; the last event is the spec's ChatCompletionStreamError.
        var events = transcript.Split("\n\n", System.StringSplitOptions.RemoveEmptyEntries).Select(e => e["data: ".Length..]).ToList();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(response.Content.Headers.ContentType!.MediaType, Is.EqualTo("text/event-stream"));
        Assert.That(events, Has.Count.EqualTo(3), transcript);
        Assert.That((string?)JObject.Parse(events[0])["object"], Is.EqualTo("chat.completion.chunk"));
        var error = OpenPipe.OpenPipeJson.Deserialize<OpenPipe.ChatCompletionStreamError>(events[^1])!;
        Assert.That(error.Error.Code, Is.EqualTo("INTERNAL_SERVER_ERROR"));
        Assert.That(error.Error.Message, Is.Not.Empty);
        Assert.That(transcript, Does.Not.Contain("[DONE]").And.Not.Contain("secret internal detail"));
    }

    [Test]
    public async Task Post_StreamThatFailsBeforeItsFirstChunk_GetsA500JsonBodyNotAStream()
    {
        var (status, body, response) = await SendAsync(Post("""{"model":"explode","stream":true,"messages":[{"role":"user","content":"x"}]}"""));
        Assert.That(status, Is.EqualTo(HttpStatusCode.InternalServerError));
        Assert.That(response.Content.Headers.ContentType!.MediaType, Is.EqualTo("application/json"));
        AssertErrorShape(body, "INTERNAL_SERVER_ERROR");
        Assert.That(body.ToString(), Does.Not.Contain("secret internal detail"));
    }

    [TestCase(false)]
    [TestCase(true)]
    public async Task Post_HandlerThrowsOpenPipeApiException_KeepsItsStatusBodyAndRetryAfter(bool stream)
    {
        // Arrange: an upstream's 429, as a proxying handler lets it through.
        string json = $$"""{"model":"rate-limited-upstream","stream":{{(stream ? "true" : "false")}},"messages":[{"role":"user","content":"x"}]}""";

        // Act
        var (status, body, response) = await SendAsync(Post(json));

        // Assert
        Assert.That(status, Is.EqualTo(HttpStatusCode.TooManyRequests));
        Assert.That((string?)body["message"], Is.EqualTo("slow down"));
        Assert.That(response.Headers.RetryAfter!.ToString(), Is.EqualTo("7"));
    }
}
