// Adds: the documented keys of ChatOptions.AdditionalProperties that carry OpenPipe's per-request
// options (op-* headers, store, metadata) through Microsoft.Extensions.AI's IChatClient.

namespace OpenPipe;

/// <summary>
/// Keys of <c>ChatOptions.AdditionalProperties</c> that the client's <c>IChatClient</c> (<c>OpenPipe.Client.OpenPipeChatClient</c>) reads, and the server's <c>ChatClientCompletionHandler</c> fills.
/// Any other key is written into the request body as a JSON field of that name (e.g. <c>seed</c>, <c>logprobs</c>).
/// </summary>
public static class OpenPipeChatOptionKeys
{
    /// <summary><c>op-tags</c>: an <c>IDictionary&lt;string, string&gt;</c> (or any dictionary whose values format as strings).</summary>
    public const string Tags = "openpipe.tags";

    /// <summary><c>op-cache</c>: a <see cref="CacheMode"/>, or its wire name (<c>readWrite</c>, <c>readOnly</c>, <c>writeOnly</c>).</summary>
    public const string Cache = "openpipe.cache";

    /// <summary><c>op-log-request</c>: a bool.</summary>
    public const string LogRequest = "openpipe.log_request";

    /// <summary><c>op-criteria</c>: an <c>IEnumerable&lt;string&gt;</c> of criterion ids.</summary>
    public const string Criteria = "openpipe.criteria";

    /// <summary>The body's <c>store</c>: a bool; true asks OpenPipe to log the request.</summary>
    public const string Store = "openpipe.store";

    /// <summary>The body's <c>metadata</c>: an <c>IDictionary&lt;string, string&gt;</c>.</summary>
    public const string Metadata = "openpipe.metadata";
}
