using System;
using System.Net;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using NUnit.Framework;
using OpenPipe.Gateway.Api;
using OpenPipe.Gateway.Logs;
using OpenPipe.Gateway.LogsPage;
using OpenPipe.Server;

namespace OpenPipe.Gateway.Tests.LogsPage;

/// <summary>
/// The page in an app other than the gateway's own Program (here the test assembly is the entry point):
/// <c>AddGatewayLogsPage</c> brings the page's compiled Razor views with it.
/// </summary>
[NonParallelizable]
public sealed class OtherHostTests
{
    [Test]
    public async Task AddGatewayLogsPage_InAnotherApp_ServesTheSignInFormAndGuardsTheList()
    {
        // Arrange
        bool suppressed = AppContext.TryGetSwitch("Microsoft.AspNetCore.Authentication.SuppressAutoDefaultScheme", out bool was) && was;
        AppContext.SetSwitch("Microsoft.AspNetCore.Authentication.SuppressAutoDefaultScheme", true);
        string folder = System.IO.Directory.CreateTempSubdirectory("openpipe-otherhost-").FullName;
        try
        {
            var builder = WebApplication.CreateBuilder();
            builder.WebHost.UseTestServer();
            builder.Configuration["Gateway:RequestLog:Path"] = System.IO.Path.Combine(folder, "log.db");
            builder.Services.AddOpenPipeServer<GatewayChatHandler>(o => o.ApiKeys.Add("other-host-key"));
            builder.Services.AddOpenPipeGateway();
            builder.Services.AddGatewayLogsPage();
            await using var app = builder.Build();
            app.UseRouting();
            app.UseAuthentication();
            app.UseAuthorization();
            app.MapOpenPipeChatCompletions().MapGatewayApi().MapGatewayRequestLog();
            app.MapGatewayLogsPage();
            await app.StartAsync();
            using var http = app.GetTestClient();

            // Act
            using var signIn = await http.GetAsync(new Uri("/logs/sign-in", UriKind.Relative));
            string form = await signIn.Content.ReadAsStringAsync();
            using var list = await http.GetAsync(new Uri("/logs", UriKind.Relative));

            // Assert
            Assert.That(signIn.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(form, Does.Contain("<form method=\"post\"").And.Contain("__RequestVerificationToken"));
            Assert.That(list.StatusCode, Is.EqualTo(HttpStatusCode.Redirect), "the list asks for a sign-in");
            Assert.That(list.Headers.Location!.OriginalString, Does.EndWith("/logs/sign-in?ReturnUrl=%2Flogs"));
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            System.IO.Directory.Delete(folder, recursive: true);
            AppContext.SetSwitch("Microsoft.AspNetCore.Authentication.SuppressAutoDefaultScheme", suppressed);
        }
    }
}
