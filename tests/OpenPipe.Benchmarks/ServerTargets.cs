using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;
using Newtonsoft.Json;
using OpenPipe.Client;
using OpenPipe.Gateway;
using OpenPipe.Gateway.Api;
using OpenPipe.Gateway.Backends;
using OpenPipe.Server;

namespace OpenPipe.Benchmarks;

/// <summary>Counts the responses a host finished (a middleware increments it).</summary>
public sealed class RequestCounter
{
    private long value;

    public long Value => Interlocked.Read(ref value);

    public void Increment() => Interlocked.Increment(ref value);
}

/// <summary>One endpoint under load: where it is, what to send, and the counter of its host.</summary>
public sealed record ServerTarget(string Name, Uri Url, byte[] Body, string? Key, RequestCounter Counter);

/// <summary>The project and the peers it is measured against; the load sends the same body to each.</summary>
public sealed record ServerComparison(string Name, IReadOnlyList<ServerTarget> Peers, ServerTarget Project);

/// <summary>
/// The servers under load, in this process (so their CPU time and allocations are this process's):
/// the kit as shipped (default host configuration and logging, an IChatCompletionHandler mapped with MapOpenPipeChatCompletions) and, in the
/// same host, the peers: a fair minimal API doing the same Newtonsoft work (bearer check, Newtonsoft into
/// the same DTOs, the same echo, Newtonsoft out), a minimal API doing the same echo with System.Text.Json
/// into small records of its own, a minimal API writing prebuilt bytes (the ceiling), and a minimal-API
/// SSE writer (TypedResults.ServerSentEvents) for the stream.
/// </summary>
public sealed class ServerTargets : IAsyncDisposable
{
    public const string Key = "bench-key";

    /// <summary>The JSON request every JSON scenario sends.</summary>
    public static readonly byte[] JsonBody = """{"model":"openpipe:bench","messages":[{"role":"system","content":"You are terse."},{"role":"user","content":"Say something short about load tests and warm-up."}],"temperature":0.2}"""u8.ToArray();

    /// <summary>The streaming request every stream scenario sends.</summary>
    public static readonly byte[] StreamBody = """{"model":"openpipe:bench","messages":[{"role":"system","content":"You are terse."},{"role":"user","content":"Say something short about load tests and warm-up."}],"stream":true}"""u8.ToArray();

    private readonly List<WebApplication> apps;
    private readonly string? directory;

    private ServerTargets(List<WebApplication> apps, IReadOnlyList<ServerComparison> comparisons, Uri kitRoot, string? directory = null)
    {
        this.apps = apps;
        this.directory = directory;
        Comparisons = comparisons;
        KitRoot = kitRoot;
    }

    public IReadOnlyList<ServerComparison> Comparisons { get; }

    /// <summary>The root of the host that serves the kit and its peers.</summary>
    public Uri KitRoot { get; }

    public static async Task<ServerTargets> StartAsync()
    {
        var counter = new RequestCounter();
        var app = BuildKitHost(counter);
        await app.StartAsync();
        var root = RootOf(app);
        ServerTarget Target(string name, string path, byte[] body, bool auth) => new(name, new Uri(root, path), body, auth ? Key : null, counter);

        // The gateway as shipped (SQLite request log, its per-request log line at the shipped level), and the same with that line's category at Warning.
        string directory = Directory.CreateTempSubdirectory("openpipe-bench-").FullName;
        var gatewayCounter = new RequestCounter();
        var gateway = BuildGatewayHost(gatewayCounter, Path.Combine(directory, "shipped.db"), quiet: false);
        await gateway.StartAsync();
        var quietCounter = new RequestCounter();
        var quiet = BuildGatewayHost(quietCounter, Path.Combine(directory, "quiet.db"), quiet: true);
        await quiet.StartAsync();
        var gatewayRoot = RootOf(gateway);
        var quietRoot = RootOf(quiet);

        var comparisons = new List<ServerComparison>
        {
            new("JSON", [Target("fair minimal API", "fair/json", JsonBody, true), Target("STJ minimal API", "stj/json", JsonBody, true), Target("prebuilt bytes", "ceiling/json", JsonBody, false)], Target("kit", "api/v1/chat/completions", JsonBody, true)),
            new("SSE", [Target("minimal-API SSE writer", "fair/stream", StreamBody, true)], Target("kit", "api/v1/chat/completions", StreamBody, true)),
            new("gateway JSON", [new("fair minimal API, gateway's echo", new Uri(gatewayRoot, "fair/gateway-json"), JsonBody, Key, gatewayCounter)], new("gateway", new Uri(gatewayRoot, "api/v1/chat/completions"), JsonBody, Key, gatewayCounter)),
            new("gateway log line", [new("gateway, its log line's category at Warning", new Uri(quietRoot, "api/v1/chat/completions"), JsonBody, Key, quietCounter)], new("gateway", new Uri(gatewayRoot, "api/v1/chat/completions"), JsonBody, Key, gatewayCounter)),
        };
        return new ServerTargets([app, gateway, quiet], comparisons, root, directory);
    }

    /// <summary>The gateway as its Program.cs builds it (echo backend, SQLite request log), with the fair peer beside it using the gateway's echo.</summary>
    private static WebApplication BuildGatewayHost(RequestCounter counter, string database, bool quiet)
    {
        var builder = WebApplication.CreateBuilder();
        ShippedLogging(builder);
        if (quiet)
        {
            builder.Configuration["Logging:LogLevel:OpenPipe.Gateway.Pipeline"] = "Warning";
        }

        builder.Configuration["Gateway:RequestLog:Path"] = database;
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddOpenPipeServer<GatewayChatHandler>(o => o.ApiKeys.Add(Key));
        builder.Services.AddOpenPipeGateway();
        var app = builder.Build();
        app.Use(async (context, next) =>
        {
            await next(context);
            counter.Increment();
        });
        app.MapOpenPipeChatCompletions().MapGatewayApi();
        var echo = app.Services.GetRequiredService<EchoBackend>();
        app.MapPost("/fair/gateway-json", async (HttpContext c) =>
        {
            if (!FairPeer.Authorized(c))
            {
                c.Response.StatusCode = StatusCodes.Status401Unauthorized;
                return;
            }

            var request = await FairPeer.ReadAsync(c);
            await FairPeer.WriteAsync(c, await echo.CompleteAsync(request, null, c.RequestAborted));
        });
        return app;
    }

    /// <summary>The kit as an app would ship it, with the peers mapped beside it.</summary>
    private static WebApplication BuildKitHost(RequestCounter counter)
    {
        var builder = WebApplication.CreateBuilder();
        ShippedLogging(builder);
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddOpenPipeServer<BenchHandler>(o => o.ApiKeys.Add(Key));
        var app = builder.Build();
        app.Use(async (context, next) =>
        {
            await next(context);
            counter.Increment();
        });
        app.MapOpenPipeChatCompletions();
        MapPeers(app);
        return app;
    }

    /// <summary>What the project templates ship in appsettings.json: Information, ASP.NET Core at Warning, to the console.</summary>
    private static void ShippedLogging(WebApplicationBuilder builder)
    {
        builder.Configuration["Logging:LogLevel:Default"] = "Information";
        builder.Configuration["Logging:LogLevel:Microsoft.AspNetCore"] = "Warning";

        // Only the start-up lines ("Now listening on ..."), which would interleave with the results.
        builder.Configuration["Logging:LogLevel:Microsoft.Hosting.Lifetime"] = "Warning";
    }

    private static void MapPeers(WebApplication app)
    {
        byte[] ceiling = Encoding.UTF8.GetBytes(OpenPipeJson.Serialize(BenchEcho.Complete(OpenPipeJson.Deserialize<ChatCompletionRequest>(Encoding.UTF8.GetString(JsonBody))!)));
        app.MapPost("/ceiling/json", async (HttpContext c) =>
        {
            await c.Request.Body.CopyToAsync(Stream.Null);
            c.Response.ContentType = "application/json; charset=utf-8";
            await c.Response.Body.WriteAsync(ceiling);
        });
        app.MapPost("/fair/json", async (HttpContext c) =>
        {
            if (!FairPeer.Authorized(c))
            {
                c.Response.StatusCode = StatusCodes.Status401Unauthorized;
                return;
            }

            var request = await FairPeer.ReadAsync(c);
            await FairPeer.WriteAsync(c, BenchEcho.Complete(request));
        });
        app.MapPost("/stj/json", StjPeer.EchoAsync);
        app.MapPost("/fair/stream", async (HttpContext c) =>
        {
            if (!FairPeer.Authorized(c))
            {
                return Results.Unauthorized();
            }

            var request = await FairPeer.ReadAsync(c);
            return TypedResults.ServerSentEvents(FairPeer.Serialized(BenchEcho.StreamAsync(request, c.RequestAborted)));
        });
    }

    private static Uri RootOf(WebApplication app) =>
        new(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/') + "/");

    public async ValueTask DisposeAsync()
    {
        foreach (var app in apps)
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }

        if (directory is not null)
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
    }
}

/// <summary>The hand-written peer's steps, each the plain way to do it with Newtonsoft.Json in a minimal API.</summary>
internal static class FairPeer
{
    private static readonly byte[] Expected = Encoding.ASCII.GetBytes("Bearer " + ServerTargets.Key);
    private static readonly Newtonsoft.Json.JsonSerializer Serializer = Newtonsoft.Json.JsonSerializer.Create(OpenPipeJson.Settings);

    public static bool Authorized(HttpContext context)
    {
        string? header = context.Request.Headers.Authorization;
        return header is not null && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(header), Expected);
    }

    /// <summary>Buffers the body (Kestrel forbids synchronous reads) and deserializes it with one cached serializer.</summary>
    public static async Task<ChatCompletionRequest> ReadAsync(HttpContext context)
    {
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer, context.RequestAborted);
        buffer.Position = 0;
        using var reader = new JsonTextReader(new StreamReader(buffer));
        return Serializer.Deserialize<ChatCompletionRequest>(reader)!;
    }

    /// <summary>Serializes into ASP.NET Core's pooled response writer, then flushes asynchronously.</summary>
    public static async Task WriteAsync(HttpContext context, ChatCompletion completion)
    {
        context.Response.ContentType = "application/json; charset=utf-8";
        await using var writer = new HttpResponseStreamWriter(context.Response.Body, Encoding.UTF8);
        using (var json = new JsonTextWriter(writer) { CloseOutput = false })
        {
            Serializer.Serialize(json, completion);
        }

        await writer.FlushAsync();
    }

    /// <summary>Each chunk as its Newtonsoft JSON, then the stream's end marker.</summary>
    public static async IAsyncEnumerable<string> Serialized(IAsyncEnumerable<ChatCompletionChunk> chunks)
    {
        await foreach (var chunk in chunks)
        {
            using var text = new StringWriter();
            Serializer.Serialize(text, chunk);
            yield return text.ToString();
        }

        yield return "[DONE]";
    }
}

/// <summary>The work behind every target: answer with the last user message's text, or stream the fixture's chunks.</summary>
public static class BenchEcho
{
    private static readonly ChatCompletionChunk[] Chunks = Encoding.UTF8.GetString(Fixtures.ServerStream)
        .Split("\n\n", StringSplitOptions.RemoveEmptyEntries)
        .Select(e => e["data: ".Length..])
        .Where(d => d != "[DONE]")
        .Select(d => OpenPipeJson.Deserialize<ChatCompletionChunk>(d)!)
        .ToArray();

    public static ChatCompletion Complete(ChatCompletionRequest request)
    {
        string text = request.Messages.OfType<UserMessage>().LastOrDefault()?.Content?.ToString() ?? string.Empty;
        int words = text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
        return new ChatCompletion
        {
            Id = "chatcmpl-bench",
            Object = "chat.completion",
            Created = 1_764_000_000,
            Model = request.Model,
            Choices = [new ChatCompletionChoice { Index = 0, FinishReason = FinishReason.Stop, Message = new ChatCompletionResponseMessage { Role = "assistant", Content = text } }],
            Usage = new Usage { PromptTokens = words, CompletionTokens = words, TotalTokens = 2 * words },
        };
    }

    public static async IAsyncEnumerable<ChatCompletionChunk> StreamAsync(ChatCompletionRequest request, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        foreach (var chunk in Chunks)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return chunk;
        }

        await Task.CompletedTask;
    }
}

/// <summary>The kit's side: an <see cref="IChatCompletionHandler"/> doing the same echo, mapped with MapOpenPipeChatCompletions.</summary>
public sealed class BenchHandler : IChatCompletionHandler
{
    public Task<ChatCompletion> CompleteAsync(ChatCompletionRequest request, ChatCompletionContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(BenchEcho.Complete(request));

    public IAsyncEnumerable<ChatCompletionChunk> StreamAsync(ChatCompletionRequest request, ChatCompletionContext context, CancellationToken cancellationToken = default) =>
        BenchEcho.StreamAsync(request, cancellationToken);
}
