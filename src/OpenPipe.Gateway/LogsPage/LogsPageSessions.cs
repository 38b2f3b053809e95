using System;
using System.Collections.Generic;
using System.Linq;
using System.Security.Claims;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.Extensions.Options;
using OpenPipe.Gateway.Access;
using OpenPipe.Server;

namespace OpenPipe.Gateway.LogsPage;

/// <summary>
/// Sign-ins to the request log's page. A key posted to the sign-in form is checked as the bearer scheme
/// checks it (<see cref="GatewayAccess"/>); the cookie then carries only the key's id, never the key.
/// On every request the id must still be a configured API key's or admin key's (a key taken out of
/// <c>OpenPipe:Server:ApiKeys</c> or <c>Gateway:Admin:Keys</c> ends its sign-ins), and whether it is an
/// admin key is read from the settings, not from the cookie.
/// </summary>
public sealed class LogsPageSessions
{
    private readonly GatewayAccess access;
    private readonly IOptionsMonitor<OpenPipeServerOptions> server;

    // The API keys' ids of the last settings seen: hashed once per settings object, not per request.
    private KeyIds? apiKeyIds;

    /// <summary>Creates the service.</summary>
    /// <param name="access">Validates keys and tells admin keys apart.</param>
    /// <param name="server">The configured API keys.</param>
    public LogsPageSessions(GatewayAccess access, IOptionsMonitor<OpenPipeServerOptions> server)
    {
        this.access = access;
        this.server = server;
    }

    /// <summary>
    /// The sign-in of a key posted to the form: the principal to sign in with, or null when the key is
    /// neither a configured API key nor an admin key. Surrounding whitespace (a pasted key's newline) is
    /// tried without, when the key as typed is unknown.
    /// </summary>
    /// <param name="key">The key as posted.</param>
    /// <param name="cancellationToken">Cancels the check.</param>
    /// <returns>The principal, or null.</returns>
    public async ValueTask<ClaimsPrincipal?> SignInAsync(string key, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        var viewer = await access.AuthenticateAsync(key, cancellationToken).ConfigureAwait(false);
        string trimmed = key.Trim();
        if (viewer is null && trimmed.Length > 0 && trimmed.Length != key.Length)
        {
            viewer = await access.AuthenticateAsync(trimmed, cancellationToken).ConfigureAwait(false);
        }

        if (viewer is null || !IsConfigured(viewer.KeyId))
        {
            return null;
        }

        var identity = new ClaimsIdentity([new Claim(LogsPageDefaults.KeyIdClaim, viewer.KeyId)], LogsPageDefaults.AuthenticationScheme, LogsPageDefaults.KeyIdClaim, null);
        return new ClaimsPrincipal(identity);
    }

    /// <summary>The viewer a page request was signed in as, or null when it is not signed in or its key is gone.</summary>
    /// <param name="user">The request's user, as the page's scheme authenticated it.</param>
    /// <returns>The viewer, or null.</returns>
    public GatewayViewer? ViewerOf(ClaimsPrincipal user)
    {
        ArgumentNullException.ThrowIfNull(user);
        var identity = user.Identities.FirstOrDefault(i => i.IsAuthenticated && i.AuthenticationType == LogsPageDefaults.AuthenticationScheme);
        return identity?.FindFirst(LogsPageDefaults.KeyIdClaim)?.Value is { Length: > 0 } keyId && IsConfigured(keyId)
            ? new GatewayViewer(keyId, access.IsAdmin(keyId))
            : null;
    }

    /// <summary>The cookie scheme's check of each request's sign-in: a key that is no longer configured is signed out.</summary>
    /// <param name="context">The cookie's principal.</param>
    /// <returns>A task.</returns>
    internal Task ValidateAsync(CookieValidatePrincipalContext context)
    {
        if (context.Principal is { } principal && ViewerOf(principal) is not null)
        {
            return Task.CompletedTask;
        }

        context.RejectPrincipal();
        return context.HttpContext.SignOutAsync(LogsPageDefaults.AuthenticationScheme);
    }

    private bool IsConfigured(string keyId) => access.IsAdmin(keyId) || ApiKeyIds().Ids.Contains(keyId);

    private KeyIds ApiKeyIds()
    {
        var current = server.CurrentValue;
        var known = Volatile.Read(ref apiKeyIds);
        if (known is null || !ReferenceEquals(known.Options, current))
        {
            known = new KeyIds(current, current.ApiKeys.Select(OpenPipeCaller.KeyIdOf).ToHashSet(StringComparer.Ordinal));
            Volatile.Write(ref apiKeyIds, known);
        }

        return known;
    }

    private sealed record KeyIds(OpenPipeServerOptions Options, HashSet<string> Ids);
}
