using System;
using System.Collections.Concurrent;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Newtonsoft.Json.Linq;
using OpenPipe.Client.Tests.Support;

namespace OpenPipe.Gateway.Tests.Support;

/// <summary>
/// An OpenAI-compatible upstream on Kestrel in this process, whose behaviour is chosen by the
/// requested model (after the "up:" routing prefix): "ok" answers normally (a stream ends with a
/// usage chunk only when <c>stream_options.include_usage</c> asks for it, as OpenAI's does); every
/// other name is one upstream fault. It counts calls and keeps the op-* headers it received.
/// </summary>
public sealed class FakeUpstream : IAsyncDisposable
{
    private readonly WebApplication app;
    private int calls;

    private FakeUpstream(WebApplication app, int port)
    {
        this.app = app;
        BaseUrl = new Uri($"http://127.0.0.1:{port}/v1");
    }

    public Uri BaseUrl { get; }

    /// <summary>How many chat completion requests arrived.</summary>
    public int Calls => Volatile.Read(ref calls);

    /// <summary>The op-* headers of each request, in arrival order.</summary>
    public ConcurrentQueue<string> OpHeaders { get; } = new();

    /// <summary>Released by tests to end the stalls early (each stall otherwise lasts 30 s).</summary>
    public CancellationTokenSource Release { get; } = new();

    public static async Task<FakeUpstream> StartAsync()
    {
        int port = FreePort.Next();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var upstream = new FakeUpstream(app, port);
        app.MapPost("/v1/chat/completions", upstream.HandleAsync);
        await app.StartAsync();
        return upstream;
    }

    public async ValueTask DisposeAsync()
    {
        await Release.CancelAsync();
        using (var stop = new CancellationTokenSource(TimeSpan.FromSeconds(2)))
        {
            await app.StopAsync(stop.Token);
        }

        await app.DisposeAsync();
        Release.Dispose();
    }

    private async Task HandleAsync(HttpContext context)
    {
        Interlocked.Increment(ref calls);
        OpHeaders.Enqueue(string.Join("; ", context.Request.Headers.Where(h => h.Key.StartsWith("op-", StringComparison.OrdinalIgnoreCase))
            .OrderBy(h => h.Key, StringComparer.OrdinalIgnoreCase).Select(h => $"{h.Key.ToLowerInvariant()}={h.Value}")));
        // An upstream reads as deep as the gateway forwards (Newtonsoft's default stops at 64).
        using var bodyText = new System.IO.StringReader(await new System.IO.StreamReader(context.Request.Body).ReadToEndAsync());
        using var json = new Newtonsoft.Json.JsonTextReader(bodyText) { MaxDepth = 256 };
        var body = JObject.Load(json);
        string model = ((string?)body["model"] ?? string.Empty).Split(':').Last();
        bool stream = (bool?)body["stream"] == true;
        string text = (string?)body["messages"]?.Last?["content"] ?? string.Empty;
        var response = context.Response;
        var stall = Release.Token;
        switch (model)
        {
            case "ok" when stream:
                await StartSseAsync(response);
                await WriteEventAsync(response, Chunk(new JObject { ["role"] = "assistant", ["content"] = "" }, null));
                foreach (string word in text.Split(' '))
                {
                    await WriteEventAsync(response, Chunk(new JObject { ["content"] = word + " " }, null));
                }

                await WriteEventAsync(response, Chunk(new JObject(), "stop"));
                if ((bool?)body.SelectToken("stream_options.include_usage") == true)
                {
                    // As OpenAI: usage only when asked, in a last chunk without choices.
                    var usage = Chunk(new JObject(), null);
                    usage["choices"] = new JArray();
                    usage["usage"] = new JObject { ["prompt_tokens"] = 3, ["completion_tokens"] = text.Split(' ').Length, ["total_tokens"] = 3 + text.Split(' ').Length };
                    await WriteEventAsync(response, usage);
                }

                await response.WriteAsync("data: [DONE]\n\n");
                return;
            case "ok":
                await WriteJsonAsync(response, 200, Completion("upstream says: " + text));
                return;
            case "stall-json":
                // Headers, a few bytes, then nothing.
                response.ContentType = "application/json";
                await response.WriteAsync("{\"id\":");
                await response.Body.FlushAsync();
                await Task.Delay(TimeSpan.FromSeconds(30), stall).ContinueWith(_ => { });
                return;
            case "stall-first":
                // SSE headers, then nothing.
                await StartSseAsync(response);
                await Task.Delay(TimeSpan.FromSeconds(30), stall).ContinueWith(_ => { });
                return;
            case "stall-mid":
                await StartSseAsync(response);
                await WriteEventAsync(response, Chunk(new JObject { ["role"] = "assistant", ["content"] = "partial" }, null));
                await Task.Delay(TimeSpan.FromSeconds(30), stall).ContinueWith(_ => { });
                return;
            case "cut":
                // A stream that ends without finish_reason and without [DONE].
                await StartSseAsync(response);
                await WriteEventAsync(response, Chunk(new JObject { ["role"] = "assistant", ["content"] = "half an ans" }, null));
                return;
            case "empty":
                response.StatusCode = 200;
                response.ContentType = stream ? "text/event-stream" : "application/json";
                return;
            case "json-for-stream":
                await WriteJsonAsync(response, 200, Completion("not a stream"));
                return;
            case "garbage":
                response.StatusCode = 200;
                response.ContentType = "text/plain";
                await response.WriteAsync("%%%% this is not json nor sse %%%%\n\n");
                return;
            case "html502":
                response.StatusCode = 502;
                response.ContentType = "text/html";
                await response.WriteAsync("<html><body><h1>502 Bad Gateway</h1></body></html>");
                return;
            case "unauthorized":
                response.Headers.WWWAuthenticate = "Bearer realm=\"upstream\", error=\"invalid_token\"";
                await WriteJsonAsync(response, 401, new JObject { ["error"] = new JObject { ["message"] = "Incorrect API key provided.", ["type"] = "invalid_request_error", ["code"] = "invalid_api_key" } });
                return;
            case "retry-after":
                response.Headers.RetryAfter = "3600";
                await WriteJsonAsync(response, 429, new JObject { ["error"] = new JObject { ["message"] = "Rate limit reached; try again in an hour.", ["type"] = "requests", ["code"] = "rate_limit_exceeded" } });
                return;
            default:
                await WriteJsonAsync(response, 404, new JObject { ["error"] = new JObject { ["message"] = "unknown fake model " + model } });
                return;
        }
    }

    private static JObject Completion(string content) => new()
    {
        ["id"] = "chatcmpl-fake-" + Guid.NewGuid().ToString("N")[..8],
        ["object"] = "chat.completion",
        ["created"] = 1_700_000_000,
        ["model"] = "fake",
        ["choices"] = new JArray(new JObject
        {
            ["index"] = 0,
            ["finish_reason"] = "stop",
            ["message"] = new JObject { ["role"] = "assistant", ["content"] = content },
        }),
        ["usage"] = new JObject { ["prompt_tokens"] = 3, ["completion_tokens"] = 4, ["total_tokens"] = 7 },
    };

    private static JObject Chunk(JObject delta, string? finish) => new()
    {
        ["id"] = "chatcmpl-fake-stream",
        ["object"] = "chat.completion.chunk",
        ["created"] = 1_700_000_000,
        ["model"] = "fake",
        ["choices"] = new JArray(new JObject { ["index"] = 0, ["delta"] = delta, ["finish_reason"] = finish is null ? JValue.CreateNull() : finish }),
    };

    private static async Task StartSseAsync(HttpResponse response)
    {
        response.StatusCode = 200;
        response.ContentType = "text/event-stream";
        await response.Body.FlushAsync();
    }

    private static async Task WriteEventAsync(HttpResponse response, JObject data)
    {
        await response.WriteAsync("data: " + data.ToString(Newtonsoft.Json.Formatting.None) + "\n\n");
        await response.Body.FlushAsync();
    }

    private static Task WriteJsonAsync(HttpResponse response, int status, JObject body)
    {
        response.StatusCode = status;
        response.ContentType = "application/json";
        return response.WriteAsync(body.ToString(Newtonsoft.Json.Formatting.None));
    }
}
