using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Security.Claims;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Newtonsoft.Json.Linq;
using NUnit.Framework;

namespace OpenPipe.Server.Tests;

/// <summary>
/// The key check behind the bearer scheme: the configured keys' validator (exact keys only, one
/// caller per key), and a validator of the app's own that answers asynchronously.
/// </summary>
[TestFixture]
public sealed class KeyValidatorTests
{
    private const string FirstKey = "sk-first-0123456789";
    private const string SecondKey = "sk-second-9876543210";

    [Test]
    public async Task ValidateAsync_ConfiguredKeys_EachKeyHasItsOwnCallerEveryTime()
    {
        // Arrange
        using var services = ConfiguredServices();
        var validator = services.GetRequiredService<IOpenPipeKeyValidator>();

        // Act
        var first = await validator.ValidateAsync(FirstKey);
        var firstAgain = await validator.ValidateAsync(FirstKey);
        var second = await validator.ValidateAsync(SecondKey);

        // Assert
        Assert.That(validator, Is.TypeOf<ConfiguredKeyValidator>());
        Assert.That(first?.KeyId, Is.EqualTo(OpenPipeCaller.KeyIdOf(FirstKey)));
        Assert.That(second?.KeyId, Is.EqualTo(OpenPipeCaller.KeyIdOf(SecondKey)));
        Assert.That(firstAgain, Is.SameAs(first), "a known key's caller is made once, not per request");
    }

    [TestCase("")]
    [TestCase("sk-first-012345678")]
    [TestCase("sk-first-01234567890")]
    [TestCase("SK-FIRST-0123456789")]
    [TestCase("sk-first-0123456789 ")]
    [TestCase("sk-second-9876543210sk-first-0123456789")]
    public async Task ValidateAsync_NotExactlyAConfiguredKey_ReturnsNull(string presented)
    {
        // Arrange
        using var services = ConfiguredServices();
        var validator = services.GetRequiredService<IOpenPipeKeyValidator>();

        // Act
        var caller = await validator.ValidateAsync(presented);

        // Assert
        Assert.That(caller, Is.Null);
    }

    [Test]
    public async Task ValidateAsync_KeysOfDifferentLengths_EachPresentedKeyMatchesOnlyItself()
    {
        // Arrange: keys are compared padded to the widest one, so padding must never make a match.
        string wide = new('w', 300);
        string[] keys = ["abc", "abcdef", wide];
        using var services = new ServiceCollection().AddLogging().AddOpenPipeServer(o =>
        {
            foreach (string key in keys)
            {
                o.ApiKeys.Add(key);
            }
        }).BuildServiceProvider();
        var validator = services.GetRequiredService<IOpenPipeKeyValidator>();

        // Act
        var matched = new string?[keys.Length];
        for (int i = 0; i < keys.Length; i++)
        {
            matched[i] = (await validator.ValidateAsync(keys[i]))?.KeyId;
        }

        string[] nearMisses = ["ab", "abcd", "abc\0", "abc\0\0\0", "abcdef\0", wide[..^1], wide + "w", wide + "\0", new string('w', 20_000), "\0"];
        var missed = new List<OpenPipeCaller?>();
        foreach (string presented in nearMisses)
        {
            missed.Add(await validator.ValidateAsync(presented));
        }

        // Assert
        Assert.That(matched, Is.EqualTo(keys.Select(OpenPipeCaller.KeyIdOf).ToArray()));
        Assert.That(missed, Has.All.Null);
    }

    [Test]
    public async Task Get_ConfiguredKey_PrincipalCarriesTheKeyIdClaimsFromTheLocalAuthority()
    {
        // Arrange
        await using var app = await StartAsync(configured: true);

        // Act
        using var response = await SendAsync(app, FirstKey, "/claims");

        // Assert
        string id = OpenPipeCaller.KeyIdOf(FirstKey);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await response.Content.ReadAsStringAsync(), Is.EqualTo(
            $"OpenPipeBearer:{OpenPipeCaller.KeyIdClaim}={id}@LOCAL AUTHORITY;" +
            $"OpenPipeBearer:{ClaimTypes.NameIdentifier}={id}@LOCAL AUTHORITY"));
    }

    [Test]
    public async Task Post_AValidatorThatAnswersLater_AuthenticatesItsCallerOrAnswers401()
    {
        // Arrange
        await using var app = await StartAsync();

        // Act
        using var known = await SendAsync(app, "known-key");
        using var unknown = await SendAsync(app, "unknown-key");

        // Assert
        Assert.That(known.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await known.Content.ReadAsStringAsync(), Is.EqualTo("key_later|Later Caller"));
        Assert.That(unknown.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(unknown.Headers.WwwAuthenticate.ToString(), Is.EqualTo("Bearer"));
        var error = JObject.Parse(await unknown.Content.ReadAsStringAsync());
        Assert.That((string?)error["message"], Is.EqualTo("The API key is not valid."));
    }

    /// <summary>The server's services with the two configured keys.</summary>
    private static ServiceProvider ConfiguredServices() =>
        new ServiceCollection().AddLogging().AddOpenPipeServer(o =>
        {
            o.ApiKeys.Add(FirstKey);
            o.ApiKeys.Add(SecondKey);
        }).BuildServiceProvider();

    /// <summary>An app with <c>/whoami</c> and <c>/claims</c> behind the kit's policy, checking keys with <see cref="LaterValidator"/> or, if <paramref name="configured"/>, the configured keys.</summary>
    private static async Task<WebApplication> StartAsync(bool configured = false)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production" });
        builder.WebHost.UseTestServer();
        builder.Logging.ClearProviders();
        if (!configured)
        {
            builder.Services.AddSingleton<IOpenPipeKeyValidator, LaterValidator>();
        }

        builder.Services.AddSingleton<StreamProbe>();
        builder.Services.AddOpenPipeServer<TestChatHandler>(o => o.ApiKeys.Add(FirstKey));
        var app = builder.Build();
        app.MapGet("/whoami", (ClaimsPrincipal user) => user.GetOpenPipeCaller() is { } caller ? $"{caller.KeyId}|{caller.Name}" : "anonymous")
            .RequireAuthorization(OpenPipeDefaults.AuthorizationPolicy);
        app.MapGet("/claims", (ClaimsPrincipal user) => string.Join(";", user.Claims.Select(c => $"{c.Subject?.AuthenticationType}:{c.Type}={c.Value}@{c.Issuer}")))
            .RequireAuthorization(OpenPipeDefaults.AuthorizationPolicy);
        await app.StartAsync();
        return app;
    }

    private static async Task<HttpResponseMessage> SendAsync(WebApplication app, string key, string path = "/whoami")
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return await app.GetTestClient().SendAsync(request);
    }

    /// <summary>Looks the key up elsewhere: answers only after yielding, as a database or a cache would.</summary>
    private sealed class LaterValidator : IOpenPipeKeyValidator
    {
        public async ValueTask<OpenPipeCaller?> ValidateAsync(string apiKey, CancellationToken cancellationToken = default)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(5), cancellationToken);
            return apiKey == "known-key" ? new OpenPipeCaller("key_later", "Later Caller") : null;
        }
    }
}
