// Adds: start-up validation of the gateway's settings (ValidateOnStart): every upstream has an
// absolute http(s) BaseUrl, routes name known backends, the request log has a path (its own or the
// default data folder's) and a positive capacity, and in Production at least one API key is configured. Each failure names its setting.

using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using OpenPipe.Server;

namespace OpenPipe.Gateway.Hosting;

/// <summary>Checks <see cref="GatewayOptions"/> when the gateway starts.</summary>
internal sealed class GatewayOptionsValidator(IEnumerable<Backends.IChatBackend> registered) : IValidateOptions<GatewayOptions>
{
    public ValidateOptionsResult Validate(string? name, GatewayOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        foreach (var (upstream, settings) in options.Upstreams)
        {
            string setting = $"{GatewayOptions.SectionName}:Upstreams:{upstream}";
            if (settings.BaseUrl is not { IsAbsoluteUri: true } url || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
            {
                failures.Add($"{setting}:BaseUrl must be an absolute http or https URL (it is '{settings.BaseUrl}').");
            }

            if (settings.MaxRetries < 0)
            {
                failures.Add($"{setting}:MaxRetries must be 0 or more (it is {settings.MaxRetries}).");
            }

            if (settings.NetworkTimeout <= TimeSpan.Zero)
            {
                failures.Add($"{setting}:NetworkTimeout must be positive (it is {settings.NetworkTimeout}).");
            }
        }

        var known = new HashSet<string>(options.Upstreams.Keys.Append(GatewayOptions.EchoBackend).Concat(registered.Select(b => b.Name)), StringComparer.Ordinal);
        for (int i = 0; i < options.Routes.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(options.Routes[i].Model))
            {
                failures.Add($"{GatewayOptions.SectionName}:Routes:{i}:Model is required.");
            }

            if (!known.Contains(options.Routes[i].Backend))
            {
                failures.Add($"{GatewayOptions.SectionName}:Routes:{i}:Backend '{options.Routes[i].Backend}' is neither 'echo', an entry of {GatewayOptions.SectionName}:Upstreams, nor a registered chat client.");
            }
        }

        if (!string.IsNullOrEmpty(options.DefaultBackend) && !known.Contains(options.DefaultBackend))
        {
            failures.Add($"{GatewayOptions.SectionName}:DefaultBackend '{options.DefaultBackend}' is neither 'echo', an entry of {GatewayOptions.SectionName}:Upstreams, nor a registered chat client (or empty, to serve only the routed models).");
        }

        if (options.Storage.Provider == StorageOptions.Sqlite && string.IsNullOrWhiteSpace(options.Storage.ConnectionString)
            && string.IsNullOrWhiteSpace(options.RequestLog.Path) && Storage.GatewayDataFolder.Folder() is null)
        {
            failures.Add($"{GatewayOptions.SectionName}:RequestLog:Path is required: this machine has no local application data folder for the default one.");
        }

        if (options.RequestLog.QueueCapacity <= 0)
        {
            failures.Add($"{GatewayOptions.SectionName}:RequestLog:QueueCapacity must be positive (it is {options.RequestLog.QueueCapacity}).");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}

/// <summary>In Production, refuses to start without configured API keys (elsewhere a key is generated for the run).</summary>
internal sealed class GatewayKeysValidator(IHostEnvironment environment) : IValidateOptions<OpenPipeServerOptions>
{
    public ValidateOptionsResult Validate(string? name, OpenPipeServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return environment.IsProduction() && options.ApiKeys.Count == 0
            ? ValidateOptionsResult.Fail($"{OpenPipeServerOptions.SectionName}:ApiKeys is empty: set it or {GatewayKeySetup.EnvironmentVariable} (Production never generates a key).")
            : ValidateOptionsResult.Success;
    }
}

/// <summary>Registers the gateway's start-up validation.</summary>
internal static class GatewayOptionsValidationExtensions
{
    public static IServiceCollection AddGatewayOptionsValidation(this IServiceCollection services)
    {
        services.AddSingleton<IValidateOptions<GatewayOptions>, GatewayOptionsValidator>();
        services.AddSingleton<IValidateOptions<OpenPipeServerOptions>, GatewayKeysValidator>();
        services.AddOptions<GatewayOptions>().ValidateOnStart();
        services.AddOptions<OpenPipeServerOptions>().ValidateOnStart();
        return services;
    }
}
