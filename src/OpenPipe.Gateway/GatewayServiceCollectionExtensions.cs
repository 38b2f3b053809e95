using System;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using OpenPipe.Gateway.Backends;
using OpenPipe.Gateway.Caching;
using OpenPipe.Gateway.Logs;
using OpenPipe.Gateway.Pipeline;
using OpenPipe.Gateway.Storage;
using OpenPipe.Server;

namespace OpenPipe.Gateway;

/// <summary>Registers the gateway's services.</summary>
public static class GatewayServiceCollectionExtensions
{
    /// <summary>
    /// Options (<c>Gateway</c> section), backends, the storage chosen by <c>Gateway:Storage:Provider</c>
    /// (SQLite by default, in <see cref="GatewayDataFolder"/> unless configured, or PostgreSQL), the request log queue and its batched writer, the response
    /// cache, <see cref="GatewayChatService"/> and the <see cref="RejectionLogger"/> that logs requests
    /// the server kit rejects before the handler; and the request log's API services (admin keys, logs,
    /// datasets, usage, per-key limits; map their routes with <c>MapGatewayRequestLog</c>).
    /// </summary>
    /// <param name="services">The services.</param>
    /// <returns>The services.</returns>
    public static IServiceCollection AddOpenPipeGateway(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<GatewayOptions>().BindConfiguration(GatewayOptions.SectionName)
            .Validate(o => o.Storage.Provider is StorageOptions.Sqlite or StorageOptions.Postgres, "Gateway:Storage:Provider must be 'sqlite' or 'postgres'.")
            .Validate(o => o.Storage.Provider != StorageOptions.Postgres || !string.IsNullOrWhiteSpace(o.Storage.ConnectionString), "Gateway:Storage:ConnectionString is required for the postgres provider.")
            .Validate(o => o.Storage.BatchSize > 0 && o.Storage.FlushInterval > TimeSpan.Zero && o.Storage.RetryDelay > TimeSpan.Zero, "Gateway:Storage:BatchSize, FlushInterval and RetryDelay must be positive.")
            .Validate(o => o.Cache.Ttl > TimeSpan.Zero, "Gateway:Cache:Ttl must be positive.")
            .ValidateOnStart();
        services.AddHttpClient();
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<EchoBackend>();
        services.AddSingleton<BackendRouter>();
        services.AddSingleton<IGatewayStore>(sp =>
        {
            var storage = sp.GetRequiredService<IOptions<GatewayOptions>>().Value;
            string contentRoot = sp.GetRequiredService<IHostEnvironment>().ContentRootPath;
            return storage.Storage.Provider == StorageOptions.Postgres
                ? new PostgresGatewayStore(storage.Storage.ConnectionString!) { TextIndex = storage.Storage.TextIndex }
                : new SqliteGatewayStore(
                    string.IsNullOrWhiteSpace(storage.Storage.ConnectionString)
                        ? new SqliteConnectionStringBuilder { DataSource = GatewayDataFolder.DatabasePath(storage.RequestLog.Path, contentRoot) }.ToString()
                        : storage.Storage.ConnectionString,
                    contentRoot);
        });
        services.AddSingleton<RequestLogQueue>();
        services.AddSingleton<RequestLogWriter>();
        services.AddHostedService(sp => sp.GetRequiredService<RequestLogWriter>());
        services.AddSingleton<ResponseCache>();
        services.AddSingleton<GatewayChatService>();
        services.AddSingleton<IChatCompletionRejectionObserver, RejectionLogger>();
        services.AddGatewayRequestLog();
        return services;
    }
}
