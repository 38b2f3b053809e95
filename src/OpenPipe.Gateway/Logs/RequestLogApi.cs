using System;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using OpenPipe.Gateway.Access;
using OpenPipe.Gateway.Datasets;
using OpenPipe.Gateway.Limits;
using OpenPipe.Gateway.Storage;
using OpenPipe.Gateway.UsageReports;
using OpenPipe.Server;

namespace OpenPipe.Gateway.Logs;

/// <summary>
/// The request log as an API: the logs, datasets and usage routes (for API keys and admin keys),
/// the services behind them (which the web page calls too), admin keys and the per-key limits.
/// </summary>
public static class RequestLogApi
{
    /// <summary>Maps the logs, datasets and usage routes on <paramref name="api"/> (the group under <c>/api/v1</c>).</summary>
    /// <param name="api">The API's route group.</param>
    /// <returns>The same group.</returns>
    public static RouteGroupBuilder MapGatewayRequestLog(this RouteGroupBuilder api)
    {
        ArgumentNullException.ThrowIfNull(api);
        LogEndpoints.Map(api);
        DatasetEndpoints.Map(api);
        UsageEndpoints.Map(api);
        return api;
    }

    /// <summary>
    /// Registers <see cref="GatewayAccess"/> (admin keys, added to the bearer scheme's key validator,
    /// and kept off the kit's routes), <see cref="LogQueryService"/>, <see cref="DatasetService"/>,
    /// <see cref="UsageService"/>, the limits, and the checks of their settings.
    /// </summary>
    /// <param name="services">The services (the server kit's already added).</param>
    /// <returns>The services.</returns>
    internal static IServiceCollection AddGatewayRequestLog(this IServiceCollection services)
    {
        services.AddSingleton<IPostConfigureOptions<GatewayOptions>, AdminKeySetup>();
        services.AddSingleton<IValidateOptions<GatewayOptions>, AdminKeysValidator>();
        DecorateKeyValidator(services);
        services.AddSingleton<GatewayAccess>();
        services.AddSingleton<IAuthorizationHandler, GatewayAuthorization.ApiKeyHandler>();
        services.AddOptions<AuthorizationOptions>().PostConfigure<GatewayAccess>(GatewayAuthorization.Configure);
        services.AddSingleton<IRequestLogReader>(sp => sp.GetRequiredService<IGatewayStore>() as IRequestLogReader
            ?? throw new InvalidOperationException($"The gateway's store ({sp.GetRequiredService<IGatewayStore>().GetType().Name}) cannot be queried: it does not implement {nameof(IRequestLogReader)}."));
        services.AddSingleton<IDatasetStore>(sp => sp.GetRequiredService<IGatewayStore>() as IDatasetStore
            ?? throw new InvalidOperationException($"The gateway's store ({sp.GetRequiredService<IGatewayStore>().GetType().Name}) has no datasets: it does not implement {nameof(IDatasetStore)}."));
        services.AddSingleton<LogQueryService>();
        services.AddSingleton<DatasetService>();
        services.AddSingleton<UsageService>();
        services.AddGatewayLimits();

        // After the log writer's start (registered before this), which creates the schema.
        services.AddHostedService<TextIndexReport>();
        return services;
    }

    /// <summary>Puts <see cref="GatewayKeyValidator"/> (admin keys after the app's keys) in front of the registered key validator.</summary>
    private static void DecorateKeyValidator(IServiceCollection services)
    {
        var inner = services.LastOrDefaultValidator() ?? ServiceDescriptor.Singleton<IOpenPipeKeyValidator, ConfiguredKeyValidator>();
        services.RemoveAll<IOpenPipeKeyValidator>();
        services.AddSingleton<IOpenPipeKeyValidator>(sp => new GatewayKeyValidator(Create(sp, inner), sp.GetRequiredService<IOptions<GatewayOptions>>()));
    }

    private static ServiceDescriptor? LastOrDefaultValidator(this IServiceCollection services)
    {
        for (int i = services.Count - 1; i >= 0; i--)
        {
            if (services[i].ServiceType == typeof(IOpenPipeKeyValidator))
            {
                return services[i];
            }
        }

        return null;
    }

    private static IOpenPipeKeyValidator Create(IServiceProvider provider, ServiceDescriptor descriptor) =>
        descriptor.ImplementationInstance as IOpenPipeKeyValidator
        ?? descriptor.ImplementationFactory?.Invoke(provider) as IOpenPipeKeyValidator
        ?? (IOpenPipeKeyValidator)ActivatorUtilities.CreateInstance(provider, descriptor.ImplementationType!);
}
