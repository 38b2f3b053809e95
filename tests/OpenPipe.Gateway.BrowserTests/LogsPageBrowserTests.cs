using System;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Threading.Tasks;
using Microsoft.Playwright;
using NUnit.Framework;
using OpenPipe.Gateway.BrowserTests.Support;
using OpenPipe.Gateway.Tests.LogsPage;

namespace OpenPipe.Gateway.BrowserTests;

/// <summary>
/// The request log page in headless Chromium against the gateway on Kestrel with a seeded SQLite log:
/// sign in, filter, open a call, export, add to a dataset, the usage view, a narrow window, the
/// keyboard, markup in a logged call, and sign out. Each view's screenshot goes to artifacts/screenshots.
/// </summary>
[NonParallelizable]
public sealed class LogsPageBrowserTests
{
    private KestrelGateway gateway = null!;
    private Browser browser = null!;
    private IPage page = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        browser = await Browser.LaunchAsync();
        gateway = new KestrelGateway();
        await gateway.StartAsync();
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        if (browser is not null)
        {
            await browser.DisposeAsync();
        }

        gateway?.Dispose();
    }

    [SetUp]
    public async Task OpenAsync() => page = await browser.NewPageAsync(gateway.Address);

    [TearDown]
    public async Task CloseAsync() => await page.Context.CloseAsync();

    [Test]
    public async Task SignIn_WithAnApiKey_ShowsItsCallsInTheTable()
    {
        // Arrange
        await page.GotoAsync("/logs");
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/logs/sign-in\\?ReturnUrl=%2Flogs$"));
        await Browser.ScreenshotAsync(page, "sign-in");

        // Act
        await page.GetByLabel("Key").FillAsync(PageSeed.KeyA);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();

        // Assert
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/logs$"));
        await Assertions.Expect(page.Locator(".who code")).ToHaveTextAsync(PageSeed.KeyIdA);
        await Assertions.Expect(page.Locator("table.calls tbody tr")).ToHaveCountAsync(PageSeed.CountOfA(_ => true));
        var cookie = (await page.Context.CookiesAsync()).Single(c => c.Name == "openpipe_logs");
        Assert.That(cookie.HttpOnly, Is.True);
        Assert.That(cookie.SameSite, Is.EqualTo(SameSiteAttribute.Strict));
        Assert.That(cookie.Path, Is.EqualTo("/logs"));
        Assert.That(await page.ContentAsync(), Does.Not.Contain(PageSeed.KeyA));
        await Browser.ScreenshotAsync(page, "logs-table-all");
        await page.GotoAsync("/logs?model=gpt-4o-mini");
        await Assertions.Expect(page.Locator("table.calls tbody tr")).ToHaveCountAsync(PageSeed.CountOfA(e => e.Model == PageSeed.ModelMini));
        await Browser.ScreenshotAsync(page, "logs-table");
    }

    [Test]
    public async Task Filter_ByTagAndStatus_ShowsOnlyTheMatchingCalls()
    {
        // Arrange
        await SignInAsync(PageSeed.KeyA);
        int expected = PageSeed.CountOfA(e => e.Tags!.Contains("\"support\"", StringComparison.Ordinal) && e.Status is >= 400 and < 600);
        Assert.That(expected, Is.EqualTo(2), "the seed's 429 and 500");

        // Act
        await page.GetByLabel("Tag name=value").First.FillAsync("prompt_id=support");
        await page.GetByLabel("Status").FillAsync("4xx,5xx");
        await page.GetByRole(AriaRole.Button, new() { Name = "Apply filters" }).ClickAsync();

        // Assert
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("status=4xx%2C5xx"));
        await Assertions.Expect(page.Locator("table.calls tbody tr")).ToHaveCountAsync(expected);
        var statuses = await page.Locator("td[data-label=Status]").AllTextContentsAsync();
        Assert.That(statuses.Select(s => s.Trim()), Is.EquivalentTo(new[] { "429", "500" }));
        Assert.That(await page.GetByLabel("Tag name=value").First.InputValueAsync(), Is.EqualTo("prompt_id=support"), "the form keeps the filter");
        await Browser.ScreenshotAsync(page, "logs-filtered");
    }

    [Test]
    public async Task BadFilter_ShowsTheMessage()
    {
        // Arrange
        await SignInAsync(PageSeed.KeyA);

        // Act
        await page.GetByLabel("Status").FillAsync("6xx");
        await page.GetByRole(AriaRole.Button, new() { Name = "Apply filters" }).ClickAsync();

        // Assert
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("status must be codes (429) or classes (4xx)");
    }

    [Test]
    public async Task OpenRow_ToolConversation_ShowsTheBubblesAndTheRawJson()
    {
        // Arrange
        await SignInAsync(PageSeed.KeyA, "/logs?tag=prompt_id%3Dweather");

        // Act
        await page.Locator("table.calls tbody tr a").First.ClickAsync();

        // Assert
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex($"/logs/{PageSeed.ToolCallId}\\?back="));
        var bubbles = page.Locator("ol.chat > li");
        await Assertions.Expect(bubbles).ToHaveCountAsync(5);
        await Assertions.Expect(bubbles.Nth(2).Locator(".tool-call")).ToContainTextAsync("Calls get_weather");
        await Assertions.Expect(bubbles.Nth(3)).ToContainTextAsync("result of call_weather_1");
        await Assertions.Expect(bubbles.Nth(4)).ToContainTextAsync("Yes: rain is forecast in Rome today");
        await Assertions.Expect(page.Locator("pre.json").First).ToContainTextAsync("\"tool_call_id\": \"call_weather_1\"");
        await Browser.ScreenshotAsync(page, "call-detail", fullPage: true);
        await page.GetByRole(AriaRole.Link, new() { Name = "« Back to the calls" }).ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/logs\\?tag=prompt_id%3Dweather$"));
    }

    [Test]
    public async Task Export_CurrentFilter_DownloadsOneFineTuningLinePerUsableCall()
    {
        // Arrange
        await SignInAsync(PageSeed.KeyA, "/logs?tag=prompt_id%3Dcheckout");
        int usable = PageSeed.CountOfA(e => e.Tags!.Contains("\"checkout\"", StringComparison.Ordinal) && e.Status == 200 && e.ResponseJson is not null);

        // Act
        var download = await page.RunAndWaitForDownloadAsync(() => page.GetByRole(AriaRole.Link, new() { Name = "Export as fine-tuning JSONL" }).ClickAsync());
        string path = Path.Combine(Path.GetTempPath(), "openpipe-export-" + Guid.NewGuid().ToString("N") + ".jsonl");
        await download.SaveAsAsync(path);
        string[] lines;
        try
        {
            lines = await File.ReadAllLinesAsync(path);
        }
        finally
        {
            File.Delete(path);
        }

        // Assert
        Assert.That(download.SuggestedFilename, Does.Match("^openpipe-logs-\\d{8}-\\d{6}\\.jsonl$"));
        Assert.That(lines, Has.Length.EqualTo(usable));
        foreach (string line in lines)
        {
            using var example = JsonDocument.Parse(line);
            var messages = example.RootElement.GetProperty("messages");
            Assert.That(messages[0].GetProperty("role").GetString(), Is.EqualTo("system"));
            Assert.That(messages[messages.GetArrayLength() - 1].GetProperty("role").GetString(), Is.EqualTo("assistant"));
            Assert.That(messages[messages.GetArrayLength() - 1].GetProperty("content").GetString(), Does.EndWith("ships tomorrow."));
        }
    }

    [Test]
    public async Task AddToDataset_NewDataset_SaysHowManyCallsWereAdded()
    {
        // Arrange
        await SignInAsync(PageSeed.KeyA, "/logs?model=gpt-4o-mini&status=2xx");
        int matched = PageSeed.CountOfA(e => e.Model == PageSeed.ModelMini && e.Status == 200);
        string name = "mini-" + Guid.NewGuid().ToString("N")[..6];

        // Act
        await page.GetByRole(AriaRole.Link, new() { Name = "Add these calls to a dataset…" }).ClickAsync();
        await page.GetByLabel("or a new dataset named").FillAsync(name);
        await page.GetByLabel("Split").SelectOptionAsync("TRAIN");
        await page.GetByRole(AriaRole.Button, new() { Name = "Add to the dataset" }).ClickAsync();

        // Assert
        var status = page.GetByRole(AriaRole.Status);
        await Assertions.Expect(status).ToContainTextAsync($"Added {matched} calls to “{name}”.");
        await Assertions.Expect(status).ToContainTextAsync($"It now holds {matched} TRAIN and 0 TEST entries.");
        await Assertions.Expect(page.Locator("table.datasets tbody th").Filter(new() { HasText = name })).ToHaveCountAsync(1);
        await Browser.ScreenshotAsync(page, "dataset", fullPage: true);
    }

    [Test]
    public async Task Usage_View_ShowsTheChartTheTableAndTheLimits()
    {
        // Arrange
        await SignInAsync(PageSeed.AdminKey);

        // Act
        await page.GetByRole(AriaRole.Navigation, new() { Name = "Sections" }).GetByRole(AriaRole.Link, new() { Name = "Usage" }).ClickAsync();

        // Assert
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/logs/usage$"));
        await Assertions.Expect(page.Locator("figure.chart svg g.bar")).ToHaveCountAsync(PageSeed.Days);
        await Assertions.Expect(page.GetByRole(AriaRole.Img, new() { Name = "Tokens per day (UTC)" })).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("table.usage tbody tr")).ToHaveCountAsync(PageSeed.Days);
        await Assertions.Expect(page.Locator("table.limits tbody tr")).ToHaveCountAsync(2);
        await Assertions.Expect(page.Locator("table.limits")).ToContainTextAsync("of 200,000 per day");
        var box = await page.Locator("figure.chart svg").BoundingBoxAsync();
        Assert.That(box!.Width, Is.GreaterThan(600), "the chart fills the width");
        await Browser.ScreenshotAsync(page, "usage", fullPage: true);
    }

    [Test]
    public async Task NarrowWindow_List_FitsWithoutScrollingSideways()
    {
        // Arrange
        await page.Context.CloseAsync();
        page = await browser.NewPageAsync(gateway.Address, width: 390, height: 844);
        await SignInAsync(PageSeed.KeyA, "/logs?limit=25");

        // Act
        int overflow = await page.EvaluateAsync<int>("() => document.documentElement.scrollWidth - window.innerWidth");

        // Assert
        Assert.That(overflow, Is.LessThanOrEqualTo(0));
        await Assertions.Expect(page.Locator("table.calls thead")).Not.ToBeInViewportAsync();
        await Assertions.Expect(page.Locator("table.calls tbody tr").First).ToBeVisibleAsync();
        await page.Locator("table.calls caption").ScrollIntoViewIfNeededAsync();
        await Browser.ScreenshotAsync(page, "logs-narrow");
    }

    [Test]
    public async Task Keyboard_TabToACallAndEnter_OpensIt()
    {
        // Arrange
        await SignInAsync(PageSeed.KeyA, "/logs?tag=prompt_id%3Dweather");
        await page.Keyboard.PressAsync("Tab");
        Assert.That(await page.EvaluateAsync<string>("() => document.activeElement.textContent"), Is.EqualTo("Skip to content"));

        // Act: Tab through the form to the first call's link, then Enter.
        bool onCall = false;
        for (int i = 0; i < 60 && !onCall; i++)
        {
            await page.Keyboard.PressAsync("Tab");
            onCall = await page.EvaluateAsync<bool>("() => document.activeElement.matches('table.calls a')");
        }

        await page.Keyboard.PressAsync("Enter");

        // Assert
        Assert.That(onCall, Is.True, "a call's link is reachable with Tab");
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex($"/logs/{PageSeed.ToolCallId}\\?"));
    }

    [Test]
    public async Task MarkupInACall_IsShownAsTextAndRunsNothing()
    {
        // Arrange
        bool dialog = false;
        page.Dialog += (_, d) =>
        {
            dialog = true;
            _ = d.DismissAsync();
        };
        await SignInAsync(PageSeed.KeyA, "/logs?tag=prompt_id%3Dhostile");

        // Act
        await page.Locator("table.calls tbody tr a").First.ClickAsync();

        // Assert
        await Assertions.Expect(page.Locator("ol.chat > li.user .text")).ToHaveTextAsync("Say this back: " + PageSeed.Hostile);
        await Assertions.Expect(page.Locator("dl.summary")).ToContainTextAsync(PageSeed.HostileModel);
        Assert.That(await page.EvaluateAsync<bool>("() => window.pwned === undefined"), Is.True, "no logged markup ran");
        Assert.That(await page.Locator("main img, main script").CountAsync(), Is.Zero);
        Assert.That(dialog, Is.False);
    }

    [Test]
    public async Task SignOut_EndsTheSignIn()
    {
        // Arrange
        await SignInAsync(PageSeed.KeyB);

        // Act
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await page.GotoAsync("/logs");

        // Assert
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/logs/sign-in"));
        Assert.That((await page.Context.CookiesAsync()).Any(c => c.Name == "openpipe_logs"), Is.False);
    }

    /// <summary>Signs in through the form and lands on <paramref name="path"/>.</summary>
    private async Task SignInAsync(string key, string path = "/logs")
    {
        await page.GotoAsync(path);
        await page.GetByLabel("Key").FillAsync(key);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Assertions.Expect(page.Locator(".who")).ToBeVisibleAsync();
    }
}
