using System;
using System.Collections.Generic;

namespace OpenPipe.Gateway;

/// <summary>The gateway's settings, bound from the <c>Gateway</c> configuration section.</summary>
public sealed class GatewayOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Gateway";

    /// <summary>The name of the embedded offline backend.</summary>
    public const string EchoBackend = "echo";

    /// <summary>
    /// Which backend serves which model: <see cref="ModelRoute.Model"/> is a model name or a prefix
    /// ending in <c>*</c> (<c>"openai:*"</c>); <see cref="ModelRoute.Backend"/> is <c>echo</c> or the
    /// name of an entry in <see cref="Upstreams"/>. An exact name wins, then the longest prefix;
    /// models that match nothing go to <see cref="DefaultBackend"/>.
    /// </summary>
    public IList<ModelRoute> Routes { get; } = [];

    /// <summary>The backend for models <see cref="Routes"/> does not match. Default <c>echo</c>.</summary>
    public string DefaultBackend { get; set; } = EchoBackend;

    /// <summary>OpenAI-compatible endpoints, by name.</summary>
    public IDictionary<string, UpstreamOptions> Upstreams { get; } = new Dictionary<string, UpstreamOptions>(StringComparer.Ordinal);

    /// <summary>Where and how requests are logged.</summary>
    public RequestLogOptions RequestLog { get; set; } = new();
}

/// <summary>An OpenAI-compatible endpoint the gateway forwards to.</summary>
public sealed class UpstreamOptions
{
    /// <summary>The base URL, e.g. <c>https://api.openpipe.ai/api/v1</c> or <c>https://api.openai.com/v1</c>.</summary>
    public Uri? BaseUrl { get; set; }

    /// <summary>The key sent upstream as <c>Authorization: Bearer</c>.</summary>
    public string? ApiKey { get; set; }

    /// <summary>Retries of a failed upstream attempt. Default 2.</summary>
    public int MaxRetries { get; set; } = 2;

    /// <summary>The time-out of one upstream attempt. Default 100 s.</summary>
    public TimeSpan NetworkTimeout { get; set; } = TimeSpan.FromSeconds(100);
}

/// <summary>Settings of the request log.</summary>
public sealed class RequestLogOptions
{
    /// <summary>The SQLite database file; a relative path is relative to the content root (the project folder under <c>dotnet run</c>). Default <c>openpipe-gateway.db</c>.</summary>
    public string Path { get; set; } = "openpipe-gateway.db";

    /// <summary>How many entries may wait for the writer; beyond it new entries are dropped and counted. Default 1024.</summary>
    public int QueueCapacity { get; set; } = 1024;
}

/// <summary>One routing rule: a model (or prefix ending in <c>*</c>) and the backend that serves it.</summary>
public sealed class ModelRoute
{
    /// <summary>The model name, or a prefix ending in <c>*</c>.</summary>
    public string Model { get; set; } = string.Empty;

    /// <summary>The backend: <c>echo</c> or an upstream's name.</summary>
    public string Backend { get; set; } = GatewayOptions.EchoBackend;
}
