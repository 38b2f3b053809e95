using System;
using System.IO;
using System.Threading.Tasks;
using Microsoft.Playwright;
using NUnit.Framework;
using OpenPipe.Client.Tests.Support;

namespace OpenPipe.Gateway.BrowserTests.Support;

/// <summary>
/// Debian's Chromium, headless, driven by Playwright: one browser for the whole run, a fresh context
/// (cookies, downloads) per test. The tests need <c>/usr/bin/chromium</c> (<c>apt-get install chromium</c>);
/// without it they are reported as not run, which CI counts as failed.
/// </summary>
public sealed class Browser : IAsyncDisposable
{
    public const string ExecutablePath = "/usr/bin/chromium";

    private static readonly string[] Arguments =
        ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"];

    private readonly IPlaywright playwright;

    private Browser(IPlaywright playwright, IBrowser chromium)
    {
        this.playwright = playwright;
        Chromium = chromium;
    }

    public IBrowser Chromium { get; }

    /// <summary>Where screenshots are written: artifacts/screenshots in the repository (gitignored; CI keeps it).</summary>
    public static string ScreenshotFolder { get; } = Repo.PathOf("artifacts", "screenshots");

    /// <summary>Starts the browser, or marks the test as not run when the system has none.</summary>
    public static async Task<Browser> LaunchAsync()
    {
        if (!File.Exists(ExecutablePath))
        {
            Assert.Ignore($"The browser tests need Chromium at {ExecutablePath}: apt-get install chromium (Debian's package; .ci/run installs it).");
        }

        var playwright = await Playwright.CreateAsync();
        try
        {
            var chromium = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = ExecutablePath,
                Args = Arguments,
                Headless = true,
            });
            return new Browser(playwright, chromium);
        }
        catch
        {
            playwright.Dispose();
            throw;
        }
    }

    /// <summary>A new context (its own cookies) with a page of <paramref name="width"/> by <paramref name="height"/> CSS pixels.</summary>
    public async Task<IPage> NewPageAsync(Uri baseAddress, int width = 1280, int height = 800)
    {
        var context = await Chromium.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = baseAddress.ToString(),
            ViewportSize = new ViewportSize { Width = width, Height = height },
            AcceptDownloads = true,
            Locale = "en-US",
            TimezoneId = "UTC",
            ColorScheme = ColorScheme.Light,
        });
        context.SetDefaultTimeout(15_000);
        return await context.NewPageAsync();
    }

    /// <summary>Takes a screenshot of <paramref name="page"/> into <see cref="ScreenshotFolder"/> and prints its path.</summary>
    public static async Task<string> ScreenshotAsync(IPage page, string name, bool fullPage = false)
    {
        ArgumentNullException.ThrowIfNull(page);
        Directory.CreateDirectory(ScreenshotFolder);
        string path = Path.Combine(ScreenshotFolder, name + ".png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = fullPage });
        // Out goes with the test's result (TRX); Progress is printed by dotnet test as the run goes.
        TestContext.Out.WriteLine($"Screenshot: {path}");
        TestContext.Progress.WriteLine($"Screenshot: {path}");
        TestContext.AddTestAttachment(path, name);
        return path;
    }

    public async ValueTask DisposeAsync()
    {
        await Chromium.DisposeAsync();
        playwright.Dispose();
    }
}
