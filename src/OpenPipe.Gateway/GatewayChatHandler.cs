using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;
using OpenPipe.Client;
using OpenPipe.Gateway.Caching;
using OpenPipe.Gateway.Pipeline;
using OpenPipe.Gateway.Upstreams;
using OpenPipe.Server;

namespace OpenPipe.Gateway;

/// <summary>
/// The gateway's chat completions handler: hands each request to <see cref="GatewayChatService"/>
/// (cache, backend, upstream faults, request log) and turns its outcome into what the server
/// writes: the completion, the chunks, or an <see cref="OpenPipeApiException"/> carrying the error's
/// status and JSON body, with its headers (Retry-After, WWW-Authenticate) set on the response.
/// <c>op-cache-status</c> says whether the cache answered.
/// </summary>
public sealed class GatewayChatHandler(GatewayChatService service) : IChatCompletionHandler
{
    /// <inheritdoc />
    public async Task<ChatCompletion> CompleteAsync(ChatCompletionRequest request, ChatCompletionContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        var outcome = await service.CompleteAsync(CallOf(request, context), cancellationToken).ConfigureAwait(false);
        MarkCache(context, outcome.CacheHit);
        return outcome.Completion ?? throw Fail(context, outcome.Error!);
    }

    /// <inheritdoc />
    public IAsyncEnumerable<ChatCompletionChunk> StreamAsync(ChatCompletionRequest request, ChatCompletionContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        return StreamCoreAsync(request, context, cancellationToken);
    }

    private async IAsyncEnumerable<ChatCompletionChunk> StreamCoreAsync(ChatCompletionRequest request, ChatCompletionContext context, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var outcome = await service.StartStreamAsync(CallOf(request, context), cancellationToken).ConfigureAwait(false);
        MarkCache(context, outcome.CacheHit);
        if (outcome.Chunks is null)
        {
            // Nothing was sent yet: the server answers this as an ordinary error response.
            throw Fail(context, outcome.Error!);
        }

        await foreach (var chunk in outcome.Chunks.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            yield return chunk;
        }
    }

    /// <summary>The op-* headers as the server parsed and checked them.</summary>
    private static GatewayCall CallOf(ChatCompletionRequest request, ChatCompletionContext context) =>
        new(request, context.Caller.KeyId, new OpenPipeHeaders(
            context.LogRequest,
            context.Cache,
            context.Tags.Count == 0 ? null : context.Tags,
            context.Criteria.Count == 0 ? null : context.Criteria));

    private static void MarkCache(ChatCompletionContext context, bool hit)
    {
        if (context.Cache is not null)
        {
            Telemetry.GatewayTelemetry.RecordCacheLookup(hit);
        }

        if (context.Cache is not null && context.HttpContext is { Response.HasStarted: false } http)
        {
            http.Response.Headers[ResponseCache.StatusHeader] = hit ? "HIT" : "MISS";
        }
    }

    private static OpenPipeApiException Fail(ChatCompletionContext context, GatewayError error)
    {
        if (context.HttpContext is { Response.HasStarted: false } http)
        {
            foreach (var (name, value) in error.Headers)
            {
                http.Response.Headers[name] = value;
            }
        }

        var headers = error.Headers.ToDictionary(h => h.Key, h => (IEnumerable<string>)[h.Value], StringComparer.OrdinalIgnoreCase);
        return new OpenPipeApiException(error.Message, error.Status, error.Json, headers, null);
    }
}
