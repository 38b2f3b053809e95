using System;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace OpenPipe.Benchmarks;

/// <summary>
/// An in-process Kestrel on 127.0.0.1 that answers POST /{small,large,stream}/v1/chat/completions
/// with fixed bytes, so every client reads identical bytes and only the client differs.
/// </summary>
public sealed class FixtureServer : IAsyncDisposable
{
    private readonly WebApplication app;

    private FixtureServer(WebApplication app, Uri root)
    {
        this.app = app;
        Root = root;
    }

    /// <summary>The server's root, e.g. http://127.0.0.1:PORT/.</summary>
    public Uri Root { get; }

    /// <summary>The API base URL of a fixture, e.g. http://127.0.0.1:PORT/large/v1.</summary>
    public Uri BaseUrl(string fixture) => new(Root, fixture + "/v1");

    public static async Task<FixtureServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        app.MapPost("/small/v1/chat/completions", (HttpContext c) => Write(c, Fixtures.Small, "application/json"));
        app.MapPost("/large/v1/chat/completions", (HttpContext c) => Write(c, Fixtures.Large, "application/json"));
        app.MapPost("/stream/v1/chat/completions", (HttpContext c) => Write(c, Fixtures.Stream, "text/event-stream"));
        await app.StartAsync();
        string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new FixtureServer(app, new Uri(address.TrimEnd('/') + "/"));
    }

    /// <summary>When the stream fixture last began writing its body (Stopwatch timestamp), for first-chunk latency.</summary>
    public static long StreamWriteStarted => Volatile.Read(ref streamWriteStarted);

    private static long streamWriteStarted;

    private static async Task Write(HttpContext context, byte[] body, string contentType)
    {
        // Read and discard the request, as a real server would.
        await context.Request.Body.CopyToAsync(System.IO.Stream.Null);
        context.Response.ContentType = contentType;
        context.Response.ContentLength = body.Length;
        if (ReferenceEquals(body, Fixtures.Stream))
        {
            Volatile.Write(ref streamWriteStarted, System.Diagnostics.Stopwatch.GetTimestamp());
        }

        await context.Response.Body.WriteAsync(body);
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
