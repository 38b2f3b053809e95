using System;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using NUnit.Framework;

namespace OpenPipe.Gateway.Tests.LogsPage;

/// <summary>
/// Signing in to /logs: the redirect when not signed in, the form (a key posted with its antiforgery
/// token), the cookie's flags, where it goes back to, signing out, and that the page's cookie and the
/// API's bearer keys never stand in for each other.
/// </summary>
public sealed class SignInTests
{
    private static GatewayFactory Gateway => PageGateway.Instance;

    [TestCase("/logs", "/logs/sign-in?ReturnUrl=%2Flogs")]
    [TestCase("/logs?model=gpt-4o-mini", "/logs/sign-in?ReturnUrl=%2Flogs%3Fmodel%3Dgpt-4o-mini")]
    [TestCase("/logs/usage", "/logs/sign-in?ReturnUrl=%2Flogs%2Fusage")]
    [TestCase("/logs/export", "/logs/sign-in?ReturnUrl=%2Flogs%2Fexport")]
    [TestCase("/logs/1", "/logs/sign-in?ReturnUrl=%2Flogs%2F1")]
    public async Task Page_NotSignedIn_RedirectsToTheSignIn(string path, string signIn)
    {
        // Arrange
        using var client = new PageClient(Gateway);

        // Act
        var page = await client.GetAsync(path);

        // Assert
        Assert.That(page.Status, Is.EqualTo(HttpStatusCode.Redirect));
        Assert.That(page.Response.Headers.Location!.PathAndQuery, Is.EqualTo(signIn));
    }

    [Test]
    public async Task SignIn_ApiKey_SetsAnHttpOnlyStrictCookieForLogsOnlyAndGoesBack()
    {
        // Arrange
        using var client = new PageClient(Gateway);

        // Act
        var signedIn = await client.SignInAsync(PageSeed.KeyA, "/logs?model=gpt-4o-mini");

        // Assert
        Assert.That(signedIn.Status, Is.EqualTo(HttpStatusCode.Redirect), signedIn.Html);
        Assert.That(signedIn.Response.Headers.Location!.OriginalString, Is.EqualTo("/logs?model=gpt-4o-mini"));
        string cookie = signedIn.Response.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("openpipe_logs=", StringComparison.Ordinal));
        var flags = cookie.Split(';').Skip(1).Select(f => f.Trim().ToLowerInvariant()).ToList();
        Assert.That(flags, Does.Contain("httponly").And.Contain("samesite=strict").And.Contain("path=/logs").And.Not.Contain("secure"));
        Assert.That(cookie, Does.Not.Contain(PageSeed.KeyA));
        Assert.That(flags.Any(f => f.StartsWith("expires=", StringComparison.Ordinal)), Is.False, "a session cookie: it ends with the browser");
        var list = await client.GetAsync("/logs");
        Assert.That(list.Status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(list.Text(".who code"), Is.EqualTo(PageSeed.KeyIdA));
    }

    [Test]
    public async Task SignIn_OverHttps_CookiesAreSecure()
    {
        // Arrange
        using var client = new PageClient(Gateway, new Uri("https://localhost"));

        // Act
        var form = await client.GetAsync("/logs/sign-in");
        var signedIn = await client.SubmitAsync(form, "main form", ("key", PageSeed.KeyA));

        // Assert
        Assert.That(signedIn.Status, Is.EqualTo(HttpStatusCode.Redirect));
        string antiforgery = form.Response.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("openpipe_logs_csrf=", StringComparison.Ordinal));
        string cookie = signedIn.Response.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("openpipe_logs=", StringComparison.Ordinal));
        Assert.That(cookie.ToLowerInvariant(), Does.Contain("; secure"));
        Assert.That(antiforgery.ToLowerInvariant(), Does.Contain("; secure").And.Contain("samesite=strict").And.Contain("httponly").And.Contain("path=/logs"));
    }

    [Test]
    public async Task SignIn_AdminKey_SignsInAsAdmin()
    {
        // Arrange
        using var client = new PageClient(Gateway);

        // Act
        var signedIn = await client.SignInAsync(PageSeed.AdminKey);
        var list = await client.GetAsync("/logs");

        // Assert
        Assert.That(signedIn.Status, Is.EqualTo(HttpStatusCode.Redirect));
        Assert.That(list.Text(".who"), Does.Contain(PageSeed.AdminKeyId).And.Contain("admin"));
    }

    [Test]
    public async Task SignIn_KeyWithSurroundingWhitespace_SignsIn()
    {
        // Arrange
        using var client = new PageClient(Gateway);

        // Act
        var signedIn = await client.SignInAsync("  " + PageSeed.KeyB + "\n");

        // Assert
        Assert.That(signedIn.Status, Is.EqualTo(HttpStatusCode.Redirect), signedIn.Html);
    }

    [TestCase("not-a-key", "neither an API key nor an admin key")]
    [TestCase("   ", "Enter a key")]
    public async Task SignIn_UnknownOrEmptyKey_Answers400WithAMessageAndNoSignIn(string key, string message)
    {
        // Arrange
        using var client = new PageClient(Gateway);

        // Act
        var refused = await client.SignInAsync(key);
        var list = await client.GetAsync("/logs");

        // Assert
        Assert.That(refused.Status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(refused.Text("[role=alert]"), Does.Contain(message));
        Assert.That(refused.Html, Does.Not.Contain("not-a-key"), "the posted key is never written back");
        Assert.That(refused.Response.Headers.TryGetValues("Set-Cookie", out var cookies) && cookies.Any(c => c.StartsWith("openpipe_logs=", StringComparison.Ordinal)), Is.False);
        Assert.That(list.Status, Is.EqualTo(HttpStatusCode.Redirect));
    }

    [Test]
    public async Task SignIn_WithoutTheAntiforgeryToken_Answers400AndDoesNotSignIn()
    {
        // Arrange
        using var client = new PageClient(Gateway);
        await client.GetAsync("/logs/sign-in");

        // Act
        var refused = await client.PostAsync("/logs/sign-in", ("key", PageSeed.KeyA));
        var list = await client.GetAsync("/logs");

        // Assert
        Assert.That(refused.Status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(refused.Response.Content.Headers.ContentType!.MediaType, Is.EqualTo("text/html"));
        Assert.That(refused.Text("[role=alert]"), Does.Contain("did not come from this page").And.Contain("Nothing was changed"));
        Assert.That(list.Status, Is.EqualTo(HttpStatusCode.Redirect));
    }

    [TestCase("//evil.example/logs")]
    [TestCase("https://evil.example/logs")]
    [TestCase("/\\evil.example/logs")]
    [TestCase("/api/v1/logs")]
    [TestCase("/logs/../api/v1/logs")]
    public async Task SignIn_ReturnUrlOutsideThePage_GoesToTheList(string returnUrl)
    {
        // Arrange
        using var client = new PageClient(Gateway);

        // Act
        var signedIn = await client.SignInAsync(PageSeed.KeyA, returnUrl);

        // Assert
        Assert.That(signedIn.Status, Is.EqualTo(HttpStatusCode.Redirect));
        Assert.That(signedIn.Response.Headers.Location!.OriginalString, Is.EqualTo("/logs"));
    }

    [Test]
    public async Task SignIn_AlreadySignedIn_GoesOn()
    {
        // Arrange
        using var client = await PageClient.SignedInAsync(Gateway, PageSeed.KeyA);

        // Act
        var page = await client.GetAsync("/logs/sign-in?ReturnUrl=%2Flogs%2Fusage");

        // Assert
        Assert.That(page.Status, Is.EqualTo(HttpStatusCode.Redirect));
        Assert.That(page.Response.Headers.Location!.OriginalString, Is.EqualTo("/logs/usage"));
    }

    [Test]
    public async Task SignOut_WithTheHeaderForm_EndsTheSignIn()
    {
        // Arrange
        using var client = await PageClient.SignedInAsync(Gateway, PageSeed.KeyA);
        var list = await client.GetAsync("/logs");

        // Act
        var signedOut = await client.SubmitAsync(list, ".who form");
        var after = await client.GetAsync("/logs");

        // Assert
        Assert.That(signedOut.Status, Is.EqualTo(HttpStatusCode.Redirect));
        Assert.That(signedOut.Response.Headers.Location!.OriginalString, Is.EqualTo("/logs/sign-in"));
        Assert.That(after.Status, Is.EqualTo(HttpStatusCode.Redirect));
    }

    [Test]
    public async Task SignOut_WithoutTheAntiforgeryToken_Answers400AndStaysSignedIn()
    {
        // Arrange
        using var client = await PageClient.SignedInAsync(Gateway, PageSeed.KeyA);

        // Act
        var refused = await client.PostAsync("/logs/sign-out");
        var after = await client.GetAsync("/logs");

        // Assert
        Assert.That(refused.Status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(after.Status, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task PageCookie_OnTheApi_DoesNotAuthenticate()
    {
        // Arrange: the page's cookie, sent where a browser never would (its path is /logs).
        using var client = new PageClient(Gateway);
        var signedIn = await client.SignInAsync(PageSeed.AdminKey);
        string cookie = signedIn.Response.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("openpipe_logs=", StringComparison.Ordinal)).Split(';')[0];
        using var http = Gateway.CreateClient();

        foreach (string path in new[] { "/api/v1/logs", "/api/v1/usage?group_by=day", "/v1/logs" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.Add("Cookie", cookie);

            // Act
            using var response = await http.SendAsync(request);

            // Assert
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized), path);
        }
    }

    [Test]
    public async Task BearerKey_OnThePage_DoesNotSignIn()
    {
        // Arrange
        using var client = new PageClient(Gateway);
        client.Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", PageSeed.AdminKey);

        // Act
        var list = await client.GetAsync("/logs");
        var export = await client.GetAsync("/logs/export");

        // Assert
        Assert.That(list.Status, Is.EqualTo(HttpStatusCode.Redirect));
        Assert.That(export.Status, Is.EqualTo(HttpStatusCode.Redirect));
    }

    [Test]
    public async Task DefaultSchemes_WithThePage_AreNone()
    {
        // Arrange
        var schemes = Gateway.Services.GetRequiredService<IAuthenticationSchemeProvider>();

        // Act
        var authenticate = await schemes.GetDefaultAuthenticateSchemeAsync();
        var challenge = await schemes.GetDefaultChallengeSchemeAsync();
        var all = await schemes.GetAllSchemesAsync();

        // Assert
        Assert.That(all.Select(s => s.Name), Does.Contain(OpenPipe.Gateway.LogsPage.LogsPageDefaults.AuthenticationScheme));
        Assert.That(authenticate, Is.Null);
        Assert.That(challenge, Is.Null);
    }

    [Test]
    public async Task SignIn_KeyTakenOutOfTheSettings_EndsItsSignIn()
    {
        // Arrange: two gateways that share their data protection keys, as one gateway before and after a
        // restart does; the second no longer has key B.
        string keys = Path.Combine(Path.GetTempPath(), "openpipe-page-keys-" + Guid.NewGuid().ToString("N"));
        void SharedKeys(IWebHostBuilder builder) => builder.ConfigureTestServices(services =>
            services.AddDataProtection().PersistKeysToFileSystem(new DirectoryInfo(keys)).SetApplicationName("openpipe-page-tests"));
        using var before = PageGateway.Create();
        using var after = PageGateway.Create(("OpenPipe:Server:ApiKeys:1", "a-new-key-instead-of-b"));
        try
        {
            var first = before.WithWebHostBuilder(SharedKeys);
            var second = after.WithWebHostBuilder(SharedKeys);
            string cookieOfB = await PageClient.SignInCookieAsync(first, PageSeed.KeyB);
            string cookieOfA = await PageClient.SignInCookieAsync(first, PageSeed.KeyA);

            // Act
            var listOfB = await PageClient.StatusWithCookieAsync(second, "/logs", cookieOfB);
            var listOfA = await PageClient.StatusWithCookieAsync(second, "/logs", cookieOfA);

            // Assert
            Assert.That(listOfA, Is.EqualTo(HttpStatusCode.OK), "the second gateway reads the first one's cookies");
            Assert.That(listOfB, Is.EqualTo(HttpStatusCode.Redirect));
        }
        finally
        {
            Directory.Delete(keys, recursive: true);
        }
    }
}
