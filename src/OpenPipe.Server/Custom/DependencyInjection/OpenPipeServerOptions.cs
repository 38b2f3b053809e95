// Adds: OpenPipeServerOptions, what AddOpenPipeServer is configured with (API keys, body size
// limit, the work bound of n × request size, the write time limit of streams, the response
// check), validated when the app starts.

using System;
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
    /// The most work one request may ask for, as <c>n</c> (choices) times the request body's size in
    /// bytes; more gets 400 naming <c>n</c>. Default 32 MiB: a 1 MB prompt may ask for up to 32
    /// choices, a 4 KB one for all 128.
    /// </summary>
    public long MaxWorkBytes { get; set; } = 32 * 1024 * 1024;

    /// <summary>
    /// How long one write of a stream may wait for the client to read; a client that stops reading
    /// for longer has its connection closed (and the handler's token cancelled). Default 30 s.
    /// </summary>
    public TimeSpan StreamWriteTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Whether every completion and chunk the handler returns is checked against the spec, logging
    /// the first violation of each response. Null (the default): on in the Development environment only.
    /// </summary>
    public bool? CheckResponses { get; set; }
}
