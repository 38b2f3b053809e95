using System;
using System.ClientModel;
using System.Collections.Generic;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Threading.Tasks;
using OpenAI;
using OpenAI.Chat;
using OpenPipe.Client;
using MeaiChatClient = Microsoft.Extensions.AI.IChatClient;
using MeaiChatMessage = Microsoft.Extensions.AI.ChatMessage;
using MeaiChatRole = Microsoft.Extensions.AI.ChatRole;

namespace OpenPipe.Benchmarks;

/// <summary>The clients under test, pointed at one fixture of the server.</summary>
public sealed class ClientSetup : IDisposable
{
    public ClientSetup(FixtureServer server, string fixture)
    {
        BaseUrl = server.BaseUrl(fixture);
        Ours = new OpenPipeClient(new OpenPipeClientOptions { ApiKey = "bench", BaseUrl = BaseUrl });
        Sdk = new ChatClient("openpipe:bench", new ApiKeyCredential("bench"), new OpenAIClientOptions { Endpoint = BaseUrl });
        Meai = Microsoft.Extensions.AI.OpenAIClientExtensions.AsIChatClient(new ChatClient("openpipe:bench", new ApiKeyCredential("bench"), new OpenAIClientOptions { Endpoint = BaseUrl }));
        Raw = new HttpClient(new SocketsHttpHandler()) { DefaultRequestHeaders = { { "Authorization", "Bearer bench" } } };
        RawUrl = new Uri(BaseUrl + "/chat/completions");
    }

    public Uri BaseUrl { get; }

    public OpenPipeClient Ours { get; }

    public ChatClient Sdk { get; }

    /// <summary>Microsoft.Extensions.AI's IChatClient over the OpenAI SDK (Microsoft.Extensions.AI.OpenAI).</summary>
    public MeaiChatClient Meai { get; }

    public HttpClient Raw { get; }

    public Uri RawUrl { get; }

    public void Dispose()
    {
        Ours.Dispose();
        Meai.Dispose();
        Raw.Dispose();
    }
}

/// <summary>Starts the fixture server and the clients for one fixture; the client benchmarks derive from it.</summary>
public abstract class ClientBenchmarkBase
{
    protected FixtureServer Server { get; private set; } = null!;

    protected ClientSetup Clients { get; private set; } = null!;

    protected List<ChatMessage> SdkMessages { get; } = [new SystemChatMessage("You are terse."), new UserChatMessage("Say something.")];

    protected List<MeaiChatMessage> MeaiMessages { get; } = [new(MeaiChatRole.System, "You are terse."), new(MeaiChatRole.User, "Say something.")];

    /// <summary>Which fixture the clients point at.</summary>
    protected abstract string Fixture { get; }

    protected async Task StartAsync()
    {
        Server = await FixtureServer.StartAsync();
        Clients = new ClientSetup(Server, Fixture);
    }

    protected async Task StopAsync()
    {
        Clients.Dispose();
        await Server.DisposeAsync();
    }

    /// <summary>The baseline's request: the same messages, serialized with System.Text.Json each call.</summary>
    protected static ByteArrayContent RawRequest(bool stream)
    {
        var request = new MinimalRequest
        {
            Model = "openpipe:bench",
            Messages = [new() { ["role"] = "system", ["content"] = "You are terse." }, new() { ["role"] = "user", ["content"] = "Say something." }],
            Temperature = stream ? null : 0.2,
            Stream = stream ? true : null,
        };
        var content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(request));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }
}
