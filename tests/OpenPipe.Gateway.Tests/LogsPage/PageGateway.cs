using System;
using System.Threading.Tasks;
using NUnit.Framework;

namespace OpenPipe.Gateway.Tests.LogsPage;

/// <summary>One gateway with <see cref="PageSeed"/>'s calls for every /logs page fixture, seeded once and stopped after the last.</summary>
[SetUpFixture]
public sealed class PageGateway
{
    private static GatewayFactory? gateway;

    public static GatewayFactory Instance => gateway ?? throw new InvalidOperationException("The page's gateway has not started.");

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        gateway = Create();
        _ = gateway.Server;
        await PageSeed.WriteAsync(gateway.Services);
    }

    [OneTimeTearDown]
    public void Stop()
    {
        gateway?.Dispose();
        gateway = null;
    }

    /// <summary>A gateway with the seed's keys and limits (not seeded), plus <paramref name="more"/> settings.</summary>
    public static GatewayFactory Create(params (string Key, string? Value)[] more)
    {
        var settings = PageSeed.Settings();
        foreach (var (key, value) in more)
        {
            settings[key] = value;
        }

        return new GatewayFactory(new Uri("http://127.0.0.1:9/v1"), settings);
    }
}
