using System;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Authorization;
using OpenPipe.Server;

namespace OpenPipe.Gateway.Access;

/// <summary>
/// The gateway's authorization: <see cref="ViewerPolicy"/> (any key, API or admin, on the routes that
/// read the log, datasets and usage), and, when admin keys are configured, the kit's own policy made
/// to refuse them (403), so an admin key never calls a model nor writes a log row.
/// </summary>
public static class GatewayAuthorization
{
    /// <summary>The policy of the routes an API key or an admin key may use.</summary>
    public const string ViewerPolicy = "OpenPipe.Gateway.Viewer";

    /// <summary>Adds the viewer policy, and the API-key requirement to the kit's policy when admin keys exist.</summary>
    /// <param name="options">The authorization options, after the kit configured its policy.</param>
    /// <param name="access">Which keys are admin keys.</param>
    internal static void Configure(AuthorizationOptions options, GatewayAccess access)
    {
        options.AddPolicy(ViewerPolicy, policy => policy.AddAuthenticationSchemes(OpenPipeDefaults.AuthenticationScheme).RequireAuthenticatedUser());
        if (access.HasAdminKeys && options.GetPolicy(OpenPipeDefaults.AuthorizationPolicy) is { } kit)
        {
            options.AddPolicy(OpenPipeDefaults.AuthorizationPolicy, new AuthorizationPolicyBuilder(kit).AddRequirements(new ApiKeyRequirement()).Build());
        }
    }

    /// <summary>The caller's key is an API key, not an admin key.</summary>
    internal sealed class ApiKeyRequirement : IAuthorizationRequirement;

    /// <summary>Succeeds for an authenticated caller whose key is not an admin key.</summary>
    internal sealed class ApiKeyHandler(GatewayAccess access) : AuthorizationHandler<ApiKeyRequirement>
    {
        protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, ApiKeyRequirement requirement)
        {
            ArgumentNullException.ThrowIfNull(context);
            if (context.User.GetOpenPipeCaller() is { } caller && !access.IsAdmin(caller.KeyId))
            {
                context.Succeed(requirement);
            }

            return Task.CompletedTask;
        }
    }
}
