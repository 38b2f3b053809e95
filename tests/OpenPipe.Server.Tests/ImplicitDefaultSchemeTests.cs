using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Security.Claims;
using System.Text;
using System.Text.Encodings.Web;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.ApplicationParts;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Newtonsoft.Json.Linq;
using NUnit.Framework;

namespace OpenPipe.Server.Tests;

/// <summary>
/// Host apps as .NET templates make them: one authentication scheme of their own, registered
/// without naming a default (so ASP.NET Core makes it the default), a fallback policy, role
/// policies, and their own minimal routes and controllers, some under the kit's <c>/api/v1</c>.
/// Adding the kit (any mapping, before or after the app's authentication) leaves every one of
/// their responses byte-identical, and the kit's route still wants its own keys.
/// </summary>
[TestFixture]
public sealed class ImplicitDefaultSchemeTests
{
    /// <summary>The app's own requests: its auth (none, a user, an admin, an OpenPipe key), its fallback policy, its 401/403/404/405 answers.</summary>
    private static readonly (string Method, string Path, Credential As)[] AppRequests =
    [
        ("GET", "/app/me", Credential.None),
        ("GET", "/app/me", Credential.User),
        ("GET", "/app/secure", Credential.None),
        ("GET", "/app/secure", Credential.User),
        ("GET", "/app/secure", Credential.OpenPipeKey),
        ("GET", "/app/admin", Credential.User),
        ("GET", "/app/admin", Credential.Admin),
        ("GET", "/app/fallback", Credential.None),
        ("GET", "/app/fallback", Credential.User),
        ("GET", "/app/orders/3", Credential.None),
        ("GET", "/app/orders/3", Credential.User),
        ("GET", "/api/v1/app-items", Credential.None),
        ("POST", "/api/v1/app-items", Credential.None),
        ("POST", "/api/v1/app-items", Credential.User),
        ("DELETE", "/api/v1/app-items", Credential.User),
        ("GET", "/api/v1/no-such-route", Credential.None),
        ("GET", "/api/v1/no-such-route", Credential.User),
        ("GET", "/api/v1/chat/completions/extra", Credential.User),
        ("GET", "/api/v1/app-orders/5", Credential.User),
        ("POST", "/api/v1/app-orders/5", Credential.User),
        ("GET", "/api/v1/app-orders/5", Credential.OpenPipeKey),
        ("GET", "/no-such-route", Credential.User),
    ];

    private static IEnumerable<TestCaseData> Setups()
    {
        foreach (var scheme in new[] { AppScheme.JwtBearer, AppScheme.CustomHeader })
        {
            foreach (var mapping in new[] { Mapping.MinimalApi, Mapping.HandlerController, Mapping.DerivedController })
            {
                foreach (var order in new[] { KitOrder.AfterAppAuth, KitOrder.BeforeAppAuth })
                {
                    yield return new TestCaseData(scheme, mapping, order).SetArgDisplayNames($"{scheme}, {mapping}, kit {order}");
                }
            }
        }
    }

    [TestCaseSource(nameof(Setups))]
    public async Task AddingTheKit_AppWithAnImplicitDefaultScheme_AnswersByteIdentical(AppScheme scheme, Mapping mapping, KitOrder order)
    {
        // Arrange
        await using var before = await ImplicitHost.StartAsync(scheme, kit: null, order);
        await using var after = await ImplicitHost.StartAsync(scheme, mapping, order);

        // Act
        var expected = await before.RecordAsync(AppRequests);
        var actual = await after.RecordAsync(AppRequests);

        // Assert: the recordings show the app's own behaviour, and the kit changed none of it.
        Assert.That(expected[0], Does.StartWith("200 ").And.EndWith("anonymous"));
        Assert.That(expected[1], Does.StartWith("200 ").And.EndWith("alice"), "the implicit default scheme fills User on an anonymous route");
        Assert.That(expected[2], Does.StartWith("401 "), "the implicit default scheme challenges");
        Assert.That(expected[5], Does.StartWith("403 "), "the implicit default scheme forbids");
        Assert.That(expected[7], Does.StartWith("401 "), "the fallback policy applies");
        Assert.That(expected[13], Does.StartWith("405 ").And.Contain("Allow=GET"), "the app's own 405 under /api/v1");
        Assert.That(expected[16], Does.StartWith("404 "), "the app's own 404 under /api/v1");
        Assert.That(expected[15], Does.StartWith("401 "), "the app's fallback policy challenges an unknown path under /api/v1");
        Assert.That(actual, Is.EqualTo(expected));
    }

    [TestCase(AppScheme.JwtBearer, Mapping.MinimalApi)]
    [TestCase(AppScheme.JwtBearer, Mapping.HandlerController)]
    [TestCase(AppScheme.JwtBearer, Mapping.DerivedController)]
    [TestCase(AppScheme.CustomHeader, Mapping.MinimalApi)]
    [TestCase(AppScheme.CustomHeader, Mapping.HandlerController)]
    [TestCase(AppScheme.CustomHeader, Mapping.DerivedController)]
    public async Task KitRoute_AppCredentialsAlone_Answer401WithBearerChallenge(AppScheme scheme, Mapping mapping)
    {
        // Arrange
        await using var app = await ImplicitHost.StartAsync(scheme, mapping, KitOrder.AfterAppAuth);
        const string Body = """{"model":"m","messages":[{"role":"user","content":"hi"}]}""";

        // Act
        using var withAppUser = await app.SendAsync("POST", "/api/v1/chat/completions", Credential.User, Body);
        using var withKey = await app.SendAsync("POST", "/api/v1/chat/completions", Credential.OpenPipeKey, Body);

        // Assert
        Assert.That(withAppUser.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(withAppUser.Headers.WwwAuthenticate.ToString(), Is.EqualTo("Bearer"));
        Assert.That((string?)JObject.Parse(await withAppUser.Content.ReadAsStringAsync())["code"], Is.EqualTo("UNAUTHORIZED"));
        Assert.That(withKey.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((string?)JObject.Parse(await withKey.Content.ReadAsStringAsync())["object"], Is.EqualTo("chat.completion"));
    }

    [TestCase(AppScheme.JwtBearer)]
    [TestCase(AppScheme.CustomHeader)]
    public async Task AddOpenPipeServer_AppsLoneScheme_StaysTheImplicitDefault(AppScheme scheme)
    {
        // Arrange
        await using var app = await ImplicitHost.StartAsync(scheme, Mapping.MinimalApi, KitOrder.BeforeAppAuth);
        var schemes = app.Services.GetRequiredService<IAuthenticationSchemeProvider>();
        string expected = scheme == AppScheme.JwtBearer ? JwtBearerDefaults.AuthenticationScheme : HeaderAuthHandler.SchemeName;

        // Act
        var all = (await schemes.GetAllSchemesAsync()).Select(s => s.Name).ToArray();

        // Assert
        Assert.That(all, Is.EquivalentTo(new[] { expected, OpenPipeDefaults.AuthenticationScheme }));
        Assert.That((await schemes.GetDefaultAuthenticateSchemeAsync())?.Name, Is.EqualTo(expected));
        Assert.That((await schemes.GetDefaultChallengeSchemeAsync())?.Name, Is.EqualTo(expected));
        Assert.That((await schemes.GetDefaultForbidSchemeAsync())?.Name, Is.EqualTo(expected));
        Assert.That((await schemes.GetDefaultSignInSchemeAsync())?.Name, Is.EqualTo(expected));
        Assert.That((await schemes.GetDefaultSignOutSchemeAsync())?.Name, Is.EqualTo(expected));
    }

    [Test]
    public async Task AddOpenPipeServer_AppAddsASecondSchemeLater_NoSchemeIsImplied()
    {
        // Arrange: the app's scheme, the kit's, and one more added at run time, as the framework allows.
        await using var app = await ImplicitHost.StartAsync(AppScheme.CustomHeader, Mapping.MinimalApi, KitOrder.AfterAppAuth);
        var schemes = app.Services.GetRequiredService<IAuthenticationSchemeProvider>();

        // Act
        schemes.AddScheme(new AuthenticationScheme("Second", null, typeof(HeaderAuthHandler)));
        var withTwo = await schemes.GetDefaultAuthenticateSchemeAsync();
        schemes.RemoveScheme("Second");
        var withOne = await schemes.GetDefaultAuthenticateSchemeAsync();

        // Assert: the framework's rule (one scheme: the default; two: none), with the kit's scheme not counted.
        Assert.That(withTwo, Is.Null);
        Assert.That(withOne?.Name, Is.EqualTo(HeaderAuthHandler.SchemeName));
    }
}

/// <summary>The host app's one authentication scheme.</summary>
public enum AppScheme
{
    /// <summary><c>AddAuthentication().AddJwtBearer()</c> with a test signing key.</summary>
    JwtBearer,

    /// <summary>A custom scheme that reads <c>X-App-User</c>.</summary>
    CustomHeader,
}

/// <summary>Whether <c>AddOpenPipeServer</c> comes before or after the app's <c>AddAuthentication</c>.</summary>
public enum KitOrder
{
    AfterAppAuth,
    BeforeAppAuth,
}

/// <summary>What a request presents.</summary>
public enum Credential
{
    None,
    User,
    Admin,
    OpenPipeKey,
}

/// <summary>An app with one scheme of its own, never named as the default, optionally with the kit.</summary>
internal sealed class ImplicitHost : IAsyncDisposable
{
    private static readonly SymmetricSecurityKey SigningKey = new(Encoding.UTF8.GetBytes("a test signing key of at least 256 bits, for HMAC-SHA256"));
    private readonly WebApplication app;
    private readonly HttpClient http;
    private readonly AppScheme scheme;

    private ImplicitHost(WebApplication app, AppScheme scheme)
    {
        this.app = app;
        this.scheme = scheme;
        http = app.GetTestClient();
    }

    public IServiceProvider Services => app.Services;

    public static async Task<ImplicitHost> StartAsync(AppScheme scheme, Mapping? kit, KitOrder order)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production" });
        builder.WebHost.UseTestServer();
        builder.Logging.ClearProviders();
        var mvc = builder.Services.AddControllers().ConfigureApplicationPartManager(parts =>
        {
            parts.ApplicationParts.Add(new AssemblyPart(typeof(ImplicitHostOrdersController).Assembly));
            parts.FeatureProviders.Add(new OnlyTheseControllers(kit == Mapping.DerivedController
                ? [typeof(ImplicitHostOrdersController), typeof(TestChatController)]
                : [typeof(ImplicitHostOrdersController)]));
        });

        if (kit is not null && order == KitOrder.BeforeAppAuth)
        {
            AddKit(builder.Services, mvc, kit.Value);
        }

        // The app's own authentication, as the templates write it: one scheme, no default named.
        var authentication = builder.Services.AddAuthentication();
        if (scheme == AppScheme.JwtBearer)
        {
            authentication.AddJwtBearer(o =>
            {
                o.MapInboundClaims = false;
                o.TokenValidationParameters = new TokenValidationParameters
                {
                    IssuerSigningKey = SigningKey,
                    ValidateIssuer = false,
                    ValidateAudience = false,
                    NameClaimType = "name",
                    RoleClaimType = "role",
                };
            });
        }
        else
        {
            authentication.AddScheme<AuthenticationSchemeOptions, HeaderAuthHandler>(HeaderAuthHandler.SchemeName, null);
        }

        builder.Services.AddAuthorizationBuilder()
            .SetFallbackPolicy(new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build())
            .AddPolicy("admins", p => p.RequireRole("admin"));

        if (kit is not null && order == KitOrder.AfterAppAuth)
        {
            AddKit(builder.Services, mvc, kit.Value);
        }

        var app = builder.Build();
        app.MapGet("/app/me", (ClaimsPrincipal user) => user.Identity?.Name ?? "anonymous").AllowAnonymous();
        app.MapGet("/app/secure", (ClaimsPrincipal user) => "secure for " + user.Identity!.Name).RequireAuthorization();
        app.MapGet("/app/admin", () => "admin area").RequireAuthorization("admins");
        app.MapGet("/app/fallback", () => "behind the fallback policy");
        app.MapGet("/api/v1/app-items", () => new[] { "bolt", "nut" }).AllowAnonymous();
        app.MapControllers();
        if (kit == Mapping.MinimalApi)
        {
            app.MapOpenPipeChatCompletions();
        }

        await app.StartAsync();
        return new ImplicitHost(app, scheme);
    }

    private static void AddKit(IServiceCollection services, IMvcBuilder mvc, Mapping kit)
    {
        services.AddSingleton<StreamProbe>();
        services.AddOpenPipeServer<TestChatHandler>(o => o.ApiKeys.Add(TestApp.GoodKey));
        if (kit == Mapping.HandlerController)
        {
            mvc.AddOpenPipeChatCompletionsController();
        }
    }

    public async Task<HttpResponseMessage> SendAsync(string method, string path, Credential credential, string? body = null)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        switch (credential)
        {
            case Credential.OpenPipeKey:
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", TestApp.GoodKey);
                break;
            case Credential.User or Credential.Admin when scheme == AppScheme.JwtBearer:
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token(credential == Credential.Admin ? "admin" : "user"));
                break;
            case Credential.User or Credential.Admin:
                request.Headers.Add(HeaderAuthHandler.UserHeader, "alice");
                request.Headers.Add(HeaderAuthHandler.RoleHeader, credential == Credential.Admin ? "admin" : "user");
                break;
        }

        using var timeout = new System.Threading.CancellationTokenSource(TimeSpan.FromSeconds(30));
        return await http.SendAsync(request, timeout.Token);
    }

    /// <summary>Each response as status, headers (but Date) and the body's bytes as text.</summary>
    public async Task<List<string>> RecordAsync(IEnumerable<(string Method, string Path, Credential As)> requests)
    {
        var recording = new List<string>();
        foreach (var (method, path, credential) in requests)
        {
            using var response = await SendAsync(method, path, credential);
            string headers = string.Join(";", response.Headers.Concat(response.Content.Headers)
                .Where(h => h.Key is not "Date")
                .OrderBy(h => h.Key, StringComparer.Ordinal)
                .Select(h => $"{h.Key}={string.Join(",", h.Value)}"));
            recording.Add($"{(int)response.StatusCode} [{headers}] {Encoding.UTF8.GetString(await response.Content.ReadAsByteArrayAsync())}");
        }

        return recording;
    }

    private static string Token(string role) => new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
    {
        Claims = new Dictionary<string, object> { ["name"] = "alice", ["role"] = role },
        Expires = DateTime.UtcNow.AddHours(1),
        SigningCredentials = new SigningCredentials(SigningKey, SecurityAlgorithms.HmacSha256),
    });

    public async ValueTask DisposeAsync()
    {
        http.Dispose();
        await app.StopAsync();
        await app.DisposeAsync();
    }
}

/// <summary>The app's own controller, under the kit's prefix and outside it, behind the app's default scheme.</summary>
[ApiController]
[Authorize]
public sealed class ImplicitHostOrdersController : ControllerBase
{
    [HttpGet("app/orders/{id:int}")]
    [HttpGet("api/v1/app-orders/{id:int}")]
    public ActionResult<string> Get(int id) => $"order {id} for {User.Identity!.Name}";
}

/// <summary>A custom scheme: <c>X-App-User</c> names the user, <c>X-App-Role</c> its role.</summary>
public sealed class HeaderAuthHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "AppHeader";
    public const string UserHeader = "X-App-User";
    public const string RoleHeader = "X-App-Role";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string? user = Request.Headers[UserHeader];
        if (string.IsNullOrEmpty(user))
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        var identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, user), new Claim(ClaimTypes.Role, Request.Headers[RoleHeader].ToString())], Scheme.Name);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), Scheme.Name)));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = 401;
        Response.Headers.WWWAuthenticate = "AppHeader realm=\"app\"";
        return Task.CompletedTask;
    }
}
