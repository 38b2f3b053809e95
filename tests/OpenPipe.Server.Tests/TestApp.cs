using System;
using System.Collections.Concurrent;
using System.Linq;
using System.Net.Http;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace OpenPipe.Server.Tests;

/// <summary>How the API is mapped in a test app.</summary>
public enum Mapping
{
    /// <summary><c>app.MapOpenPipeChatCompletions()</c> with <see cref="TestChatHandler"/>.</summary>
    MinimalApi,

    /// <summary><c>AddControllers().AddOpenPipeChatCompletionsController()</c> with <see cref="TestChatHandler"/>.</summary>
    HandlerController,

    /// <summary>The old path: <see cref="TestChatController"/>, derived from the generated base.</summary>
    DerivedController,
}

/// <summary>A server with the kit mapped one of three ways around the same test logic.</summary>
public sealed class TestApp : IAsyncDisposable
{
    public const string GoodKey = "sk-test-good-key-123";

    private readonly WebApplication app;

    private TestApp(WebApplication app, StreamProbe probe, LogSink logs)
    {
        this.app = app;
        Probe = probe;
        Logs = logs;
    }

    public StreamProbe Probe { get; }

    public LogSink Logs { get; }

    /// <summary>The API base, e.g. http://127.0.0.1:PORT/api/v1 (Kestrel only).</summary>
    public Uri ApiBaseUrl => new(app.Urls.First().TrimEnd('/') + "/api/v1");

    /// <summary>Starts on the in-memory test server, or on a real Kestrel at 127.0.0.1 with a free port.</summary>
    public static async Task<TestApp> StartAsync(Mapping mapping = Mapping.MinimalApi, bool kestrel = false, string environment = "Production")
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = environment });
        var logs = new LogSink();
        builder.Logging.ClearProviders().AddProvider(logs).SetMinimumLevel(LogLevel.Debug);
        if (kestrel)
        {
            builder.WebHost.UseUrls("http://127.0.0.1:0");
        }
        else
        {
            builder.WebHost.UseTestServer();
        }

        var probe = new StreamProbe();
        builder.Services.AddSingleton(probe);
        builder.Services.AddOpenPipeServer<TestChatHandler>(o =>
        {
            o.ApiKeys.Add(GoodKey);
            o.ApiKeys.Add("sk-other-key");
            o.MaxRequestBodyBytes = 32 * 1024;
        });
        if (mapping == Mapping.HandlerController)
        {
            builder.Services.AddControllers().AddOpenPipeChatCompletionsController();
        }
        else if (mapping == Mapping.DerivedController)
        {
            builder.Services.AddControllers().AddApplicationPart(typeof(TestChatController).Assembly);
        }

        var app = builder.Build();
        if (mapping == Mapping.MinimalApi)
        {
            app.MapOpenPipeChatCompletions();
        }
        else
        {
            app.MapControllers();
        }

        await app.StartAsync();
        return new TestApp(app, probe, logs);
    }

    /// <summary>An HttpClient for the in-memory server.</summary>
    public HttpClient CreateTestClient() => app.GetTestClient();

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}

/// <summary>Keeps every log line, to check what the server writes (and never writes) to logs.</summary>
public sealed class LogSink : ILoggerProvider
{
    public ConcurrentQueue<string> Lines { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(LogSink sink, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            sink.Lines.Enqueue($"{logLevel} {category}: {formatter(state, exception)} {exception}");
    }
}
