using System;
using System.Collections.Generic;
using System.Linq;
using System.Security.Claims;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Options;
using OpenPipe.Server;

namespace OpenPipe.Gateway.Access;

/// <summary>
/// Tells API keys from admin keys, for the API's routes and for the web page's sign-in: the viewer
/// of a request (from its authenticated user) or of a key (validated as the bearer scheme does).
/// </summary>
public sealed class GatewayAccess
{
    private readonly HashSet<string> adminKeyIds;
    private readonly IOpenPipeKeyValidator validator;

    /// <summary>Creates the service.</summary>
    /// <param name="options">The gateway's settings (admin keys).</param>
    /// <param name="validator">The key validator (API keys and admin keys).</param>
    public GatewayAccess(IOptions<GatewayOptions> options, IOpenPipeKeyValidator validator)
    {
        ArgumentNullException.ThrowIfNull(options);
        adminKeyIds = options.Value.Admin.Keys.Select(OpenPipeCaller.KeyIdOf).ToHashSet(StringComparer.Ordinal);
        this.validator = validator;
    }

    /// <summary>Whether any admin key is configured.</summary>
    public bool HasAdminKeys => adminKeyIds.Count > 0;

    /// <summary>Whether <paramref name="keyId"/> is the id of an admin key.</summary>
    /// <param name="keyId">A key id.</param>
    /// <returns>True for an admin key's id.</returns>
    public bool IsAdmin(string keyId) => adminKeyIds.Contains(keyId);

    /// <summary>The viewer of an authenticated request.</summary>
    /// <param name="user">The request's user.</param>
    /// <returns>The viewer, or null when no key authenticated it.</returns>
    public GatewayViewer? ViewerOf(ClaimsPrincipal user)
    {
        ArgumentNullException.ThrowIfNull(user);
        return user.GetOpenPipeCaller() is { } caller ? new GatewayViewer(caller.KeyId, IsAdmin(caller.KeyId)) : null;
    }

    /// <summary>Validates a key (an API key or an admin key) as the bearer scheme does; for a sign-in form.</summary>
    /// <param name="key">The key.</param>
    /// <param name="cancellationToken">Cancels the check.</param>
    /// <returns>The viewer, or null for an unknown key.</returns>
    public async ValueTask<GatewayViewer?> AuthenticateAsync(string key, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        return await validator.ValidateAsync(key, cancellationToken).ConfigureAwait(false) is { } caller
            ? new GatewayViewer(caller.KeyId, IsAdmin(caller.KeyId))
            : null;
    }
}
