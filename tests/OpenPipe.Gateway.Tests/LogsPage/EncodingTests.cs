using System.Linq;
using System.Net;
using System.Threading.Tasks;
using NUnit.Framework;

namespace OpenPipe.Gateway.Tests.LogsPage;

/// <summary>
/// Logged content is untrusted: a call whose message, tags and model carry markup shows it as text on
/// every view, the pages allow no script (a content security policy) and are never cached or framed,
/// and no page ever shows a key.
/// </summary>
public sealed class EncodingTests : KeyAPageTests
{
    [Test]
    public async Task Detail_MarkupInTheCall_IsShownAsText()
    {
        // Act
        var page = await KeyA.GetAsync("/logs/" + PageSeed.Id(PageSeed.HostileCallId));

        // Assert
        Assert.That(page.Status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(page.All("script, img, i, b, svg"), Is.Empty, "no element came from the logged content");
        Assert.That(page.Html, Does.Not.Contain("<script>").And.Not.Contain("<img").And.Not.Contain("<i>model"));
        Assert.That(page.Html, Does.Contain("&lt;script&gt;window.pwned = 1&lt;/script&gt;&quot;&gt;&lt;img src=x onerror=&quot;window.pwned = 2&quot;&gt;"));
        Assert.That(page.All("ol.chat > li.user .text").Single().TextContent, Is.EqualTo("Say this back: " + PageSeed.Hostile));
        Assert.That(page.All("ol.chat > li.response .text").Single().TextContent, Is.EqualTo("You said: " + PageSeed.Hostile));
        Assert.That(page.All("dl.summary .tag").Select(t => t.TextContent), Does.Contain("note: \"" + PageSeed.Hostile.Replace("\"", "\\\"", System.StringComparison.Ordinal) + "\""));
        Assert.That(page.Text("dl.summary div:nth-child(3) dd"), Is.EqualTo(PageSeed.HostileModel));
        Assert.That(page.All("pre.json code")[0].TextContent, Does.Contain(PageSeed.HostileModel.Replace("\"", "\\\"", System.StringComparison.Ordinal)));
    }

    [Test]
    public async Task List_MarkupInTagsAndModel_IsShownAsText()
    {
        // Act
        var page = await KeyA.GetAsync("/logs?tag=prompt_id%3Dhostile");

        // Assert
        Assert.That(page.CallIds(), Is.EqualTo(new[] { PageSeed.HostileCallId }));
        Assert.That(page.All("main script, main img, main i, main b"), Is.Empty);
        Assert.That(page.Text("td[data-label=Model]"), Is.EqualTo(PageSeed.HostileModel));
        Assert.That(page.All("td[data-label=Tags] .tag").Select(t => t.TextContent), Does.Contain("note=" + PageSeed.Hostile));
    }

    [Test]
    public async Task Search_MarkupInTheQuery_IsShownAsText()
    {
        // Act: the search text is written back into the form; a bad value into the message.
        var found = await KeyA.GetAsync("/logs?q=" + System.Uri.EscapeDataString("\"><script>x</script>"));
        var bad = await KeyA.GetAsync("/logs?status=" + System.Uri.EscapeDataString("<script>x</script>"));

        // Assert
        Assert.That(found.Document.QuerySelector("#f-q")!.GetAttribute("value"), Is.EqualTo("\"><script>x</script>"));
        Assert.That(found.All("script"), Is.Empty);
        Assert.That(bad.Status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(bad.Text("[role=alert]"), Does.Contain("'<script>x</script>' is neither"));
        Assert.That(bad.All("script"), Is.Empty);
    }

    [TestCase("/logs")]
    [TestCase("/logs/sign-in")]
    [TestCase("/logs/usage")]
    [TestCase("/logs/dataset")]
    [TestCase("/logs/1")]
    public async Task Pages_AllowNoScriptAndAreNeitherCachedNorFramed(string path)
    {
        // Act
        var page = await KeyA.GetAsync(path);

        // Assert
        var headers = page.Response.Headers;
        Assert.That(headers.GetValues("Content-Security-Policy").Single(), Does.StartWith("default-src 'none';").And.Contain("frame-ancestors 'none'").And.Not.Contain("script-src"));
        Assert.That(headers.GetValues("X-Content-Type-Options").Single(), Is.EqualTo("nosniff"));
        Assert.That(headers.GetValues("X-Frame-Options").Single(), Is.EqualTo("DENY"));
        Assert.That(headers.CacheControl!.NoStore, Is.True);
        Assert.That(page.All("script"), Is.Empty);
    }

    [TestCase("/logs?limit=200")]
    [TestCase("/logs/usage?group_by=key")]
    [TestCase("/logs/dataset")]
    public async Task Pages_NeverShowAKey(string path)
    {
        // Arrange
        using var admin = await PageClient.SignedInAsync(Gateway, PageSeed.AdminKey);

        // Act
        var ofA = await KeyA.GetAsync(path);
        var ofAdmin = await admin.GetAsync(path);

        // Assert
        foreach (string key in new[] { PageSeed.KeyA, PageSeed.KeyB, PageSeed.AdminKey })
        {
            Assert.That(ofA.Html, Does.Not.Contain(key));
            Assert.That(ofAdmin.Html, Does.Not.Contain(key));
        }

        Assert.That(ofAdmin.Html, Does.Contain(PageSeed.AdminKeyId), "key ids are shown instead");
    }
}
