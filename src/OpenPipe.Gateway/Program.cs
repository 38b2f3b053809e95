// The OpenPipe gateway: an OpenPipe-compatible POST /api/v1/chat/completions built on the generated
// controller base. `dotnet run --project src/OpenPipe.Gateway` serves http://127.0.0.1:5080.

using System;
using System.Linq;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenPipe.Client;
using OpenPipe.Gateway;
using OpenPipe.Gateway.Backends;
using OpenPipe.Gateway.RequestLog;
using OpenPipe.Server;

var builder = WebApplication.CreateBuilder(args);
if (string.IsNullOrEmpty(builder.Configuration["urls"]))
{
    builder.WebHost.UseUrls("http://127.0.0.1:5080");
}

var gatewaySection = builder.Configuration.GetSection(GatewayOptions.SectionName);
builder.Services.Configure<GatewayOptions>(gatewaySection);

// Keys: OpenPipe:Server:ApiKeys in configuration, or OPENPIPE_GATEWAY_API_KEYS (comma-separated).
// With none, a random key for this run, printed once, so a first run works and is still closed.
var keys = builder.Configuration.GetSection(OpenPipeServerOptions.SectionName + ":ApiKeys").Get<string[]>()?.ToList() ?? [];
keys.AddRange((builder.Configuration["OPENPIPE_GATEWAY_API_KEYS"] ?? string.Empty)
    .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
if (keys.Count == 0)
{
    string generated = "opk_local_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
    keys.Add(generated);
    Console.WriteLine($"OpenPipe gateway: no API keys configured; this run accepts: {generated}");
}

builder.Services.AddOpenPipeServer(o =>
{
    builder.Configuration.GetSection(OpenPipeServerOptions.SectionName).Bind(o);
    foreach (string key in keys.Where(k => !o.ApiKeys.Contains(k)))
    {
        o.ApiKeys.Add(key);
    }
}).AddApplicationPart(typeof(GatewayChatController).Assembly);

builder.Services.AddHttpClient();
builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddSingleton<EchoBackend>();
builder.Services.AddSingleton<BackendRouter>();
builder.Services.AddSingleton<RequestLogQueue>();
builder.Services.AddSingleton<SqliteRequestLogWriter>();
builder.Services.AddHostedService(sp => sp.GetRequiredService<SqliteRequestLogWriter>());
foreach (var upstream in gatewaySection.GetSection("Upstreams").GetChildren())
{
    var options = BackendRouter.UpstreamClientOptions(upstream.Get<UpstreamOptions>() ?? new UpstreamOptions(), upstream.Key);
    builder.Services.AddHttpClient(BackendRouter.HttpClientName(upstream.Key), http => http.Timeout = System.Threading.Timeout.InfiniteTimeSpan)
        .AddHttpMessageHandler(() => new OpenPipeResilienceHandler(options));
}

var app = builder.Build();
app.MapGet("/healthz", () => Results.Text("ok")).AllowAnonymous();
app.UseOpenPipeServer();
app.Run();

/// <summary>The gateway's entry point (public for WebApplicationFactory).</summary>
public partial class Program
{
}
