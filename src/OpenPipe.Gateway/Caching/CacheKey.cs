using System;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using Newtonsoft.Json.Linq;
using OpenPipe.Client;

namespace OpenPipe.Gateway.Caching;

/// <summary>
/// The cache key of a request: the caller's key id plus a canonical form of the request, so
/// property order and whitespace do not matter, and <c>stream</c>/<c>stream_options</c> do not split
/// the key (a cached completion answers both a JSON and a streaming request).
/// </summary>
public static class CacheKey
{
    /// <summary>The key, <c>KEYID:SHA256HEX</c>.</summary>
    /// <param name="keyId">The caller's key id.</param>
    /// <param name="request">The request.</param>
    /// <returns>The key.</returns>
    public static string For(string keyId, ChatCompletionRequest request)
    {
        ArgumentNullException.ThrowIfNull(keyId);
        ArgumentNullException.ThrowIfNull(request);
        return keyId + ":" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Canonical(request))));
    }

    /// <summary>The request as compact JSON with properties sorted at every level and the stream settings left out.</summary>
    /// <param name="request">The request.</param>
    /// <returns>The canonical JSON.</returns>
    public static string Canonical(ChatCompletionRequest request)
    {
        // As JObject.Parse reads it, but as deep as the request reader allows (128, not Newtonsoft's
        // default 64): a request the server accepted must not fail here (a 500 found by the fuzzer).
        using var reader = new Newtonsoft.Json.JsonTextReader(new System.IO.StringReader(OpenPipeJson.Serialize(request))) { MaxDepth = OpenPipeJson.Settings.MaxDepth };
        var json = JObject.Load(reader);
        json.Remove("stream");
        json.Remove("stream_options");
        return Sorted(json).ToString(Newtonsoft.Json.Formatting.None);
    }

    private static JToken Sorted(JToken token) => token switch
    {
        JObject o => new JObject(o.Properties().OrderBy(p => p.Name, StringComparer.Ordinal).Select(p => new JProperty(p.Name, Sorted(p.Value)))),
        JArray a => new JArray(a.Select(Sorted)),
        _ => token.DeepClone(),
    };
}
