// The OpenPipe gateway: an OpenPipe-compatible POST /api/v1/chat/completions (also under /v1, as OpenAI's
// SDKs call it), an IChatCompletionHandler mapped with MapOpenPipeChatCompletions. `dotnet run --project src/OpenPipe.Gateway` serves http://127.0.0.1:5080.

using System;
using System.Linq;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OpenPipe.Gateway;
using OpenPipe.Gateway.Api;
using OpenPipe.Gateway.Health;
using OpenPipe.Gateway.Hosting;
using OpenPipe.Gateway.Limits;
using OpenPipe.Gateway.Logs;
using OpenPipe.Gateway.LogsPage;
using OpenPipe.Gateway.Telemetry;
using OpenPipe.Server;

// ASP.NET Core makes an app's only authentication scheme its default (the kit's bearer scheme is left
// out of that count). The request log page's cookie scheme must never be a default, which would let it
// authenticate requests outside /logs, so the gateway turns that rule off: every route names its scheme.
AppContext.SetSwitch("Microsoft.AspNetCore.Authentication.SuppressAutoDefaultScheme", true);

// The content root is the gateway's own folder (where OpenPipe.Gateway.dll and appsettings.json are),
// wherever it is started from, unless --contentRoot or ASPNETCORE_CONTENTROOT says otherwise.
var builder = WebApplication.CreateBuilder(new WebApplicationOptions
{
    Args = args,
    ContentRootPath = ContentRoot.ExplicitlySet(args) ? null : AppContext.BaseDirectory,
});
if (string.IsNullOrEmpty(builder.Configuration["urls"]))
{
    builder.WebHost.UseUrls("http://127.0.0.1:5080");
}

// Everything below reads configuration when the app is built, not now, so tests and hosts can add to it.
builder.Services.AddSingleton<IConfigureOptions<OpenPipeServerOptions>, GatewayKeySetup>();
builder.Services.AddOpenPipeServer<GatewayChatHandler>();
builder.Services.AddOpenPipeGateway();
builder.Services.AddGatewayLogsPage();
builder.Services.AddGatewayOptionsValidation();
builder.Services.AddGatewayHealthChecks();
builder.Services.AddGatewayLogging();
builder.AddGatewayTelemetry();

var app = builder.Build();

// Resolve the keys now, so a generated one is printed at start rather than at the first request, and
// check the gateway's settings (also checked on start) before the host starts: a bad setting stops
// the gateway here, with the message naming it, and nothing was started that has to be undone.
_ = app.Services.GetRequiredService<IOptionsMonitor<OpenPipeServerOptions>>().CurrentValue;
_ = app.Services.GetRequiredService<IOptions<GatewayOptions>>().Value;

// Error statuses without a body get the API's JSON error; /v1/... is rewritten to /api/v1/... before
// routing (OpenAI's SDKs use /v1), so authentication and authorization run after the rewrite.
app.UseGatewayErrorBodies();
app.UseOpenAIPaths();
app.UseRouting();
app.UseAuthentication();
app.UseAuthorization();

// The per-key limits read the endpoint and the caller, so they run after routing and authorization.
app.UseGatewayLimits();
app.MapGatewayHealthChecks();
app.MapOpenPipeChatCompletions(GatewayPaths.ApiPrefix).MapGatewayApi().MapGatewayRequestLog();
app.MapGatewayLogsPage();
app.Run();

/// <summary>The gateway's entry point (public for WebApplicationFactory).</summary>
public partial class Program
{
}

/// <summary>Whether the caller chose the content root.</summary>
internal static class ContentRoot
{
    public static bool ExplicitlySet(string[] args) =>
        args.Any(a => a.StartsWith("--contentRoot", StringComparison.OrdinalIgnoreCase) || a.StartsWith("/contentRoot", StringComparison.OrdinalIgnoreCase))
        || !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("ASPNETCORE_CONTENTROOT"))
        || !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("DOTNET_CONTENTROOT"));
}
