using System.Threading.Tasks;
using NUnit.Framework;
using OpenPipe.Client.Tests.Support;

namespace OpenPipe.Client.Tests.WireMock;

/// <summary>One in-process WireMock.Net server for every test in this namespace, started once and stopped at the end.</summary>
[SetUpFixture]
public sealed class WireMockSetUp
{
    internal static WireMockHost Server { get; private set; } = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        Server = await WireMockHost.StartAsync(TestContext.CurrentContext.TestDirectory);

        // One plain and one streaming call through the client first: the server and the client share this
        // process, and tests that cancel within 200 ms must not be measuring their first-call start-up.
        Server.Stub("minimal-request.json");
        Server.Stub("stream.json", ("TRANSCRIPT", "basic.sse"));
        using var client = new OpenPipeClient(new OpenPipeClientOptions { ApiKey = WireMockTestBase.ApiKey, BaseUrl = Server.ApiBaseUrl });
        var request = new ChatCompletionRequest { Model = "m", Messages = [new UserMessage { Content = "Hi" }] };
        await client.CreateChatCompletionAsync(request);
        await client.CreateChatCompletionStreamingAsync(request).ToChatCompletionAsync();
        Server.Reset();
    }

    [OneTimeTearDown]
    public void Stop() => Server.Dispose();
}
