using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using OpenPipe.Server;

namespace OpenPipe.Gateway.Access;

/// <summary>Adds the admin keys of <c>OPENPIPE_GATEWAY_ADMIN_KEYS</c> (comma-separated) to <c>Gateway:Admin:Keys</c>.</summary>
internal sealed class AdminKeySetup(IConfiguration configuration) : IPostConfigureOptions<GatewayOptions>
{
    public void PostConfigure(string? name, GatewayOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        foreach (string key in (configuration[AdminOptions.EnvironmentVariable] ?? string.Empty)
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(k => !options.Admin.Keys.Contains(k)))
        {
            options.Admin.Keys.Add(key);
        }
    }
}

/// <summary>
/// Checks the admin keys at start: none empty or padded with whitespace (the bearer scheme compares
/// keys exactly), and none also an API key or sharing an API key's id (a key is one or the other).
/// </summary>
internal sealed class AdminKeysValidator(IOptionsMonitor<OpenPipeServerOptions> server) : IValidateOptions<GatewayOptions>
{
    public ValidateOptionsResult Validate(string? name, GatewayOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        var apiKeyIds = server.CurrentValue.ApiKeys.Select(OpenPipeCaller.KeyIdOf).ToHashSet(StringComparer.Ordinal);
        for (int i = 0; i < options.Admin.Keys.Count; i++)
        {
            string key = options.Admin.Keys[i];
            string setting = $"{GatewayOptions.SectionName}:Admin:Keys:{i}";
            if (string.IsNullOrWhiteSpace(key) || key.Trim().Length != key.Length)
            {
                failures.Add($"{setting} is empty or has whitespace around it.");
            }
            else if (apiKeyIds.Contains(OpenPipeCaller.KeyIdOf(key)))
            {
                failures.Add($"{setting} is also an API key ({OpenPipeServerOptions.SectionName}:ApiKeys); a key is either an API key or an admin key.");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
