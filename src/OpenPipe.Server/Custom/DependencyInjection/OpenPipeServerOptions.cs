// Adds: OpenPipeServerOptions, what AddOpenPipeServer is configured with (API keys, body size
// limit, the response check), validated when the app starts.

using System.Collections.Generic;

namespace OpenPipe.Server;

/// <summary>Settings of the OpenPipe-compatible server.</summary>
public sealed class OpenPipeServerOptions
{
    /// <summary>The configuration section these options bind from: <c>OpenPipe:Server</c>.</summary>
    public const string SectionName = "OpenPipe:Server";

    /// <summary>The API keys the default validator accepts. Never logged.</summary>
    public IList<string> ApiKeys { get; } = [];

    /// <summary>The largest request body accepted, in bytes; larger ones get 413. Default 4 MiB.</summary>
    public long MaxRequestBodyBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>
    /// Whether every completion and chunk the handler returns is checked against the spec, logging
    /// the first violation of each response. Null (the default): on in the Development environment only.
    /// </summary>
    public bool? CheckResponses { get; set; }
}
