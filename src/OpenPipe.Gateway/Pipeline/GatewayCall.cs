using System.Collections.Generic;
using OpenPipe.Client;

namespace OpenPipe.Gateway.Pipeline;

/// <summary>OpenPipe's request headers, as the server kit parsed and checked them.</summary>
/// <param name="LogRequest"><c>op-log-request</c>.</param>
/// <param name="Cache"><c>op-cache</c>.</param>
/// <param name="Tags"><c>op-tags</c>, each value with its JSON type; null when absent.</param>
/// <param name="Criteria"><c>op-criteria</c>, the criterion ids; null when absent.</param>
public sealed record OpenPipeHeaders(bool? LogRequest, CacheMode? Cache, IReadOnlyDictionary<string, TagValue>? Tags, IReadOnlyList<string>? Criteria);

/// <summary>One chat completion request on its way through the gateway.</summary>
/// <param name="Request">The body.</param>
/// <param name="KeyId">The caller's key id.</param>
/// <param name="Headers">The caller's op-* headers.</param>
public sealed record GatewayCall(ChatCompletionRequest Request, string KeyId, OpenPipeHeaders Headers)
{
    /// <summary>Whether the caller asked for the request to be logged (<c>store: true</c> or <c>op-log-request: true</c>).</summary>
    public bool Store => Request.Store == true || Headers.LogRequest == true;

    /// <summary>Whether the answer is a stream.</summary>
    public bool Stream => Request.Stream == true;
}
