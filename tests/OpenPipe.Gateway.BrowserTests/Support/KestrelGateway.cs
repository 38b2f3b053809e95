using System;
using System.IO;
using System.Linq;
using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using OpenPipe.Gateway.Tests.LogsPage;

namespace OpenPipe.Gateway.BrowserTests.Support;

/// <summary>
/// The gateway as its Program.cs builds it, on a real Kestrel at 127.0.0.1 (a free port), with
/// <see cref="PageSeed"/>'s keys and limits and a SQLite log in a temporary file.
/// </summary>
public sealed class KestrelGateway : WebApplicationFactory<Program>
{
    private readonly string databasePath = Path.Combine(Path.GetTempPath(), $"openpipe-browser-{Guid.NewGuid():N}.db");

    public KestrelGateway() => UseKestrel(options => options.Listen(IPAddress.Loopback, 0));

    /// <summary>Where the gateway listens, once started.</summary>
    public Uri Address { get; private set; } = null!;

    /// <summary>Starts the gateway and writes the seed into its log.</summary>
    public async System.Threading.Tasks.Task StartAsync()
    {
        StartServer();
        Address = new Uri(Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single());
        await PageSeed.WriteAsync(Services);
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        foreach (var (key, value) in PageSeed.Settings())
        {
            builder.UseSetting(key, value);
        }

        builder.UseSetting("Gateway:RequestLog:Path", databasePath);
        builder.UseSetting("Logging:LogLevel:Default", "Warning");
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        SqliteConnection.ClearAllPools();
        foreach (string file in new[] { databasePath, databasePath + "-wal", databasePath + "-shm" })
        {
            File.Delete(file);
        }
    }
}
