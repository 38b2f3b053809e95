using System.Linq;
using System.Threading.Tasks;
using NUnit.Framework;

namespace OpenPipe.Client.Tests.WireMock;

[TestFixture]
public sealed class ErrorTests : WireMockTestBase
{
    [Test]
    public async Task CreateChatCompletionAsync_400_MapsMessageCodeAndIssues()
    {
        // Arrange
        Server.Stub("errors.json");
        var client = CreateClient();

        // Act
        var error = Assert.ThrowsAsync<OpenPipeApiException>(() => client.CreateChatCompletionAsync(Hello("status-400")));

        // Assert
        Assert.That(error!.StatusCode, Is.EqualTo(400));
        Assert.That(error.Error!.Message, Is.EqualTo("Invalid request body"));
        Assert.That(error.ErrorCode, Is.EqualTo("BAD_REQUEST"));
        Assert.That(error.Error.Issues!.Select(i => i.Message), Is.EqualTo(new[] { "temperature must be at most 2", "messages is required" }));
        Assert.That(error.Error.Issues![0].Path, Is.EqualTo(new[] { "temperature" }));
        Assert.That(error.Error.Error!.Type, Is.EqualTo("invalid_request_error"));
        Assert.That(error.Response, Does.Contain("\"issues\""));
        Assert.That(error.Message, Does.Contain("temperature must be at most 2"));
        Assert.That(Server.Requests, Has.Count.EqualTo(1), "a 400 is not retried");
    }

    [Test]
    public async Task CreateChatCompletionAsync_401OpenAIStyleBody_FillsMessageAndCodeFromTheErrorObject()
    {
        // Arrange
        Server.Stub("errors.json");
        var client = CreateClient();

        // Act
        var error = Assert.ThrowsAsync<OpenPipeApiException>(() => client.CreateChatCompletionAsync(Hello("status-401")));

        // Assert
        Assert.That(error!.StatusCode, Is.EqualTo(401));
        Assert.That(error.Error!.Message, Is.EqualTo("Invalid API key"));
        Assert.That(error.ErrorCode, Is.EqualTo("invalid_api_key"));
        Assert.That(error.Headers["WWW-Authenticate"].Single(), Is.EqualTo("Bearer"));
    }

    [TestCase("status-403", 403, "FORBIDDEN", "This key cannot use that model")]
    [TestCase("status-404", 404, "NOT_FOUND", "Model not found: status-404")]
    [TestCase("status-429", 429, "TOO_MANY_REQUESTS", "Rate limit exceeded")]
    public async Task CreateChatCompletionAsync_ErrorStatus_MapsOntoTheException(string model, int status, string code, string message)
    {
        // Arrange
        Server.Stub("errors.json");
        var client = CreateClient(o => o.MaxRetries = 0);

        // Act
        var error = Assert.ThrowsAsync<OpenPipeApiException>(() => client.CreateChatCompletionAsync(Hello(model)));

        // Assert
        Assert.That(error!.StatusCode, Is.EqualTo(status));
        Assert.That(error.ErrorCode, Is.EqualTo(code));
        Assert.That(error.Error!.Message, Is.EqualTo(message));
    }

    [Test]
    public async Task CreateChatCompletionAsync_429AfterRetries_ThrowsWithHeadersAndCountsEveryAttempt()
    {
        // Arrange
        Server.Stub("errors.json");
        var client = CreateClient(o => o.MaxRetries = 2);

        // Act
        var error = Assert.ThrowsAsync<OpenPipeApiException>(() => client.CreateChatCompletionAsync(Hello("status-429")));

        // Assert
        Assert.That(error!.StatusCode, Is.EqualTo(429));
        Assert.That(error.Headers["x-ratelimit-remaining"].Single(), Is.EqualTo("0"));
        Assert.That(Server.Requests, Has.Count.EqualTo(3), "1 attempt + 2 retries");
    }

    [Test]
    public async Task CreateChatCompletionAsync_500WithPlainTextBody_KeepsTheRawBody()
    {
        // Arrange
        Server.Stub("errors.json");
        var client = CreateClient(o => o.MaxRetries = 1);

        // Act
        var error = Assert.ThrowsAsync<OpenPipeApiException>(() => client.CreateChatCompletionAsync(Hello("status-500")));

        // Assert
        Assert.That(error!.StatusCode, Is.EqualTo(500));
        Assert.That(error.Error, Is.Null);
        Assert.That(error.Response, Is.EqualTo("upstream exploded"));
        Assert.That(error.Message, Does.Contain("upstream exploded"));
        Assert.That(Server.Requests, Has.Count.EqualTo(2), "a 500 is retried");
    }
}
