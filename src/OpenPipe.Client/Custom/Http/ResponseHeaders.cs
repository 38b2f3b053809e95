// Adds: the response headers the generated client hands to ReadObjectResponseAsync and to
// OpenPipeApiException (through nswag.templates/Client.Class.liquid): copied into a dictionary only
// when something reads them, where NSwag's template copies every header on every call, successful
// or not. OpenPipeApiException takes its copy at once, while the response is still alive.

using System.Collections;
using System.Collections.Generic;
using System.Diagnostics.CodeAnalysis;
using System.Net.Http;

namespace OpenPipe.Client;

/// <summary>A response's headers and content headers, copied on first read.</summary>
internal sealed class ResponseHeaders(HttpResponseMessage response) : IReadOnlyDictionary<string, IEnumerable<string>>
{
    private IReadOnlyDictionary<string, IEnumerable<string>>? copy;

    public IEnumerable<string> this[string key] => Copy()[key];

    public IEnumerable<string> Keys => Copy().Keys;

    public IEnumerable<IEnumerable<string>> Values => Copy().Values;

    public int Count => Copy().Count;

    /// <summary>The headers as a dictionary, copied now if they were not yet.</summary>
    /// <returns>The copy.</returns>
    public IReadOnlyDictionary<string, IEnumerable<string>> Copy() => copy ??= OpenPipeApiException.HeadersOf(response);

    public bool ContainsKey(string key) => Copy().ContainsKey(key);

    public bool TryGetValue(string key, [MaybeNullWhen(false)] out IEnumerable<string> value) => Copy().TryGetValue(key, out value);

    public IEnumerator<KeyValuePair<string, IEnumerable<string>>> GetEnumerator() => Copy().GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
