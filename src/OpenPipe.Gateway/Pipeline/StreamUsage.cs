using System;
using OpenPipe.Client;

namespace OpenPipe.Gateway.Pipeline;

/// <summary>
/// Token counts for streams the gateway logs or caches. A stream carries its usage only in a last
/// chunk that <c>stream_options.include_usage</c> asks for, so when the caller did not ask, the
/// backend is asked anyway (on a copy of the request: the caller's request is what is logged and
/// what the cache key is made of), and the usage is kept out of the caller's stream, which then
/// looks as it would without the gateway.
/// </summary>
internal static class StreamUsage
{
    /// <summary>Whether the caller's request asks for a usage chunk.</summary>
    /// <param name="request">The caller's request.</param>
    /// <returns>True when <c>stream_options.include_usage</c> is true.</returns>
    public static bool Asked(ChatCompletionRequest request) => request.StreamOptions?.IncludeUsage == true;

    /// <summary>A copy of <paramref name="request"/> with <c>stream_options.include_usage</c> set (other stream options kept).</summary>
    /// <param name="request">The caller's request.</param>
    /// <returns>The copy.</returns>
    public static ChatCompletionRequest Requested(ChatCompletionRequest request)
    {
        var copy = OpenPipeJson.Deserialize<ChatCompletionRequest>(OpenPipeJson.SerializeToUtf8Bytes(request))
            ?? throw new InvalidOperationException("A chat completion request did not read back.");
        copy.StreamOptions ??= new StreamOptions();
        copy.StreamOptions.IncludeUsage = true;
        return copy;
    }

    /// <summary>
    /// Takes the usage off <paramref name="chunk"/> for a caller that did not ask for it (after the
    /// chunk was merged for the log): a usage-only chunk is not sent at all.
    /// </summary>
    /// <param name="chunk">The chunk; its usage is removed.</param>
    /// <returns>Whether the chunk is still to be sent.</returns>
    public static bool HideFrom(ChatCompletionChunk chunk)
    {
        if (chunk.Usage is null)
        {
            return true;
        }

        chunk.Usage = null;
        return chunk.Choices.Count > 0;
    }
}
