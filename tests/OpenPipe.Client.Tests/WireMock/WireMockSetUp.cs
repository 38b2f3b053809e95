using System.Threading.Tasks;
using NUnit.Framework;
using OpenPipe.Client.Tests.Support;

namespace OpenPipe.Client.Tests.WireMock;

/// <summary>One WireMock server for every test in this namespace, started once and stopped at the end.</summary>
[SetUpFixture]
public sealed class WireMockSetUp
{
    internal static WireMockServer Server { get; private set; } = null!;

    [OneTimeSetUp]
    public async Task StartAsync() => Server = await WireMockServer.StartAsync(Repo.TestFile("WireMock"));

    [OneTimeTearDown]
    public async Task StopAsync() => await Server.DisposeAsync();
}
