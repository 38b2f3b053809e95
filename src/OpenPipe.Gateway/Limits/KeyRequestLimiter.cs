using System;
using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;
using OpenPipe.Server;

namespace OpenPipe.Gateway.Limits;

/// <summary>
/// Requests per minute per key: one fixed one-minute window per key id (ASP.NET Core's rate limiter,
/// <see cref="FixedWindowRateLimiter"/>), on this instance only. It is the rate limiting middleware's
/// global limiter, and counts only chat completion requests with a limit; every other request gets
/// the no-limit partition. Kept here so the usage API can read each key's count.
/// </summary>
public sealed class KeyRequestLimiter : IDisposable
{
    /// <summary>The endpoint name the server kit gives <c>POST /chat/completions</c>.</summary>
    internal const string ChatCompletionsEndpoint = "OpenPipe.CreateChatCompletion";

    private readonly LimitOptions limits;
    private readonly PartitionedRateLimiter<string> byKey;

    /// <summary>Creates the limiter.</summary>
    /// <param name="options">The gateway's settings (<c>Gateway:Limits</c>).</param>
    public KeyRequestLimiter(IOptions<GatewayOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        limits = options.Value.Limits;

        // A partition is "<key id>\n<limit>", so the key's limit travels with its key; "" is no limit.
        byKey = PartitionedRateLimiter.Create<string, string>(partition =>
        {
            int separator = partition.IndexOf('\n', StringComparison.Ordinal);
            if (separator < 0)
            {
                return RateLimitPartition.GetNoLimiter(partition);
            }

            int permits = int.Parse(partition.AsSpan(separator + 1), CultureInfo.InvariantCulture);
            return RateLimitPartition.GetFixedWindowLimiter(partition, _ => new FixedWindowRateLimiterOptions
            {
                PermitLimit = permits,
                Window = TimeSpan.FromMinutes(1),
                QueueLimit = 0,
                AutoReplenishment = true,
            });
        });
        Limiter = byKey.WithTranslatedKey<HttpContext>(PartitionOf, leaveOpen: true);
    }

    /// <summary>The limiter the rate limiting middleware runs for every request.</summary>
    public PartitionedRateLimiter<HttpContext> Limiter { get; }

    /// <summary>How many chat completion requests the key made in the current window on this instance (0 without a limit).</summary>
    /// <param name="keyId">The key id.</param>
    /// <returns>The count.</returns>
    public int UsedThisMinute(string keyId)
    {
        if (limits.For(keyId).RequestsPerMinute is not int permits)
        {
            return 0;
        }

        var statistics = byKey.GetStatistics(Partition(keyId, permits));
        return statistics is null ? 0 : (int)Math.Max(0, permits - statistics.CurrentAvailablePermits);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Limiter.Dispose();
        byKey.Dispose();
    }

    private static string Partition(string keyId, int permits) => string.Create(CultureInfo.InvariantCulture, $"{keyId}\n{permits}");

    private string PartitionOf(HttpContext context)
    {
        if (context.GetEndpoint()?.Metadata.GetMetadata<IEndpointNameMetadata>()?.EndpointName != ChatCompletionsEndpoint
            || context.User.GetOpenPipeCaller() is not { } caller
            || limits.For(caller.KeyId).RequestsPerMinute is not int permits)
        {
            return string.Empty;
        }

        return Partition(caller.KeyId, permits);
    }
}
