using System;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Mvc;
using OpenPipe.Client;
using OpenPipe.Gateway.Caching;
using OpenPipe.Gateway.Pipeline;
using OpenPipe.Gateway.Upstreams;
using OpenPipe.Server;

namespace OpenPipe.Gateway;

/// <summary>
/// The gateway's POST /api/v1/chat/completions: hands the request to <see cref="GatewayChatService"/>
/// and turns its outcome into HTTP: the completion, a stream, or an error with its own status,
/// body and headers; <c>op-cache-status</c> says whether the cache answered.
/// </summary>
public sealed class GatewayChatController(GatewayChatService service) : ChatCompletionsControllerBase
{
    /// <inheritdoc />
    public override async Task<ActionResult<ChatCompletion>> CreateChatCompletion(
        bool? opLogRequest, CacheMode? opCache, string? opTags, string? opCriteria, ChatCompletionRequest body, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(body);
        var call = new GatewayCall(body, Caller.KeyId, new OpenPipeHeaders(opLogRequest, opCache, opTags, opCriteria));
        if (call.Stream)
        {
            var stream = await service.StartStreamAsync(call, HttpContext.RequestAborted).ConfigureAwait(false);
            MarkCache(opCache, stream.CacheHit);
            return stream.Chunks is { } chunks ? StreamChunks(_ => chunks) : ErrorResult(stream.Error!);
        }

        var outcome = await service.CompleteAsync(call, cancellationToken).ConfigureAwait(false);
        MarkCache(opCache, outcome.CacheHit);
        return outcome.Completion is { } completion ? completion : ErrorResult(outcome.Error!);
    }

    private void MarkCache(CacheMode? mode, bool hit)
    {
        if (mode is not null)
        {
            Response.Headers[ResponseCache.StatusHeader] = hit ? "HIT" : "MISS";
        }
    }

    private ContentResult ErrorResult(GatewayError error)
    {
        foreach (var (name, value) in error.Headers)
        {
            Response.Headers[name] = value;
        }

        return new ContentResult { StatusCode = error.Status, Content = error.Json, ContentType = "application/json" };
    }
}
