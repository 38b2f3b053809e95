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
    /// models that match nothing go to <see cref="DefaultBackend"/>, or get 404 <c>model_not_found</c> when it is empty.
    /// </summary>
    public IList<ModelRoute> Routes { get; } = [];

    /// <summary>
    /// The backend for models <see cref="Routes"/> does not match. Default <c>echo</c>, so a first run
    /// answers offline; empty (<c>""</c>) serves only the routed models and answers any other with
    /// 404 <c>model_not_found</c>, as OpenAI does.
    /// </summary>
    public string DefaultBackend { get; set; } = EchoBackend;

    /// <summary>OpenAI-compatible endpoints, by name.</summary>
    public IDictionary<string, UpstreamOptions> Upstreams { get; } = new Dictionary<string, UpstreamOptions>(StringComparer.Ordinal);

    /// <summary>Where and how requests are logged.</summary>
    public RequestLogOptions RequestLog { get; set; } = new();

    /// <summary>The database that holds the request log and the response cache.</summary>
    public StorageOptions Storage { get; set; } = new();

    /// <summary>The <c>op-cache</c> response cache.</summary>
    public CacheOptions Cache { get; set; } = new();

    /// <summary>Admin keys, which read every key's logged calls, datasets and usage.</summary>
    public Access.AdminOptions Admin { get; set; } = new();

    /// <summary>Per-key limits on chat completions: requests per minute and tokens per day.</summary>
    public Limits.LimitOptions Limits { get; set; } = new();
}

/// <summary>Which database holds the request log and the response cache.</summary>
public sealed class StorageOptions
{
    /// <summary>The embedded engine (a file in the gateway's data folder, or where <see cref="RequestLogOptions.Path"/> says). The default.</summary>
    public const string Sqlite = "sqlite";

    /// <summary>A PostgreSQL server, which several gateway instances can share.</summary>
    public const string Postgres = "postgres";

    /// <summary><c>sqlite</c> (default) or <c>postgres</c>.</summary>
    public string Provider { get; set; } = Sqlite;

    /// <summary>
    /// The connection string. For SQLite it may be left empty (then <see cref="RequestLogOptions.Path"/>
    /// names the file); a relative <c>Data Source</c> is relative to the content root. Required for PostgreSQL.
    /// </summary>
    public string? ConnectionString { get; set; }

    /// <summary>How many rows one transaction writes at most. Default 500.</summary>
    public int BatchSize { get; set; } = 500;

    /// <summary>How long the writer waits to fill a batch before it writes what it has. Default 200 ms.</summary>
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>The first wait before a failed batch is written again; it doubles up to 30 s. Default 500 ms.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>How long a cache read or write may take before the request goes on without it. Default 2 s.</summary>
    public TimeSpan CacheTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// PostgreSQL only: whether the logs API's free-text search (<c>q</c>) has a pg_trgm index, which
    /// answers a search over millions of rows in milliseconds but makes each logged row cost more to
    /// write (docs/request-log.md has the numbers). Turned off, the index is dropped and a search reads
    /// the rows the other filters leave. Default true.
    /// </summary>
    public bool TextIndex { get; set; } = true;
}

/// <summary>Settings of the <c>op-cache</c> response cache.</summary>
public sealed class CacheOptions
{
    /// <summary>How long a cached completion answers identical requests. Default 7 days, as OpenPipe.</summary>
    public TimeSpan Ttl { get; set; } = TimeSpan.FromDays(7);
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

    /// <summary>The time-out of one upstream attempt, up to the response headers. Default 100 s.</summary>
    public TimeSpan NetworkTimeout { get; set; } = TimeSpan.FromSeconds(100);

    /// <summary>
    /// The longest wait for the next bytes of a response body or stream once headers arrived; when it
    /// passes, a JSON caller gets 504 and a stream ends with an error event. Default 60 s.
    /// </summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>The longest upstream <c>Retry-After</c> the gateway waits out; a longer one is answered with 429 at once. Default 10 s.</summary>
    public TimeSpan MaxRetryAfter { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Whether the upstream is OpenPipe (or speaks its headers): then <c>op-*</c> headers are forwarded to it.</summary>
    public bool SpeaksOpenPipe { get; set; }
}

/// <summary>Settings of the request log.</summary>
public sealed class RequestLogOptions
{
    /// <summary>
    /// The SQLite database file when <see cref="StorageOptions.ConnectionString"/> is empty; a relative
    /// path is relative to the content root (the gateway's own folder). Default (empty):
    /// <c>openpipe-gateway.db</c> in the gateway's data folder (<see cref="Storage.GatewayDataFolder"/>).
    /// </summary>
    public string? Path { get; set; }

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
