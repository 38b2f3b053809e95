using System;
using System.ClientModel;
using System.Net.Http;
using OpenAI;
using OpenAI.Chat;
using OpenPipe.Client;

namespace OpenPipe.Benchmarks;

/// <summary>The three clients under test, pointed at one fixture of the server.</summary>
public sealed class ClientSetup : IDisposable
{
    public ClientSetup(FixtureServer server, string fixture)
    {
        BaseUrl = server.BaseUrl(fixture);
        Ours = new OpenPipeClient(new OpenPipeClientOptions { ApiKey = "bench", BaseUrl = BaseUrl });
        Sdk = new ChatClient("openpipe:bench", new ApiKeyCredential("bench"), new OpenAIClientOptions { Endpoint = BaseUrl });
        Raw = new HttpClient(new SocketsHttpHandler()) { DefaultRequestHeaders = { { "Authorization", "Bearer bench" } } };
        RawUrl = new Uri(BaseUrl + "/chat/completions");
    }

    public Uri BaseUrl { get; }

    public OpenPipeClient Ours { get; }

    public ChatClient Sdk { get; }

    public HttpClient Raw { get; }

    public Uri RawUrl { get; }

    public void Dispose()
    {
        Ours.Dispose();
        Raw.Dispose();
    }
}
