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

    private readonly string databasePath = Path.Combine(Path.GetTempPath(), $"openpipe-fuzz-{Guid.NewGuid():N}.db");

    public FuzzGateway()
    {
        UseKestrel(0);
        StartServer();
        Http = CreateDefaultClient();
        Http.Timeout = TimeSpan.FromSeconds(30);
        Http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Key);
    }

    /// <summary>A client of the Kestrel server, with the key and a 30 s limit per request.</summary>
    public HttpClient Http { get; }

    /// <summary>The server's root, e.g. http://127.0.0.1:PORT/.</summary>
    public Uri Root => Http.BaseAddress!;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("OpenPipe:Server:ApiKeys:0", Key);
        builder.UseSetting("Gateway:RequestLog:Path", databasePath);
        builder.ConfigureLogging(logging => logging.SetMinimumLevel(LogLevel.Critical));
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
