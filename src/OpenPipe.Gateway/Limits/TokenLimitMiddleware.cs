using System;
using System.Globalization;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;
using OpenPipe.Server;

namespace OpenPipe.Gateway.Limits;

/// <summary>
/// Refuses a chat completion (429, type <c>tokens</c>, <c>Retry-After</c> until 00:00 UTC) when its
/// key's tokens of the day reached <see cref="LimitOptions.TokensPerDay"/>. The call that crosses
/// the limit is served (its size is known only after), the ones after it are refused.
/// </summary>
internal sealed class TokenLimitMiddleware(RequestDelegate next, TokenBudget budget, IOptions<GatewayOptions> options, TimeProvider time)
{
    private readonly LimitOptions limits = options.Value.Limits;

    public async Task InvokeAsync(HttpContext context)
    {
        if (context.GetEndpoint()?.Metadata.GetMetadata<IEndpointNameMetadata>()?.EndpointName == KeyRequestLimiter.ChatCompletionsEndpoint
            && context.User.GetOpenPipeCaller() is { } caller
            && limits.For(caller.KeyId).TokensPerDay is long allowed)
        {
            long used = await budget.UsedTodayAsync(caller.KeyId, context.RequestAborted).ConfigureAwait(false);
            if (used >= allowed)
            {
                var reset = budget.NextReset;
                await LimitErrors.WriteAsync(context, "tokens",
                    string.Create(CultureInfo.InvariantCulture, $"Rate limit reached for {caller.KeyId} on tokens per day: limit {allowed}, used {used} since 00:00 UTC. The count starts again at {reset:yyyy-MM-dd'T'HH:mm:ss'Z'}."),
                    reset - time.GetUtcNow()).ConfigureAwait(false);
                return;
            }
        }

        await next(context).ConfigureAwait(false);
    }
}
