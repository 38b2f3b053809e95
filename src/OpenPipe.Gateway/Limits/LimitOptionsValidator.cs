using System;
using System.Collections.Generic;
using Microsoft.Extensions.Options;

namespace OpenPipe.Gateway.Limits;

/// <summary>Checks <c>Gateway:Limits</c> at start: every limit is 0 (none) or positive, and overrides name a key id.</summary>
internal sealed class LimitOptionsValidator : IValidateOptions<GatewayOptions>
{
    public ValidateOptionsResult Validate(string? name, GatewayOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        string section = $"{GatewayOptions.SectionName}:Limits";
        Check(failures, section, options.Limits.RequestsPerMinute, options.Limits.TokensPerDay);
        foreach (var (keyId, limits) in options.Limits.Keys)
        {
            if (string.IsNullOrWhiteSpace(keyId))
            {
                failures.Add($"{section}:Keys has an entry without a key id.");
                continue;
            }

            Check(failures, $"{section}:Keys:{keyId}", limits.RequestsPerMinute, limits.TokensPerDay);
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void Check(List<string> failures, string setting, int? requests, long? tokens)
    {
        if (requests < 0)
        {
            failures.Add($"{setting}:RequestsPerMinute must be 0 (no limit) or positive (it is {requests}).");
        }

        if (tokens < 0)
        {
            failures.Add($"{setting}:TokensPerDay must be 0 (no limit) or positive (it is {tokens}).");
        }
    }
}
