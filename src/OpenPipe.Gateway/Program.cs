// The OpenPipe gateway: an OpenPipe-compatible POST /api/v1/chat/completions, an
// IChatCompletionHandler mapped with MapOpenPipeChatCompletions. `dotnet run --project src/OpenPipe.Gateway` serves http://127.0.0.1:5080.

using System;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OpenPipe.Gateway;
using OpenPipe.Gateway.Backends;
using OpenPipe.Gateway.RequestLog;
using OpenPipe.Server;

var builder = WebApplication.CreateBuilder(args);
if (string.IsNullOrEmpty(builder.Configuration["urls"]))
{
    builder.WebHost.UseUrls("http://127.0.0.1:5080");
}

// Everything below reads configuration when the app is built, not now, so tests and hosts can add to it.
builder.Services.AddOptions<GatewayOptions>().BindConfiguration(GatewayOptions.SectionName);
builder.Services.AddSingleton<IConfigureOptions<OpenPipeServerOptions>, GatewayKeySetup>();
builder.Services.AddOpenPipeServer<GatewayChatHandler>();
builder.Services.AddHttpClient();
builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddSingleton<EchoBackend>();
builder.Services.AddSingleton<BackendRouter>();
builder.Services.AddSingleton<RequestLogQueue>();
builder.Services.AddSingleton<SqliteRequestLogWriter>();
builder.Services.AddHostedService(sp => sp.GetRequiredService<SqliteRequestLogWriter>());

var app = builder.Build();

// Resolve the keys now, so a generated one is printed at start rather than at the first request.
_ = app.Services.GetRequiredService<IOptionsMonitor<OpenPipeServerOptions>>().CurrentValue;
app.MapGet("/healthz", () => Results.Text("ok")).AllowAnonymous();
app.MapOpenPipeChatCompletions();
app.Run();

/// <summary>The gateway's entry point (public for WebApplicationFactory).</summary>
public partial class Program
{
}
