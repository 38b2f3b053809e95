using System;
using System.Collections.Generic;
using NUnit.Framework;

namespace OpenPipe.Client.Tests.WireMock;

/// <summary>Each test starts from an empty WireMock and gets clients pointed at it.</summary>
[NonParallelizable]
public abstract class WireMockTestBase
{
    private readonly List<OpenPipeClient> clients = [];

    internal const string ApiKey = "opk-contract";

    [SetUp]
    public void ResetWireMock() => WireMockSetUp.Server.Reset();

    [TearDown]
    public void DisposeClients()
    {
        clients.ForEach(c => c.Dispose());
        clients.Clear();
    }

    internal static Support.WireMockHost Server => WireMockSetUp.Server;

    /// <summary>A client on WireMock with fast retries; <paramref name="configure"/> adjusts the options.</summary>
    protected OpenPipeClient CreateClient(Action<OpenPipeClientOptions>? configure = null)
    {
        var options = new OpenPipeClientOptions
        {
            ApiKey = ApiKey,
            BaseUrl = Server.ApiBaseUrl,
            RetryBaseDelay = TimeSpan.FromMilliseconds(20),
            NetworkTimeout = TimeSpan.FromSeconds(20),
        };
        configure?.Invoke(options);
        var client = new OpenPipeClient(options);
        clients.Add(client);
        return client;
    }

    protected static ChatCompletionRequest Hello(string model = "openpipe:test-model") => new()
    {
        Model = model,
        Messages = [new UserMessage { Content = "Hi" }],
    };
}
