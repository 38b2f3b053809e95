using System;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Security.Claims;
using System.Text;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using NUnit.Framework;

namespace OpenPipe.Server.Tests;

/// <summary>
/// When the kit's bearer scheme is the app's only scheme, ASP.NET Core would make it the default
/// for every request; the kit declines that, so only its own routes (and routes that name its
/// policy or scheme) accept OpenPipe keys, unless the app names the scheme as its default.
/// </summary>
[TestFixture]
public sealed class DefaultSchemeTests
{
    private const string Body = """{"model":"m","messages":[{"role":"user","content":"x"}]}""";

    [Test]
    public async Task AddOpenPipeServer_TheAppsOnlyScheme_IsNotTheImplicitDefault()
    {
        // Arrange
        await using var app = await StartAsync(nameTheDefault: false);
        var schemes = app.Services.GetRequiredService<IAuthenticationSchemeProvider>();

        // Act
        using var own = await SendAsync(app, HttpMethod.Get, "/whoami", TestApp.GoodKey);
        using var kit = await SendAsync(app, HttpMethod.Post, "/api/v1/chat/completions", TestApp.GoodKey, Body);
        using var kitWithoutKey = await SendAsync(app, HttpMethod.Post, "/api/v1/chat/completions", null, Body);

        // Assert
        Assert.That(await schemes.GetSchemeAsync(OpenPipeDefaults.AuthenticationScheme), Is.Not.Null);
        Assert.That(await schemes.GetDefaultAuthenticateSchemeAsync(), Is.Null);
        Assert.That(await schemes.GetDefaultChallengeSchemeAsync(), Is.Null);
        Assert.That(await schemes.GetDefaultForbidSchemeAsync(), Is.Null);
        Assert.That(await schemes.GetDefaultSignInSchemeAsync(), Is.Null);
        Assert.That(await schemes.GetDefaultSignOutSchemeAsync(), Is.Null);
        Assert.That(await own.Content.ReadAsStringAsync(), Is.EqualTo("anonymous"), "the app's own route is not authenticated with the kit's key");
        Assert.That(kit.StatusCode, Is.EqualTo(HttpStatusCode.OK), "the kit's route still authenticates with its scheme");
        Assert.That(kitWithoutKey.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(kitWithoutKey.Headers.WwwAuthenticate.ToString(), Is.EqualTo("Bearer"));
    }

    [Test]
    public async Task AddOpenPipeServer_NamedAsTheDefault_AuthenticatesTheAppsRoutesToo()
    {
        // Arrange
        await using var app = await StartAsync(nameTheDefault: true);
        var schemes = app.Services.GetRequiredService<IAuthenticationSchemeProvider>();

        // Act
        using var own = await SendAsync(app, HttpMethod.Get, "/whoami", TestApp.GoodKey);

        // Assert
        Assert.That((await schemes.GetDefaultAuthenticateSchemeAsync())?.Name, Is.EqualTo(OpenPipeDefaults.AuthenticationScheme));
        Assert.That((await schemes.GetDefaultForbidSchemeAsync())?.Name, Is.EqualTo(OpenPipeDefaults.AuthenticationScheme));
        Assert.That(await own.Content.ReadAsStringAsync(), Is.EqualTo(OpenPipeCaller.KeyIdOf(TestApp.GoodKey)));
    }

    private static async Task<WebApplication> StartAsync(bool nameTheDefault)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production" });
        builder.WebHost.UseTestServer();
        builder.Logging.ClearProviders();
        if (nameTheDefault)
        {
            builder.Services.AddAuthentication(OpenPipeDefaults.AuthenticationScheme);
        }

        builder.Services.AddSingleton<StreamProbe>();
        builder.Services.AddOpenPipeServer<TestChatHandler>(o => o.ApiKeys.Add(TestApp.GoodKey));
        var app = builder.Build();
        app.MapGet("/whoami", (ClaimsPrincipal user) => user.GetOpenPipeCaller()?.KeyId ?? "anonymous");
        app.MapOpenPipeChatCompletions();
        await app.StartAsync();
        return app;
    }

    private static async Task<HttpResponseMessage> SendAsync(WebApplication app, HttpMethod method, string path, string? key, string? body = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        if (key is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        return await app.GetTestClient().SendAsync(request);
    }
}
