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
    /// <param name="server">The fixture server.</param>
    /// <param name="fixture">Which fixture the clients read.</param>
    /// <param name="stampArrival">
    /// Every client's connections go through <see cref="ArrivalStamp"/>: OpenPipeClient with its
    /// default pipeline built by hand (<see cref="OpenPipeClient.CreateHttpClient"/>'s retry handler
    /// and handler settings), the SDK clients with an HttpClient transport.
    /// </param>
    public ClientSetup(FixtureServer server, string fixture, bool stampArrival = false)
    {
        BaseUrl = server.BaseUrl(fixture);
        var options = new OpenPipeClientOptions { ApiKey = "bench", BaseUrl = BaseUrl };
        Ours = stampArrival
            ? new OpenPipeClient(
                new HttpClient(new OpenPipeResilienceHandler(options) { InnerHandler = ArrivalStamp.Stamping(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5), AutomaticDecompression = System.Net.DecompressionMethods.All }) })
                {
                    Timeout = System.Threading.Timeout.InfiniteTimeSpan,
                },
                Microsoft.Extensions.Options.Options.Create(options))
            : new OpenPipeClient(options);
        OpenAIClientOptions SdkOptions() => stampArrival
            ? new OpenAIClientOptions { Endpoint = BaseUrl, Transport = new System.ClientModel.Primitives.HttpClientPipelineTransport(new HttpClient(ArrivalStamp.Stamping(new SocketsHttpHandler()))) }
            : new OpenAIClientOptions { Endpoint = BaseUrl };
        Sdk = new ChatClient("openpipe:bench", new ApiKeyCredential("bench"), SdkOptions());
        Meai = Microsoft.Extensions.AI.OpenAIClientExtensions.AsIChatClient(new ChatClient("openpipe:bench", new ApiKeyCredential("bench"), SdkOptions()));
        var raw = new SocketsHttpHandler();
        Raw = new HttpClient(stampArrival ? ArrivalStamp.Stamping(raw) : raw) { DefaultRequestHeaders = { { "Authorization", "Bearer bench" } } };
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

    /// <summary>Whether the clients' connections stamp each response's arrival (<see cref="ArrivalStamp"/>); set before the setup.</summary>
    public bool StampArrival { get; init; }

    protected async Task StartAsync()
    {
        Server = await FixtureServer.StartAsync();
        Clients = new ClientSetup(Server, Fixture, StampArrival);
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
