using System;
using System.IO;
using System.Net.Http;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace OpenPipe.Fuzz.Tests;

/// <summary>The gateway on a real Kestrel at 127.0.0.1 (a free port), with a key, the echo backend and a temporary request log.</summary>
public sealed class FuzzGateway : WebApplicationFactory<Program>
{
    public const string Key = "fuzz-test-key";

    private static readonly object StartLock = new();

    private readonly string databasePath = Path.Combine(Path.GetTempPath(), $"openpipe-fuzz-{Guid.NewGuid():N}.db");

    private readonly (string Key, string Value)[] settings;

    /// <summary>Starts the gateway; <paramref name="settings"/> are extra configuration, e.g. ("OpenPipe:Server:StreamWriteTimeout", "00:00:01").</summary>
    public FuzzGateway(params (string Key, string Value)[] settings)
    {
        this.settings = settings;

        // WebApplicationFactory finds the app's host through a process-wide DiagnosticListener: two
        // factories starting at once (parallel fixtures) can each catch the other's host.
        lock (StartLock)
        {
            UseKestrel(0);
            StartServer();
        }

        Http = CreateDefaultClient();
        Http.Timeout = TimeSpan.FromSeconds(30);
        Http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Key);
    }

    /// <summary>A client of the Kestrel server, with the key and a 30 s limit per request.</summary>
    public HttpClient Http { get; }

    /// <summary>What the server logged at Error or above: the exception type and message, or the log message.</summary>
    public System.Collections.Concurrent.ConcurrentQueue<string> Errors { get; } = new();

    /// <summary>The server's root, e.g. http://127.0.0.1:PORT/.</summary>
    public Uri Root => Http.BaseAddress!;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("OpenPipe:Server:ApiKeys:0", Key);
        builder.UseSetting("Gateway:RequestLog:Path", databasePath);
        foreach (var (key, value) in settings)
        {
            builder.UseSetting(key, value);
        }

        builder.ConfigureLogging(logging => logging.ClearProviders().SetMinimumLevel(LogLevel.Error).AddProvider(new ErrorLog(Errors)));
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            Http.Dispose();
        }

        base.Dispose(disposing);
        SqliteConnection.ClearAllPools();
        foreach (string file in new[] { databasePath, databasePath + "-wal", databasePath + "-shm" })
        {
            File.Delete(file);
        }
    }
}

/// <summary>Keeps what the server logs at Error or above, so a test can say which exception made a 5xx.</summary>
internal sealed class ErrorLog(System.Collections.Concurrent.ConcurrentQueue<string> errors) : ILoggerProvider, ILogger
{
    public ILogger CreateLogger(string categoryName) => this;

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Error;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (IsEnabled(logLevel))
        {
            var root = exception;
            while (root?.InnerException is not null)
            {
                root = root.InnerException;
            }

            errors.Enqueue(root is null ? formatter(state, exception) : $"{root.GetType().Name}: {root.Message}");
        }
    }

    public void Dispose()
    {
    }
}
