using System;
using System.Collections.Generic;
using System.Linq;
using OpenPipe.Client;

namespace OpenPipe.Gateway.Storage;

/// <summary>One logged request, as written to the <c>request_log</c> table.</summary>
public sealed record RequestLogEntry
{
    /// <summary>A unique id, so a batch written again after a failure never duplicates rows.</summary>
    public string EntryId { get; init; } = Guid.NewGuid().ToString("N");

    /// <summary>When the request arrived.</summary>
    public required DateTimeOffset ReceivedAt { get; init; }

    /// <summary>The id of the API key that made it (never the key).</summary>
    public required string KeyId { get; init; }

    /// <summary>The requested model.</summary>
    public required string Model { get; init; }

    /// <summary>The backend that answered (<c>report</c> for calls reported through <c>POST /report</c>).</summary>
    public required string Backend { get; init; }

    /// <summary>Whether the answer was streamed.</summary>
    public bool Stream { get; init; }

    /// <summary>The HTTP status answered (499 when the client left mid-stream).</summary>
    public int Status { get; init; }

    /// <summary>The error message, when the request failed.</summary>
    public string? Error { get; init; }

    /// <summary>Time to the last byte, in milliseconds.</summary>
    public double LatencyMs { get; init; }

    /// <summary>Prompt tokens, when known.</summary>
    public long? PromptTokens { get; init; }

    /// <summary>Completion tokens, when known.</summary>
    public long? CompletionTokens { get; init; }

    /// <summary>Total tokens, when known.</summary>
    public long? TotalTokens { get; init; }

    /// <summary>The request body, as JSON.</summary>
    public required string RequestJson { get; init; }

    /// <summary>The completion (a stream merged into one), as JSON; null when it failed.</summary>
    public string? ResponseJson { get; init; }

    /// <summary>The request's <c>metadata</c>, as JSON.</summary>
    public string? MetadataJson { get; init; }

    /// <summary>The tags (<c>op-tags</c>, or a report's <c>tags</c>) as a JSON object, each value with its JSON type; null-valued tags are left out.</summary>
    public string? Tags { get; init; }

    /// <summary>The <c>op-criteria</c> header, as a JSON array of criterion ids.</summary>
    public string? Criteria { get; init; }

    /// <summary>Whether the response came from the <c>op-cache</c> response cache.</summary>
    public bool CacheHit { get; init; }

    /// <summary>The completion's id, which <c>POST /logs/update-tags</c> filters on as <c>completionId</c>.</summary>
    public string? CompletionId { get; init; }

    /// <summary>
    /// Whether this is not a log row but only a call's token count, kept so a key's tokens-per-day
    /// limit counts the calls the caller did not ask to log (see <see cref="Tokens"/>).
    /// </summary>
    public bool TokensOnly { get; init; }

    /// <summary>A call that was not logged, counted toward its key's tokens of the day.</summary>
    /// <param name="keyId">The key id.</param>
    /// <param name="receivedAt">When the call arrived.</param>
    /// <param name="totalTokens">Its total tokens.</param>
    /// <returns>The entry, which is written to <c>unlogged_usage</c> instead of <c>request_log</c>.</returns>
    public static RequestLogEntry Tokens(string keyId, DateTimeOffset receivedAt, long totalTokens) => new()
    {
        ReceivedAt = receivedAt,
        KeyId = keyId,
        Model = string.Empty,
        Backend = string.Empty,
        RequestJson = string.Empty,
        TotalTokens = totalTokens,
        TokensOnly = true,
    };

    /// <summary>The <see cref="Tags"/> column for <paramref name="tags"/>: their JSON object without null values, or null when none is left.</summary>
    /// <param name="tags">The tags, or null.</param>
    /// <returns>The JSON, or null.</returns>
    public static string? TagsJson(IReadOnlyDictionary<string, TagValue>? tags) =>
        tags is null || tags.Values.All(v => v.IsNull) ? null : OpenPipeTags.ToJson(tags, omitNulls: true);
}
