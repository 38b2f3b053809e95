using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using NUnit.Framework;
using OpenPipe.Gateway.LogsPage;

namespace OpenPipe.Gateway.Tests.LogsPage;

/// <summary>The page's query strings: empty fields dropped, links built from the kept parameters, and which paths count as the page's own.</summary>
public sealed class LogsPageQueryTests
{
    private static IQueryCollection Query(string text) => new QueryCollection(QueryHelpers.ParseQuery(text));

    [Test]
    public void Clean_EmptyValues_AreDropped()
    {
        // Act
        var clean = LogsPageQuery.Clean(Query("?model=&tag=a%3D1&tag=&tag=b%3D2&q=%20&limit=50"));

        // Assert
        Assert.That(clean.Keys, Is.EquivalentTo(new[] { "tag", "limit" }));
        Assert.That(clean["tag"].ToArray(), Is.EqualTo(new[] { "a=1", "b=2" }));
    }

    [Test]
    public void Link_KeepsTheNamedParametersAndSetsOthers()
    {
        // Act
        string link = LogsPageQuery.Link("/logs", Query("?model=m%20x&tag=a%3D1&tag=b%3D2&cursor=old&other=1"), ["model", "tag", "cursor"], ("cursor", "new"), ("limit", null));

        // Assert
        Assert.That(link, Is.EqualTo("/logs?model=m%20x&tag=a%3D1&tag=b%3D2&cursor=new"));
    }

    [TestCase("/logs", true)]
    [TestCase("/logs?model=x", true)]
    [TestCase("/logs/usage", true)]
    [TestCase("/logs/12?back=%2Flogs", true)]
    [TestCase("/logsx", false)]
    [TestCase("/api/v1/logs", false)]
    [TestCase("//evil.example/logs", false)]
    [TestCase("/\\evil.example/logs", false)]
    [TestCase("https://evil.example/logs", false)]
    [TestCase("/logs/../api", false)]
    [TestCase("/logs\r\nSet-Cookie: x=1", false)]
    [TestCase("", false)]
    [TestCase(null, false)]
    public void IsPagePath_OnlyLocalPathsUnderLogs(string? url, bool expected) =>
        Assert.That(LogsPageQuery.IsPagePath(url), Is.EqualTo(expected));
}
