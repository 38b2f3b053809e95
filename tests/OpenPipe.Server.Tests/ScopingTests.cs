using System;
using System.Collections.Generic;
using System.ComponentModel.DataAnnotations;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Security.Claims;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.ApplicationParts;
using Microsoft.AspNetCore.Mvc.Controllers;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Newtonsoft.Json.Linq;
using NUnit.Framework;

namespace OpenPipe.Server.Tests;

/// <summary>
/// Adding the kit to an app with its own System.Text.Json minimal endpoints, MVC controller, error
/// pages and default authentication scheme leaves every one of its responses byte-identical.
/// </summary>
[TestFixture]
public sealed class ScopingTests
{
    /// <summary>The host app's own requests: minimal APIs, MVC, validation, 404s and its own auth.</summary>
    private static readonly (string Method, string Path, string? Body, string? User)[] HostRequests =
    [
        ("GET", "/host/items/7", null, null),
        ("POST", "/host/items", """{"itemId":1,"displayName":"Bolt"}""", null),
        ("POST", "/host/items", """{"itemId":"not a number"}""", null),
        ("GET", "/host/secure", null, null),
        ("GET", "/host/secure", null, "alice"),
        ("GET", "/host/orders/3", null, "alice"),
        ("GET", "/host/orders/3", null, null),
        ("GET", "/host/orders/404", null, "alice"),
        ("POST", "/host/orders", """{"Quantity":0,"Product":""}""", "alice"),
        ("POST", "/host/orders", """{"Quantity":"many"}""", "alice"),
        ("POST", "/host/orders", """{"Quantity":2,"Product":"Nut"}""", "alice"),
        ("GET", "/host/no-such-route", null, null),
        ("GET", "/api/v2/chat/completions", null, null),
    ];

    [TestCase(Mapping.MinimalApi)]
    [TestCase(Mapping.HandlerController)]
    [TestCase(Mapping.DerivedController)]
    public async Task AddingTheKit_HostAppsOwnResponses_AreByteIdentical(Mapping mapping)
    {
        // Arrange
        await using var before = await HostApp.StartAsync(kit: null);
        await using var after = await HostApp.StartAsync(kit: mapping);

        // Act
        var expected = await before.RecordAsync(HostRequests);
        var actual = await after.RecordAsync(HostRequests);

        // Assert: the recordings say something (the host's own shapes), and adding the kit changed none of them.
        Assert.That(expected[0], Does.Contain("\"itemId\":7").And.Contain("\"displayName\":\"Widget\""), "the host's STJ camelCase");
        Assert.That(expected[4], Does.StartWith("200 "), "the host's default scheme authenticates its own route");
        Assert.That(expected[8], Does.StartWith("400 application/problem+json").And.Contain("\"Quantity\""), "the host's [ApiController] validation problem, C# names");
        Assert.That(expected[7], Does.StartWith("404 application/problem+json"), "the host's own client error shape");
        Assert.That(actual, Is.EqualTo(expected));
    }

    [TestCase(Mapping.MinimalApi)]
    [TestCase(Mapping.HandlerController)]
    [TestCase(Mapping.DerivedController)]
    public async Task AddingTheKit_OpenPipeRoute_UsesItsOwnSchemeShapeAndJson(Mapping mapping)
    {
        // Arrange
        await using var app = await HostApp.StartAsync(kit: mapping);
        const string Body = """{"model":"m","messages":[{"role":"user","content":"hi host"}],"temperature":1}""";

        // Act
        using var ok = await app.SendAsync("POST", "/api/v1/chat/completions", Body, bearer: TestApp.GoodKey);
        using var hostUserOnly = await app.SendAsync("POST", "/api/v1/chat/completions", Body, user: "alice");
        using var invalid = await app.SendAsync("POST", "/api/v1/chat/completions", """{"model":"m","messages":[],"temperature":9}""", bearer: TestApp.GoodKey);

        // Assert
        var completion = JObject.Parse(await ok.Content.ReadAsStringAsync());
        Assert.That(ok.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((string?)completion["object"], Is.EqualTo("chat.completion"));
        Assert.That((string?)completion["choices"]![0]!["finish_reason"], Is.EqualTo("stop"), "snake_case wire names, not the host's camelCase");
        Assert.That(completion["choices"]![0]!["logprobs"], Is.Null, "unset fields left out");

        Assert.That(hostUserOnly.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized), "the host's default scheme does not open the kit's route");
        Assert.That(hostUserOnly.Headers.WwwAuthenticate.Single().Scheme, Is.EqualTo("Bearer"));
        Assert.That((string?)JObject.Parse(await hostUserOnly.Content.ReadAsStringAsync())["code"], Is.EqualTo("UNAUTHORIZED"));

        var error = JObject.Parse(await invalid.Content.ReadAsStringAsync());
        Assert.That(invalid.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(invalid.Content.Headers.ContentType!.MediaType, Is.EqualTo("application/json"));
        Assert.That(error["issues"]!.Select(i => string.Join('.', i["path"]!.Select(p => (string)p!))), Does.Contain("temperature"));
    }

    [Test]
    public async Task AddOpenPipeServer_DoesNotChangeTheDefaultScheme()
    {
        await using var app = await HostApp.StartAsync(kit: Mapping.MinimalApi);
        var schemes = app.Services.GetRequiredService<IAuthenticationSchemeProvider>();
        Assert.That((await schemes.GetDefaultAuthenticateSchemeAsync())!.Name, Is.EqualTo(HostAuthHandler.SchemeName));
        Assert.That(await schemes.GetSchemeAsync(OpenPipeDefaults.AuthenticationScheme), Is.Not.Null);
    }

    [Test]
    public async Task MapOpenPipeNotFound_UnknownPathUnderThePrefix_Returns404InTheApisShape()
    {
        await using var app = await HostApp.StartAsync(kit: Mapping.MinimalApi, chain: group => group.MapOpenPipeNotFound());
        using var response = await app.SendAsync("POST", "/api/v1/completions", "{}", bearer: TestApp.GoodKey);
        var body = JObject.Parse(await response.Content.ReadAsStringAsync());
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That((string?)body["code"], Is.EqualTo("NOT_FOUND"));
        Assert.That((string?)body["error"]!["code"], Is.EqualTo("NOT_FOUND"));
    }

    [Test]
    public async Task MapOpenPipeChatCompletions_UnknownPathUnderThePrefix_IsLeftToTheApp()
    {
        await using var app = await HostApp.StartAsync(kit: Mapping.MinimalApi);
        using var response = await app.SendAsync("POST", "/api/v1/completions", "{}", bearer: TestApp.GoodKey);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.Not.EqualTo("application/json"), "the app's status code page, not the kit's JSON");
    }

    [Test]
    public async Task MapOpenPipeChatCompletions_GetOnTheRoute_Returns405InTheApisShape()
    {
        await using var app = await HostApp.StartAsync(kit: Mapping.MinimalApi);
        using var response = await app.SendAsync("GET", "/api/v1/chat/completions", null);
        var body = JObject.Parse(await response.Content.ReadAsStringAsync());
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.MethodNotAllowed));
        Assert.That((string?)body["code"], Is.EqualTo("METHOD_NOT_SUPPORTED"));
        Assert.That(response.Content.Headers.Allow, Is.EqualTo(new[] { "POST" }));
    }

    [Test]
    public async Task MapOpenPipeChatCompletions_ReturnsTheGroup_SoConventionsChainOntoTheRoute()
    {
        // Arrange: the app adds its own policy on top of the kit's scheme.
        await using var app = await HostApp.StartAsync(kit: Mapping.MinimalApi, chain: group => group.RequireAuthorization(p => p.RequireClaim(OpenPipeCaller.KeyIdClaim, OpenPipeCaller.KeyIdOf("sk-other-key"))));
        const string Body = """{"model":"m","messages":[{"role":"user","content":"x"}]}""";

        // Act
        using var other = await app.SendAsync("POST", "/api/v1/chat/completions", Body, bearer: "sk-other-key");
        using var good = await app.SendAsync("POST", "/api/v1/chat/completions", Body, bearer: TestApp.GoodKey);

        // Assert
        Assert.That(other.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(good.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That((string?)JObject.Parse(await good.Content.ReadAsStringAsync())["code"], Is.EqualTo("FORBIDDEN"));
    }
}

/// <summary>An app with its own API, optionally with the kit added one of three ways.</summary>
internal sealed partial class HostApp : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly HttpClient http;

    private HostApp(WebApplication app)
    {
        this.app = app;
        http = app.GetTestClient();
    }

    public IServiceProvider Services => app.Services;

    public static async Task<HostApp> StartAsync(Mapping? kit, Action<RouteGroupBuilder>? chain = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production" });
        builder.WebHost.UseTestServer();
        builder.Logging.ClearProviders();

        // The host's own choices.
        builder.Services.AddAuthentication(HostAuthHandler.SchemeName).AddScheme<AuthenticationSchemeOptions, HostAuthHandler>(HostAuthHandler.SchemeName, null);
        builder.Services.AddAuthorization(o => o.DefaultPolicy = new AuthorizationPolicyBuilder().RequireAuthenticatedUser().RequireClaim(ClaimTypes.Name).Build());
        builder.Services.AddProblemDetails();
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.Never);
        var mvc = builder.Services.AddControllers().ConfigureApplicationPartManager(parts =>
        {
            parts.ApplicationParts.Add(new AssemblyPart(typeof(HostOrdersController).Assembly));
            parts.FeatureProviders.Add(new OnlyTheseControllers(kit == Mapping.DerivedController ? [typeof(HostOrdersController), typeof(TestChatController)] : [typeof(HostOrdersController)]));
        });

        if (kit is not null)
        {
            builder.Services.AddSingleton<StreamProbe>();
            builder.Services.AddOpenPipeServer<TestChatHandler>(o => { o.ApiKeys.Add(TestApp.GoodKey); o.ApiKeys.Add("sk-other-key"); });
            if (kit == Mapping.HandlerController)
            {
                mvc.AddOpenPipeChatCompletionsController();
            }
        }

        var app = builder.Build();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.MapGet("/host/items/{id:int}", (int id) => new HostItem(id, "Widget", null));
        app.MapPost("/host/items", (HostItem item) => TypedResults.Created($"/host/items/{item.ItemId}", item));
        app.MapGet("/host/secure", (ClaimsPrincipal user) => new { user = user.Identity!.Name }).RequireAuthorization();
        app.MapControllers();
        if (kit == Mapping.MinimalApi)
        {
            var group = app.MapOpenPipeChatCompletions();
            chain?.Invoke(group);
        }

        await app.StartAsync();
        return new HostApp(app);
    }

    public async Task<HttpResponseMessage> SendAsync(string method, string path, string? body, string? user = null, string? bearer = null)
    {
        var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        if (user is not null)
        {
            request.Headers.Add(HostAuthHandler.Header, user);
        }

        if (bearer is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }

        using var timeout = new System.Threading.CancellationTokenSource(TimeSpan.FromSeconds(30));
        return await http.SendAsync(request, timeout.Token);
    }

    /// <summary>Each response as "status content-type headers body", the bytes of the body as text.</summary>
    public async Task<List<string>> RecordAsync(IEnumerable<(string Method, string Path, string? Body, string? User)> requests)
    {
        var recording = new List<string>();
        foreach (var (method, path, body, user) in requests)
        {
            using var response = await SendAsync(method, path, body, user);
            string headers = string.Join(";", response.Headers.Concat(response.Content.Headers)
                .Where(h => h.Key is not "Date" and not "Content-Length")
                .OrderBy(h => h.Key, StringComparer.Ordinal)
                .Select(h => $"{h.Key}={string.Join(",", h.Value)}"));
            // The body's exact bytes, except ProblemDetails' traceId, which differs per request in any app.
            string text = Encoding.UTF8.GetString(await response.Content.ReadAsByteArrayAsync());
            recording.Add($"{(int)response.StatusCode} {response.Content.Headers.ContentType} [{headers}] {TraceId().Replace(text, "\"traceId\":\"*\"")}");
        }

        return recording;
    }

    [System.Text.RegularExpressions.GeneratedRegex("\"traceId\":\"[^\"]*\"")]
    private static partial System.Text.RegularExpressions.Regex TraceId();

    public async ValueTask DisposeAsync()
    {
        http.Dispose();
        await app.StopAsync();
        await app.DisposeAsync();
    }
}

/// <summary>The host's item, serialized by its System.Text.Json settings.</summary>
public sealed record HostItem(int ItemId, string DisplayName, string? Note);

/// <summary>The host's order.</summary>
public sealed class HostOrder
{
    [System.ComponentModel.DataAnnotations.Range(1, 100)]
    public int Quantity { get; set; }

    [Required]
    public string? Product { get; set; }
}

/// <summary>The host's own MVC controller, authenticated with the host's default scheme.</summary>
[ApiController]
[Route("host/orders")]
[Authorize]
public sealed class HostOrdersController : ControllerBase
{
    [HttpGet("{id:int}")]
    public ActionResult<HostOrder> Get(int id) => id == 404 ? NotFound() : new HostOrder { Quantity = id, Product = "Bolt" };

    [HttpPost]
    public ActionResult<HostOrder> Create(HostOrder order) => CreatedAtAction(nameof(Get), new { id = order.Quantity }, order);
}

/// <summary>The host's default scheme: an <c>X-Host-User</c> header names the user.</summary>
public sealed class HostAuthHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "HostScheme";
    public const string Header = "X-Host-User";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string? user = Request.Headers[Header];
        if (string.IsNullOrEmpty(user))
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        var identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, user)], SchemeName);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = 401;
        Response.Headers.WWWAuthenticate = "Host realm=\"host\"";
        return Task.CompletedTask;
    }
}

/// <summary>Keeps only the named controllers, so each app sees exactly the controllers it means to.</summary>
internal sealed class OnlyTheseControllers(Type[] keep) : IApplicationFeatureProvider<ControllerFeature>
{
    public void PopulateFeature(IEnumerable<ApplicationPart> parts, ControllerFeature feature)
    {
        foreach (var type in feature.Controllers.Where(c => !keep.Contains(c.AsType())).ToList())
        {
            feature.Controllers.Remove(type);
        }
    }
}
