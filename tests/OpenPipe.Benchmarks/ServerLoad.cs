using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenPipe.Client;
using OpenPipe.Server;

namespace OpenPipe.Benchmarks;

/// <summary>
/// Server throughput: a controller derived from the generated ChatCompletionsControllerBase
/// (auth, MVC, Newtonsoft, SseFormatter) against a minimal-API endpoint writing the same bytes.
/// The load comes from a separate process (<see cref="LoadClient"/>) on loopback, with fixed
/// concurrency and duration: bounded, and it stops by itself.
/// </summary>
public static class ServerLoad
{
    public const string Key = "bench-key";

    public static async Task<int> RunAsync(string[] args)
    {
        int concurrency = Option(args, "--concurrency", 32);
        int duration = Option(args, "--duration", 10);
        int warmup = Option(args, "--warmup", 2);
        await using var server = await StartAsync();
        string jsonBody = WriteTemp("""{"model":"openpipe:bench","messages":[{"role":"user","content":"Say something."}]}""");
        string streamBody = WriteTemp("""{"model":"openpipe:bench","messages":[{"role":"user","content":"Say something."}],"stream":true}""");

        var scenarios = new (string Name, string Path, string Body, bool Auth)[]
        {
            ("JSON completion: ChatCompletionsControllerBase", "api/v1/chat/completions", jsonBody, true),
            ("JSON completion: minimal API, same bytes", "minimal/json", jsonBody, false),
            ($"{Fixtures.ServerStreamChunks}-chunk stream: ChatCompletionsControllerBase", "api/v1/chat/completions", streamBody, true),
            ($"{Fixtures.ServerStreamChunks}-chunk stream: minimal API, same bytes", "minimal/stream", streamBody, false),
        };

        Console.WriteLine($"Server throughput, {concurrency} concurrent connections, {warmup} s warm-up + {duration} s measured per scenario, load from a separate process on 127.0.0.1.");
        Console.WriteLine();
        Console.WriteLine("| scenario | requests/s | p50 ms | p99 ms | errors |");
        Console.WriteLine("|---|---:|---:|---:|---:|");
        foreach (var s in scenarios)
        {
            string result = await RunClientAsync(new Uri(server.Root, s.Path), s.Body, concurrency, duration, warmup, s.Auth ? Key : "-");
            Console.WriteLine($"| {s.Name} | {result} |");
        }

        File.Delete(jsonBody);
        File.Delete(streamBody);
        return 0;
    }

    /// <summary>Starts the server under test on 127.0.0.1 with a free port.</summary>
    public static async Task<Host> StartAsync()
    {
        var builder = WebApplication.CreateBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddOpenPipeServer(o => o.ApiKeys.Add(Key));
        builder.Services.AddControllers().AddApplicationPart(typeof(BenchController).Assembly);
        var app = builder.Build();
        app.MapControllers();
        byte[][] chunks = SplitEvents(Fixtures.ServerStream);
        app.MapPost("/minimal/json", async (HttpContext c) =>
        {
            await c.Request.Body.CopyToAsync(Stream.Null);
            c.Response.ContentType = "application/json";
            await c.Response.Body.WriteAsync(Fixtures.Small);
        });
        app.MapPost("/minimal/stream", async (HttpContext c) =>
        {
            await c.Request.Body.CopyToAsync(Stream.Null);
            c.Response.ContentType = "text/event-stream";
            c.Response.Headers.CacheControl = "no-cache";
            foreach (byte[] chunk in chunks)
            {
                await c.Response.Body.WriteAsync(chunk, c.RequestAborted);
                await c.Response.Body.FlushAsync(c.RequestAborted);
            }
        });
        await app.StartAsync();
        string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new Host(app, new Uri(address.TrimEnd('/') + "/"));
    }

    private static async Task<string> RunClientAsync(Uri url, string bodyFile, int concurrency, int duration, int warmup, string key)
    {
        string self = typeof(ServerLoad).Assembly.Location;
        var info = new ProcessStartInfo(Environment.ProcessPath!.EndsWith("dotnet", StringComparison.Ordinal) ? Environment.ProcessPath : "dotnet")
        {
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (string a in new[] { self, "--load-client", url.ToString(), bodyFile, concurrency.ToString(System.Globalization.CultureInfo.InvariantCulture), duration.ToString(System.Globalization.CultureInfo.InvariantCulture), warmup.ToString(System.Globalization.CultureInfo.InvariantCulture), key })
        {
            info.ArgumentList.Add(a);
        }

        using var process = Process.Start(info)!;
        string output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        return output.Trim();
    }

    private static byte[][] SplitEvents(byte[] body)
    {
        string text = Encoding.UTF8.GetString(body);
        return text.Split("\n\n", StringSplitOptions.RemoveEmptyEntries).Select(e => Encoding.UTF8.GetBytes(e + "\n\n")).ToArray();
    }

    private static string WriteTemp(string body)
    {
        string path = Path.GetTempFileName();
        File.WriteAllText(path, body);
        return path;
    }

    private static int Option(string[] args, string name, int fallback)
    {
        int at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length ? int.Parse(args[at + 1], System.Globalization.CultureInfo.InvariantCulture) : fallback;
    }

    public sealed class Host(WebApplication app, Uri root) : IAsyncDisposable
    {
        public Uri Root { get; } = root;

        public async ValueTask DisposeAsync()
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }
}

/// <summary>A controller derived from the generated base that answers with the fixture's completion or its 100 chunks.</summary>
public sealed class BenchController : ChatCompletionsControllerBase
{
    private static readonly ChatCompletion Completion = OpenPipeJson.Deserialize<ChatCompletion>(Encoding.UTF8.GetString(Fixtures.Small))!;

    private static readonly ChatCompletionChunk[] Chunks = Encoding.UTF8.GetString(Fixtures.ServerStream)
        .Split("\n\n", StringSplitOptions.RemoveEmptyEntries)
        .Select(e => e["data: ".Length..])
        .Where(d => d != "[DONE]")
        .Select(d => OpenPipeJson.Deserialize<ChatCompletionChunk>(d)!)
        .ToArray();

    public override Task<ActionResult<ChatCompletion>> CreateChatCompletion(
        bool? opLogRequest, CacheMode? opCache, string? opTags, string? opCriteria, ChatCompletionRequest body, CancellationToken cancellationToken = default) =>
        RespondAsync(body, (_, _) => Task.FromResult(Completion), StreamAsync);

    private static async IAsyncEnumerable<ChatCompletionChunk> StreamAsync(ChatCompletionRequest request, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        foreach (var chunk in Chunks)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return chunk;
        }

        await Task.CompletedTask;
    }
}
