using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using NUnit.Framework;
using OpenPipe.Gateway.Tests.Support;
using OpenPipe.Server;

namespace OpenPipe.Gateway.Tests.RequestLog;

/// <summary>
/// One throwaway PostgreSQL for every request-log fixture that runs on PostgreSQL, started the first
/// time one asks (each fixture gets its own database), stopped after the last; and the keys these
/// fixtures use.
/// </summary>
[SetUpFixture]
public sealed class RequestLogStorage
{
    public const string Sqlite = "sqlite";
    public const string Postgres = "postgres";

    public const string KeyB = "gw-test-key-b";
    public const string KeyC = "gw-test-key-c";
    public const string AdminKey = "gw-admin-key";

    private static readonly SemaphoreSlim Starting = new(1, 1);
    private static PostgresServer? server;
    private static int databases;

    public static string KeyIdA { get; } = OpenPipeCaller.KeyIdOf(GatewayFactory.Key);

    public static string KeyIdB { get; } = OpenPipeCaller.KeyIdOf(KeyB);

    public static string KeyIdC { get; } = OpenPipeCaller.KeyIdOf(KeyC);

    /// <summary>A gateway on <paramref name="storage"/> with API keys A (the factory's), B and C and one admin key, plus <paramref name="settings"/>.</summary>
    public static async Task<GatewayFactory> GatewayAsync(string storage, IReadOnlyDictionary<string, string?>? settings = null, TimeProvider? time = null, string? database = null)
    {
        var all = new Dictionary<string, string?>
        {
            ["OpenPipe:Server:ApiKeys:1"] = KeyB,
            ["OpenPipe:Server:ApiKeys:2"] = KeyC,
            ["Gateway:Admin:Keys:0"] = AdminKey,
            ["Gateway:Storage:FlushInterval"] = "00:00:00.020",
        };
        if (storage == Postgres)
        {
            all["Gateway:Storage:Provider"] = Postgres;
            all["Gateway:Storage:ConnectionString"] = database ?? await DatabaseAsync();
        }

        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            all[key] = value;
        }

        var factory = new GatewayFactory(new Uri("http://127.0.0.1:9/v1"), all, time);
        _ = factory.Server; // starts the host: the schema exists from here on
        return factory;
    }

    /// <summary>A new, empty database on the shared server.</summary>
    public static async Task<string> DatabaseAsync()
    {
        await Starting.WaitAsync();
        try
        {
            server ??= await PostgresRequirement.StartServerAsync();
        }
        finally
        {
            Starting.Release();
        }

        return await server.CreateDatabaseAsync($"log_{Interlocked.Increment(ref databases)}_{Guid.NewGuid():N}"[..20]);
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        if (server is not null)
        {
            await server.DisposeAsync();
            server = null;
        }
    }
}
