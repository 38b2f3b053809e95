using System;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Options;
using OpenPipe.Server;

namespace OpenPipe.Gateway.Access;

/// <summary>
/// The bearer scheme's key validator with admin keys added: the app's validator first (the
/// configured API keys), then <c>Gateway:Admin:Keys</c>, compared in constant time by the kit's
/// <see cref="ConfiguredKeyValidator"/>. An admin key authenticates with its key id like any key;
/// <see cref="GatewayAuthorization"/> keeps it off the routes that call models or write the log.
/// </summary>
internal sealed class GatewayKeyValidator(IOpenPipeKeyValidator apiKeys, IOptions<GatewayOptions> options) : IOpenPipeKeyValidator
{
    private readonly ConfiguredKeyValidator? adminKeys = options.Value.Admin.Keys.Count == 0 ? null : new ConfiguredKeyValidator(new AdminKeysMonitor(options.Value.Admin));

    public ValueTask<OpenPipeCaller?> ValidateAsync(string apiKey, CancellationToken cancellationToken = default)
    {
        var validating = apiKeys.ValidateAsync(apiKey, cancellationToken);
        if (adminKeys is null)
        {
            return validating;
        }

        return validating.IsCompletedSuccessfully
            ? validating.Result is { } caller ? ValueTask.FromResult<OpenPipeCaller?>(caller) : adminKeys.ValidateAsync(apiKey, cancellationToken)
            : ThenAdminAsync(validating);

        async ValueTask<OpenPipeCaller?> ThenAdminAsync(ValueTask<OpenPipeCaller?> pending) =>
            await pending.ConfigureAwait(false) ?? await adminKeys.ValidateAsync(apiKey, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The admin keys as server options, the shape the kit's validator compares against.</summary>
    private sealed class AdminKeysMonitor : IOptionsMonitor<OpenPipeServerOptions>
    {
        public AdminKeysMonitor(AdminOptions admin)
        {
            foreach (string key in admin.Keys)
            {
                CurrentValue.ApiKeys.Add(key);
            }
        }

        public OpenPipeServerOptions CurrentValue { get; } = new();

        public OpenPipeServerOptions Get(string? name) => CurrentValue;

        public IDisposable? OnChange(Action<OpenPipeServerOptions, string?> listener) => null;
    }
}
