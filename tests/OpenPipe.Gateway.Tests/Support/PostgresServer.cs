using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using Npgsql;

namespace OpenPipe.Gateway.Tests.Support;

/// <summary>
/// A throwaway PostgreSQL server: initdb and pg_ctl from `pg_config --bindir`, in a temporary folder,
/// on a free port of 127.0.0.1, trust authentication; run as the `postgres` user when this process is
/// root (initdb refuses root). Stop and Start keep the data, so a test can take the database away
/// and bring it back; Dispose stops it and deletes the folder. Without PostgreSQL installed,
/// StartAsync throws <see cref="PostgresNotInstalledException"/>.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    /// <summary>What a machine without PostgreSQL is told; .ci/run, which installs PostgreSQL, fails on any test skipped for it.</summary>
    public const string NotInstalledMessage = "PostgreSQL is not installed (no initdb): apt-get install postgresql";

    private readonly string binDir;
    private readonly string dataDir;
    private readonly string root;

    private PostgresServer(string binDir, string root, int port)
    {
        this.binDir = binDir;
        this.root = root;
        dataDir = Path.Combine(root, "data");
        Port = port;
    }

    public int Port { get; }

    /// <summary>A connection string for <paramref name="database"/>.</summary>
    public string ConnectionString(string database = "postgres") =>
        $"Host=127.0.0.1;Port={Port};Username=postgres;Database={database};Timeout=5;Command Timeout=10;Pooling=true";

    public static async Task<PostgresServer> StartAsync()
    {
        string binDir = await BinDirAsync();
        string root = Path.Combine(Path.GetTempPath(), "openpipe-pg-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(root);
        if (Environment.UserName == "root")
        {
            await RunAsync("chown", $"postgres {root}", asPostgres: false);
        }

        var server = new PostgresServer(binDir, root, FreePort());
        await RunAsync(Path.Combine(binDir, "initdb"), $"-D {server.dataDir} -U postgres --auth=trust --no-sync -E UTF8", asPostgres: true);
        await server.StartAgainAsync();
        return server;
    }

    /// <summary>`pg_config --bindir`, or the newest /usr/lib/postgresql/N/bin when pg_config is not on the PATH.</summary>
    private static async Task<string> BinDirAsync()
    {
        try
        {
            string bin = (await RunAsync("pg_config", "--bindir", asPostgres: false)).Trim();
            if (File.Exists(Path.Combine(bin, "initdb")))
            {
                return bin;
            }
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // Not installed as a command: look for the server's own folder.
        }

        return Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(v => Path.Combine(v, "bin")).Where(b => File.Exists(Path.Combine(b, "initdb"))).OrderByDescending(b => b, StringComparer.Ordinal).FirstOrDefault()
                ?? throw new PostgresNotInstalledException()
            : throw new PostgresNotInstalledException();
    }

    /// <summary>Creates an empty database and returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string name)
    {
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(ConnectionString()) { Pooling = false }.ToString());
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
        await command.ExecuteNonQueryAsync();
        return ConnectionString(name);
    }

    /// <summary>Starts the server (again) on the same port and data.</summary>
    public Task StartAgainAsync() => RunAsync(Path.Combine(binDir, "pg_ctl"),
        $"-D {dataDir} -l {Path.Combine(root, "server.log")} -w -t 60 -o \"-p {Port.ToString(CultureInfo.InvariantCulture)} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off\" start", asPostgres: true);

    /// <summary>Stops the server at once (fast shutdown: connections are cut).</summary>
    public Task StopAsync() => RunAsync(Path.Combine(binDir, "pg_ctl"), $"-D {dataDir} -w -t 60 -m fast stop", asPostgres: true);

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        try
        {
            await StopAsync();
        }
        catch (InvalidOperationException)
        {
            // Already stopped.
        }

        Directory.Delete(root, recursive: true);
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task<string> RunAsync(string file, string arguments, bool asPostgres)
    {
        var info = asPostgres && Environment.UserName == "root"
            ? new ProcessStartInfo("runuser", $"-u postgres -- {file} {arguments}")
            : new ProcessStartInfo(file, arguments);
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        info.UseShellExecute = false;
        using var process = Process.Start(info) ?? throw new InvalidOperationException(file + " could not be started.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(90));
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {arguments} exited with {process.ExitCode}:\n{await stdout}\n{await stderr}");
        }

        return await stdout;
    }
}

/// <summary>PostgreSQL's server programs (initdb, pg_ctl) are not on this machine.</summary>
public sealed class PostgresNotInstalledException : Exception
{
    public PostgresNotInstalledException()
        : base(PostgresServer.NotInstalledMessage)
    {
    }

    public PostgresNotInstalledException(string message)
        : base(message)
    {
    }

    public PostgresNotInstalledException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
