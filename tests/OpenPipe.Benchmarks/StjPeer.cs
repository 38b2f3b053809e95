using System.Linq;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;

namespace OpenPipe.Benchmarks;

/// <summary>
/// The minimal API a developer would write with System.Text.Json: the fair peer's bearer check, the
/// body read by <c>ReadFromJsonAsync</c> into small records of its own, the same echo, and
/// <c>Results.Json</c> out.
/// </summary>
internal static class StjPeer
{
    /// <summary>One cached options instance (snake_case names, nulls left out), as an app configures its JSON once.</summary>
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static async Task<IResult> EchoAsync(HttpContext context, CancellationToken cancellationToken)
    {
        if (!FairPeer.Authorized(context))
        {
            return Results.Unauthorized();
        }

        var request = await context.Request.ReadFromJsonAsync<StjRequest>(Options, cancellationToken);
        if (request is null)
        {
            return Results.BadRequest();
        }

        return Results.Json(Complete(request), Options);
    }

    /// <summary>The echo of <see cref="BenchEcho.Complete"/>: the last user message's text, its word count as usage.</summary>
    private static StjCompletion Complete(StjRequest request)
    {
        string text = request.Messages.LastOrDefault(m => m.Role == "user")?.Content ?? string.Empty;
        int words = text.Split(' ', System.StringSplitOptions.RemoveEmptyEntries).Length;
        return new StjCompletion(
            "chatcmpl-bench",
            "chat.completion",
            1_764_000_000,
            request.Model,
            [new StjChoice("stop", 0, new StjResponseMessage(text, "assistant"))],
            new StjUsage(words, words, 2 * words));
    }
}
