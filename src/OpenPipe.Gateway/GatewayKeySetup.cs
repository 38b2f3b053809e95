using System;
using System.Linq;
using System.Security.Cryptography;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using OpenPipe.Server;

namespace OpenPipe.Gateway;

/// <summary>
/// The gateway's API keys: <c>OpenPipe:Server:ApiKeys</c> in configuration and
/// <c>OPENPIPE_GATEWAY_API_KEYS</c> (comma-separated). With none, a random key for this run,
/// printed once to the console (never to the logs), so a first run works and is still closed;
/// in Production none is generated and the start fails instead.
/// </summary>
internal sealed class GatewayKeySetup(IConfiguration configuration, IHostEnvironment environment) : IConfigureOptions<OpenPipeServerOptions>
{
    public const string EnvironmentVariable = "OPENPIPE_GATEWAY_API_KEYS";

    // One key per app, whichever options cache asks first; printed when made.
    private readonly Lazy<string> generated = new(() =>
    {
        string key = "opk_local_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        Console.WriteLine($"OpenPipe gateway: no API keys configured ({EnvironmentVariable} or {OpenPipeServerOptions.SectionName}:ApiKeys); this run accepts: {key}");
        return key;
    });

    public void Configure(OpenPipeServerOptions options)
    {
        configuration.GetSection(OpenPipeServerOptions.SectionName).Bind(options);
        foreach (string key in (configuration[EnvironmentVariable] ?? string.Empty)
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(k => !options.ApiKeys.Contains(k)))
        {
            options.ApiKeys.Add(key);
        }

        // Production never runs on a generated key: GatewayKeysValidator stops the start instead.
        if (options.ApiKeys.Count == 0 && !environment.IsProduction())
        {
            options.ApiKeys.Add(generated.Value);
        }
    }
}
