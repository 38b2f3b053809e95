// Adds: OpenPipeRequestOptions, OpenPipe's per-request options that travel as headers
// (op-log-request, op-cache, op-tags, op-criteria), as one small object instead of a parameter list.

using System.Collections.Generic;
using System.Reflection;
using System.Runtime.Serialization;
using Newtonsoft.Json;

namespace OpenPipe.Client;

/// <summary>OpenPipe's per-request options, sent as <c>op-*</c> headers. <c>store</c> and <c>metadata</c> go in the request body.</summary>
public sealed class OpenPipeRequestOptions
{
    /// <summary>Whether OpenPipe logs this request (<c>op-log-request</c>); null keeps the project default.</summary>
    public bool? LogRequest { get; set; }

    /// <summary>How OpenPipe's cache serves this request (<c>op-cache</c>).</summary>
    public CacheMode? Cache { get; set; }

    /// <summary>
    /// Tags stored with the logged request (<c>op-tags</c>, sent as a JSON object): strings, numbers,
    /// booleans or null, as OpenPipe's SDKs type them (<c>["attempt"] = 2</c> is sent as a number).
    /// </summary>
    public IDictionary<string, TagValue>? Tags { get; set; }

    /// <summary>Criterion ids to judge the completion with (<c>op-criteria</c>, sent as a JSON array).</summary>
    public IList<string>? Criteria { get; set; }

    // A header value must be ASCII: every other character is escaped.
    internal string? TagsHeader => Tags is { Count: > 0 } ? OpenPipeTags.ToJson(Tags, asciiOnly: true) : null;

    internal string? CriteriaHeader => Criteria is { Count: > 0 } ? JsonConvert.SerializeObject(Criteria) : null;

    /// <summary>The wire value of a cache mode, from the generated enum's EnumMember names (so new modes in the spec need no change here).</summary>
    internal static string CacheHeader(CacheMode mode) =>
        typeof(CacheMode).GetField(mode.ToString())?.GetCustomAttribute<EnumMemberAttribute>()?.Value ?? mode.ToString();
}
