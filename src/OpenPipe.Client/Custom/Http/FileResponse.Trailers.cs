// Adds: the trailing headers (HTTP trailers) of a file response. A streamed export only knows its
// counts at the end, so the gateway sends them as trailers (op-export-written, op-export-skipped);
// they are readable here once the stream was read to its end.

using System;
using System.Collections.Generic;
using System.Linq;
using System.Net.Http;

namespace OpenPipe.Client;

/// <content>Trailing headers.</content>
public partial class FileResponse
{
    /// <summary>
    /// The response's trailing headers, by name (case-insensitive). They arrive after the body, so
    /// they are complete only once <see cref="Stream"/> was read to its end; before that, or when the
    /// server sent none, the dictionary is empty.
    /// </summary>
    public IReadOnlyDictionary<string, IEnumerable<string>> TrailingHeaders =>
        _response is HttpResponseMessage response
            ? response.TrailingHeaders.ToDictionary(h => h.Key, h => h.Value, StringComparer.OrdinalIgnoreCase)
            : new Dictionary<string, IEnumerable<string>>(StringComparer.OrdinalIgnoreCase);
}
