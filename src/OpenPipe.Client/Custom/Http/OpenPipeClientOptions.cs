// Adds: OpenPipeClientOptions, everything a client is configured with (key, base URL, retries,
// time-outs, telemetry and logging), with the environment-variable fallbacks OPENPIPE_API_KEY and OPENPIPE_BASE_URL.

using System;
using Microsoft.Extensions.Logging;

namespace OpenPipe.Client;

/// <summary>How an <see cref="OpenPipeClient"/> connects, authenticates and retries.</summary>
public sealed class OpenPipeClientOptions
{
    /// <summary>The base URL used when neither <see cref="BaseUrl"/> nor <c>OPENPIPE_BASE_URL</c> is set.</summary>
    public static readonly Uri DefaultBaseUrl = new("https://api.openpipe.ai/api/v1");

    /// <summary>The environment variable read when <see cref="ApiKey"/> is not set.</summary>
    public const string ApiKeyEnvironmentVariable = "OPENPIPE_API_KEY";

    /// <summary>The environment variable read when <see cref="BaseUrl"/> is not set.</summary>
    public const string BaseUrlEnvironmentVariable = "OPENPIPE_BASE_URL";

    /// <summary>The API key sent as <c>Authorization: Bearer</c>; falls back to <c>OPENPIPE_API_KEY</c>.</summary>
    public string? ApiKey { get; set; }

    /// <summary>The API's base URL, ending in <c>/api/v1</c>; falls back to <c>OPENPIPE_BASE_URL</c>, then <see cref="DefaultBaseUrl"/>.</summary>
    public Uri? BaseUrl { get; set; }

    /// <summary>How many times a failed attempt is retried (408, 429, 500, 502, 503, 504, network failures, time-outs). Default 3; 0 turns retries off.</summary>
    public int MaxRetries { get; set; } = 3;

    /// <summary>The first retry's delay; later ones grow exponentially, with jitter. Default 0.5 s.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>The longest a <c>Retry-After</c> header may make a retry wait. Default 30 s.</summary>
    public TimeSpan MaxRetryAfter { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The time-out of one attempt, until the whole response (for a stream, its headers) has arrived.
    /// An attempt that times out is retried. Separate from the caller's cancellation token. Default 100 s.
    /// </summary>
    public TimeSpan NetworkTimeout { get; set; } = TimeSpan.FromSeconds(100);

    /// <summary>
    /// Whether spans record prompts and completions (<c>gen_ai.input.messages</c>, <c>gen_ai.output.messages</c>).
    /// Null (the default) reads <c>OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT</c>; off unless that is <c>true</c>.
    /// </summary>
    public bool? EnableSensitiveTelemetryData { get; set; }

    /// <summary>
    /// Where the client logs retries, status and timing (never keys or bodies) when it builds its own HttpClient;
    /// with <c>AddOpenPipeClient</c> the container's ILoggerFactory is used.
    /// </summary>
    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>The key to use: <see cref="ApiKey"/>, else <c>OPENPIPE_API_KEY</c>, else null.</summary>
    /// <returns>The key, or null.</returns>
    public string? ResolveApiKey() =>
        !string.IsNullOrWhiteSpace(ApiKey) ? ApiKey
        : Environment.GetEnvironmentVariable(ApiKeyEnvironmentVariable) is { Length: > 0 } fromEnv ? fromEnv
        : null;

    /// <summary>The base URL to use: <see cref="BaseUrl"/>, else <c>OPENPIPE_BASE_URL</c>, else <see cref="DefaultBaseUrl"/>.</summary>
    /// <returns>The base URL.</returns>
    public Uri ResolveBaseUrl() =>
        BaseUrl ?? (Environment.GetEnvironmentVariable(BaseUrlEnvironmentVariable) is { Length: > 0 } fromEnv ? new Uri(fromEnv) : DefaultBaseUrl);

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegative(MaxRetries);
        ArgumentOutOfRangeException.ThrowIfLessThan(RetryBaseDelay, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxRetryAfter, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(NetworkTimeout, TimeSpan.Zero);
    }
}
