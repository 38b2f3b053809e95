using System;
using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OpenPipe.Server;

namespace OpenPipe.Gateway.Limits;

/// <summary>Registers and runs the per-key limits of <c>Gateway:Limits</c>.</summary>
public static class GatewayLimitsExtensions
{
    /// <summary>
    /// Runs the limits on chat completions: ASP.NET Core's rate limiting middleware with
    /// <see cref="KeyRequestLimiter"/> as its global limiter when any key has a requests-per-minute
    /// limit, and <see cref="TokenLimitMiddleware"/> when any key has a tokens-per-day limit. Call it
    /// after routing and authorization (a WebApplication adds those before the app's own middleware),
    /// so the endpoint and the caller's key id are known.
    /// </summary>
    /// <param name="app">The app.</param>
    /// <returns>The app.</returns>
    public static IApplicationBuilder UseGatewayLimits(this IApplicationBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var limits = app.ApplicationServices.GetRequiredService<IOptions<GatewayOptions>>().Value.Limits;
        if (limits.AnyRequestLimit)
        {
            app.UseRateLimiter();
        }

        if (limits.AnyTokenLimit)
        {
            app.UseMiddleware<TokenLimitMiddleware>();
        }

        return app;
    }

    /// <summary>The limiters, the token count, the rate limiter's options and the settings' check.</summary>
    internal static IServiceCollection AddGatewayLimits(this IServiceCollection services)
    {
        services.AddSingleton<KeyRequestLimiter>();
        services.AddSingleton<TokenBudget>();
        services.AddSingleton<IValidateOptions<GatewayOptions>, LimitOptionsValidator>();
        services.AddRateLimiter(_ => { });
        services.AddOptions<RateLimiterOptions>().Configure<KeyRequestLimiter>((options, limiter) =>
        {
            options.GlobalLimiter = limiter.Limiter;
            options.OnRejected = (rejected, cancellationToken) =>
            {
                var retryAfter = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromMinutes(1);
                string keyId = rejected.HttpContext.User.GetOpenPipeCaller()?.KeyId ?? "this key";
                return new System.Threading.Tasks.ValueTask(LimitErrors.WriteAsync(rejected.HttpContext, "requests",
                    string.Create(CultureInfo.InvariantCulture, $"Rate limit reached for {keyId} on requests per minute on this gateway instance. Retry in {Math.Ceiling(retryAfter.TotalSeconds)} s."),
                    retryAfter));
            };
        });
        return services;
    }
}
