using System.Linq;
using System.Net;
using System.Threading.Tasks;
using NUnit.Framework;

namespace OpenPipe.Gateway.Tests.LogsPage;

/// <summary>
/// A call at /logs/{id}: the conversation as bubbles (roles in order, the assistant's tool call with its
/// function and arguments, the tool's result with its call id, the logged response last), the summary,
/// the raw JSON, a failed call, and another key's call.
/// </summary>
public sealed class DetailTests : KeyAPageTests
{
    [Test]
    public async Task Detail_ToolConversation_ShowsEveryMessageAsABubbleAndTheResponseLast()
    {
        // Act
        var page = await KeyA.GetAsync("/logs/" + PageSeed.Id(PageSeed.ToolCallId));

        // Assert
        Assert.That(page.Status, Is.EqualTo(HttpStatusCode.OK));
        var bubbles = page.All("ol.chat > li");
        Assert.That(bubbles.Select(b => b.ClassList.First(c => c != "bubble")), Is.EqualTo(new[] { "system", "user", "assistant", "tool", "assistant" }));
        var call = bubbles[2].QuerySelector(".tool-call")!;
        Assert.That(call.QuerySelector("code")!.TextContent, Is.EqualTo("get_weather"));
        Assert.That(call.TextContent, Does.Contain("call_weather_1"));
        Assert.That(call.QuerySelector("pre")!.TextContent, Is.EqualTo("{\n  \"city\": \"Rome\",\n  \"unit\": \"celsius\"\n}"), "arguments indented");
        Assert.That(bubbles[3].QuerySelector(".role")!.TextContent, Does.Contain("result of").And.Contain("call_weather_1"));
        Assert.That(bubbles[3].QuerySelector(".text")!.TextContent, Is.EqualTo("{\"forecast\":\"rain\",\"temperature\":14}"));
        Assert.That(bubbles[4].ClassList, Does.Contain("response"));
        Assert.That(bubbles[4].QuerySelector(".role")!.TextContent, Does.Contain("response (stop)"));
        Assert.That(bubbles[4].QuerySelector(".text")!.TextContent, Is.EqualTo("Yes: rain is forecast in Rome today (14 °C)."));
        Assert.That(page.Text(".tools"), Does.Contain("get_weather").And.Contain("Gets today's weather in a city."));
    }

    [Test]
    public async Task Detail_Call_ShowsItsSummaryAndRawJson()
    {
        // Act
        var page = await KeyA.GetAsync("/logs/" + PageSeed.Id(PageSeed.ToolCallId));

        // Assert
        string summary = page.Text("dl.summary");
        Assert.That(summary, Does.Contain("2025-03-06 21:00:00").And.Contain(PageSeed.KeyIdA).And.Contain("gpt-4o-mini").And.Contain("openai")
            .And.Contain("812 ms").And.Contain("96 prompt, 18 completion, 114 total").And.Contain("miss").And.Contain("chatcmpl-tools"));
        Assert.That(page.All("dl.summary .tag").Select(t => t.TextContent), Is.EqualTo(new[] { "prompt_id: \"weather\"", "tone@v1", "length@v2" }));
        var raw = page.All("pre.json code").Select(c => c.TextContent).ToList();
        Assert.That(raw[0], Does.StartWith("{\n  \"model\": \"gpt-4o-mini\",\n  \"messages\": ["), "the request, indented");
        Assert.That(raw[1], Does.Contain("\"finish_reason\": \"stop\""));
    }

    [Test]
    public async Task Detail_FailedCall_EndsWithTheErrorInsteadOfAResponse()
    {
        // Arrange: seeded call 14 (n = 13) failed with 500 and has no response.
        long failed = PageSeed.Entries.Select((e, i) => (e, Id: i + 1L)).First(x => x.e.Status == 500).Id;

        // Act
        var page = await KeyA.GetAsync("/logs/" + PageSeed.Id(failed));

        // Assert
        var last = page.All("ol.chat > li").Last();
        Assert.That(last.ClassList, Does.Contain("error"));
        Assert.That(last.TextContent, Does.Contain("no response (status 500)").And.Contain("The upstream failed"));
        Assert.That(page.Text("details:nth-of-type(2)"), Does.Contain("No response was logged."));
    }

    [Test]
    public async Task Detail_AnotherKeysCall_Answers404()
    {
        // Act
        var page = await KeyA.GetAsync("/logs/" + PageSeed.Id(PageSeed.CallOfB));

        // Assert
        Assert.That(page.Status, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(page.Text("[role=alert]"), Does.Contain("no logged call"));
        Assert.That(page.Html, Does.Not.Contain("Key B asks"));
    }

    [Test]
    public async Task Detail_AdminKey_SeesAnyKeysCall()
    {
        // Arrange
        using var admin = await PageClient.SignedInAsync(Gateway, PageSeed.AdminKey);

        // Act
        var page = await admin.GetAsync("/logs/" + PageSeed.Id(PageSeed.CallOfB));

        // Assert
        Assert.That(page.Status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(page.All("ol.chat > li.user .text").Single().TextContent, Does.StartWith("Key B asks"));
    }

    [TestCase("/logs?model=gpt-4o-mini", "/logs?model=gpt-4o-mini")]
    [TestCase("https://evil.example/", "/logs")]
    [TestCase("/api/v1/logs", "/logs")]
    public async Task Detail_BackLink_ReturnsToTheListItCameFrom(string back, string expected)
    {
        // Act
        var page = await KeyA.GetAsync("/logs/" + PageSeed.Id(PageSeed.ToolCallId) + "?back=" + System.Uri.EscapeDataString(back));

        // Assert
        Assert.That(page.Document.QuerySelector("p.back a")!.GetAttribute("href"), Is.EqualTo(expected));
    }

    [Test]
    public async Task List_RowLink_OpensTheCallWithALinkBack()
    {
        // Arrange
        var list = await KeyA.GetAsync("/logs?tag=prompt_id%3Dweather");
        string link = list.Document.QuerySelector("table.calls tbody a")!.GetAttribute("href")!;

        // Act
        var page = await KeyA.GetAsync(link);

        // Assert
        Assert.That(page.Status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(page.Text("h1"), Does.StartWith("Call " + PageSeed.Id(PageSeed.ToolCallId)));
        Assert.That(page.Document.QuerySelector("p.back a")!.GetAttribute("href"), Is.EqualTo("/logs?tag=prompt_id%3Dweather"));
    }
}
