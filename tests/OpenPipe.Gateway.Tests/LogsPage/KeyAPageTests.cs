using System.Threading.Tasks;
using NUnit.Framework;

namespace OpenPipe.Gateway.Tests.LogsPage;

/// <summary>A fixture whose tests browse the seeded page gateway signed in as <see cref="PageSeed.KeyA"/>.</summary>
public abstract class KeyAPageTests
{
    /// <summary>The shared page gateway with its seeded log.</summary>
    protected static GatewayFactory Gateway => PageGateway.Instance;

    /// <summary>A browser session signed in as <see cref="PageSeed.KeyA"/>.</summary>
    protected PageClient KeyA { get; private set; } = null!;

    [OneTimeSetUp]
    public async Task SignInAsync() => KeyA = await PageClient.SignedInAsync(Gateway, PageSeed.KeyA);

    [OneTimeTearDown]
    public void SignOut() => KeyA.Dispose();
}
