using System.Linq;
using System.Net;
using System.Threading.Tasks;
using NUnit.Framework;

namespace OpenPipe.Gateway.Tests.LogsPage;

/// <summary>/logs/usage: the usage API's sums for the viewer, the chart of tokens per day, and each key's limits with their use.</summary>
public sealed class UsagePageTests
{
    private static GatewayFactory Gateway => PageGateway.Instance;

    [Test]
    public async Task Usage_ByDay_ShowsADayPerRowAndABarPerDay()
    {
        // Arrange
        using var keyA = await PageClient.SignedInAsync(Gateway, PageSeed.KeyA);

        // Act
        var page = await keyA.GetAsync("/logs/usage");

        // Assert
        Assert.That(page.Status, Is.EqualTo(HttpStatusCode.OK));
        var days = page.All("table.usage tbody tr th").Select(th => th.TextContent).ToList();
        Assert.That(days, Is.EqualTo(Enumerable.Range(0, PageSeed.Days).Select(d => PageSeed.Start.AddDays(d).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture))));
        Assert.That(page.All("figure.chart svg g.bar"), Has.Count.EqualTo(PageSeed.Days));
        Assert.That(page.All("figure.chart svg g.bar title")[0].TextContent, Does.StartWith("2025-03-01: "));
        long requestsOfA = PageSeed.CountOfA(_ => true);
        Assert.That(page.All("table.usage td[data-label=Requests]").Sum(td => long.Parse(td.TextContent, System.Globalization.CultureInfo.InvariantCulture)), Is.EqualTo(requestsOfA));
    }

    [Test]
    public async Task Usage_ByModel_GroupsByModel()
    {
        // Arrange
        using var keyA = await PageClient.SignedInAsync(Gateway, PageSeed.KeyA);

        // Act
        var page = await keyA.GetAsync("/logs/usage?group_by=model&from=2025-03-01T00%3A00&to=2025-03-07T00%3A00");

        // Assert
        Assert.That(page.All("table.usage tbody th").Select(th => th.TextContent), Is.EquivalentTo(new[] { PageSeed.ModelMini, PageSeed.ModelBot, PageSeed.HostileModel }));
        Assert.That(page.Document.QuerySelector("#u-group option[selected]")!.TextContent, Is.EqualTo("model"));
        Assert.That(page.All("figure.chart svg g.bar"), Has.Count.EqualTo(PageSeed.Days), "the chart is per day whatever the table's grouping");
    }

    [Test]
    public async Task Usage_Limits_ShowEachKeysLimitsAndUse()
    {
        // Arrange
        using var keyA = await PageClient.SignedInAsync(Gateway, PageSeed.KeyA);
        using var admin = await PageClient.SignedInAsync(Gateway, PageSeed.AdminKey);

        // Act
        var ofA = await keyA.GetAsync("/logs/usage");
        var ofAdmin = await admin.GetAsync("/logs/usage?group_by=key");

        // Assert
        Assert.That(ofA.All("table.limits tbody th").Select(th => th.TextContent), Is.EqualTo(new[] { PageSeed.KeyIdA }));
        Assert.That(ofA.Text("table.limits td[data-label='Requests this minute']"), Does.Contain("of 60 per minute"));
        Assert.That(ofA.Text("table.limits td[data-label='Tokens today']"), Does.Contain("of 200,000 per day"));
        Assert.That(ofA.Document.QuerySelector("table.limits meter")!.GetAttribute("max"), Is.EqualTo("60"));
        Assert.That(ofAdmin.All("table.limits tbody th").Select(th => th.TextContent), Is.EquivalentTo(new[] { PageSeed.KeyIdA, PageSeed.KeyIdB }));
        Assert.That(ofAdmin.All("table.usage tbody th").Select(th => th.TextContent), Is.EquivalentTo(new[] { PageSeed.KeyIdA, PageSeed.KeyIdB }));
    }

    [TestCase("group_by=week", "group_by must be key, model or day", 400)]
    [TestCase("from=soon", "from must be an ISO 8601 time", 400)]
    [TestCase("model=x", "Unknown query parameter 'model'", 400)]
    [TestCase("key_id=key_000000000000", "key_id names another key", 403)]
    public async Task Usage_BadParameter_ShowsTheMessage(string query, string message, int status)
    {
        // Arrange
        using var keyA = await PageClient.SignedInAsync(Gateway, PageSeed.KeyA);

        // Act
        var page = await keyA.GetAsync("/logs/usage?" + query);

        // Assert
        Assert.That((int)page.Status, Is.EqualTo(status));
        Assert.That(page.Text("[role=alert]"), Does.Contain(message));
    }

    [Test]
    public async Task Usage_RangeWithoutCalls_SaysSo()
    {
        // Arrange
        using var keyA = await PageClient.SignedInAsync(Gateway, PageSeed.KeyA);

        // Act
        var page = await keyA.GetAsync("/logs/usage?from=2030-01-01T00%3A00");

        // Assert
        Assert.That(page.Status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(page.All("figure.chart"), Is.Empty);
        Assert.That(page.All("[role=status]").Select(s => s.TextContent), Has.All.Contain("No logged calls in this range."));
    }
}
