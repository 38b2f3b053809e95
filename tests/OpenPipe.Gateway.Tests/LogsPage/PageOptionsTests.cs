using System.Net;
using System.Net.Http.Headers;
using System.Threading.Tasks;
using Microsoft.Extensions.Options;
using NUnit.Framework;

namespace OpenPipe.Gateway.Tests.LogsPage;

/// <summary>Gateway:LogsPage: the page can be turned off (the API is unchanged), and its settings are checked at start.</summary>
public sealed class PageOptionsTests
{
    [Test]
    public async Task Enabled_False_LeavesLogsUnmappedAndTheApiServing()
    {
        // Arrange
        using var gateway = PageGateway.Create(("Gateway:LogsPage:Enabled", "false"));
        using var http = gateway.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false });

        // Act
        using var page = await http.GetAsync("/logs");
        using var signIn = await http.GetAsync("/logs/sign-in");
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", PageSeed.KeyA);
        using var api = await http.GetAsync("/api/v1/logs");

        // Assert
        Assert.That(page.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(signIn.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(page.Content.Headers.ContentType!.MediaType, Is.EqualTo("application/json"), "the gateway's JSON 404");
        Assert.That(api.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [TestCase("00:00:00")]
    [TestCase("-01:00:00")]
    [TestCase("31.00:00:00")]
    public void SignInLifetime_OutOfRange_StopsTheStartNamingTheSetting(string lifetime)
    {
        // Arrange
        using var gateway = PageGateway.Create(("Gateway:LogsPage:SignInLifetime", lifetime));

        // Act
        var failure = Assert.Throws<OptionsValidationException>(() => _ = gateway.Server);

        // Assert
        Assert.That(failure!.Message, Does.Contain("Gateway:LogsPage:SignInLifetime"));
    }
}
