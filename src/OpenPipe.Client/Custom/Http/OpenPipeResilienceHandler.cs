// Adds: the HTTP pipeline under OpenPipeClient: retries with Polly.Core (exponential backoff with
// jitter, Retry-After honoured up to a cap), a per-attempt network time-out, a fully read body for
// non-streaming calls (so a connection that breaks mid-body is retried too), and the mapping of
// every failure onto OpenPipeApiException. Retries, status and timing go to ILogger (never keys or
// bodies) and retries to the OpenPipe.Client span and retry counter.

using System;
using System.Diagnostics;
using System.IO;
using System.Net;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace OpenPipe.Client;

/// <summary>Retries, time-outs and error mapping for requests to the chat completions API.</summary>
public sealed partial class OpenPipeResilienceHandler : DelegatingHandler
{
    /// <summary>Marks a request whose response body is a stream: it is not buffered, and not retried once its headers arrived.</summary>
    public static readonly HttpRequestOptionsKey<bool> StreamingOption = new("OpenPipe.Streaming");

    private readonly ResiliencePipeline<HttpResponseMessage> pipeline;
    private readonly ILogger logger;

    /// <summary>Creates the handler from the client's options; it logs to <see cref="OpenPipeClientOptions.LoggerFactory"/>.</summary>
    /// <param name="options">The retry and time-out settings.</param>
    public OpenPipeResilienceHandler(OpenPipeClientOptions options)
        : this(options, options?.LoggerFactory?.CreateLogger<OpenPipeResilienceHandler>())
    {
    }

    /// <summary>Creates the handler from the client's options, logging to <paramref name="logger"/>.</summary>
    /// <param name="options">The retry and time-out settings.</param>
    /// <param name="logger">Where retries, status and timing are logged; null for nowhere.</param>
    public OpenPipeResilienceHandler(OpenPipeClientOptions options, ILogger? logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        this.logger = logger ?? NullLogger.Instance;
        pipeline = BuildPipeline(options, this.logger);
    }

    /// <summary>Whether a status code is worth retrying: 408, 429, 500, 502, 503, 504.</summary>
    /// <param name="status">The status code.</param>
    /// <returns>True when transient.</returns>
    public static bool IsTransient(HttpStatusCode status) => (int)status is 408 or 429 or 500 or 502 or 503 or 504;

    /// <inheritdoc />
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var call = new Call(this, request, request.Options.TryGetValue(StreamingOption, out bool s) && s);
        long started = Stopwatch.GetTimestamp();
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        HttpResponseMessage response;
        try
        {
            // The outcome overload, a static callback and one state object: no closure or delegate
            // per call, and a failed attempt travels to the retry strategy as an outcome, not a throw.
            var outcome = await pipeline.ExecuteOutcomeAsync(static (context, call) => call.AttemptAsync(context.CancellationToken), context, call).ConfigureAwait(false);
            outcome.ThrowIfException();
            response = outcome.Result!;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            LogCancelled(logger, request.Method.Method, PathOf(request), call.Attempts, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            throw;
        }
        catch (TimeoutRejectedException e)
        {
            LogFailed(logger, request.Method.Method, PathOf(request), call.Attempts, Stopwatch.GetElapsedTime(started).TotalMilliseconds, "timeout");
            throw new OpenPipeApiException($"No response within the network time-out of {e.Timeout.TotalSeconds:0.###} s (after retries).", 0, null, null, e);
        }
        catch (Exception e) when (e is HttpRequestException or IOException or OperationCanceledException)
        {
            LogFailed(logger, request.Method.Method, PathOf(request), call.Attempts, Stopwatch.GetElapsedTime(started).TotalMilliseconds, e.GetType().Name);
            throw new OpenPipeApiException($"The request failed before a complete response arrived (after retries): {e.Message}", 0, null, null, e);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }

        if (logger.IsEnabled(LogLevel.Information))
        {
            LogResponse(logger, request.Method.Method, PathOf(request), (int)response.StatusCode, Stopwatch.GetElapsedTime(started).TotalMilliseconds, call.Attempts);
        }

        if (!response.IsSuccessStatusCode)
        {
            using (response)
            {
                throw await OpenPipeApiException.FromResponseAsync(response, cancellationToken).ConfigureAwait(false);
            }
        }

        return response;
    }

    /// <summary>One request's attempts: what the pipeline's static callback needs, in one object.</summary>
    private sealed class Call(OpenPipeResilienceHandler handler, HttpRequestMessage request, bool streaming)
    {
        public int Attempts { get; private set; }

        public async ValueTask<Outcome<HttpResponseMessage>> AttemptAsync(CancellationToken cancellationToken)
        {
            Attempts++;
            HttpResponseMessage? attempt = null;
            try
            {
                attempt = await handler.SendOnceAsync(request, cancellationToken).ConfigureAwait(false);
                if (!streaming || !attempt.IsSuccessStatusCode)
                {
                    // Read the whole body inside the attempt: a break mid-body is a failed attempt.
                    await attempt.Content.LoadIntoBufferAsync(cancellationToken).ConfigureAwait(false);
                }

                return Outcome.FromResult(attempt);
            }
            catch (Exception e)
            {
                attempt?.Dispose();
                return Outcome.FromException<HttpResponseMessage>(e);
            }
        }
    }

    /// <summary>One attempt through the inner handler.</summary>
    private Task<HttpResponseMessage> SendOnceAsync(HttpRequestMessage request, CancellationToken cancellationToken) => base.SendAsync(request, cancellationToken);

    /// <summary>The path logged (never the query); made only when a line is written.</summary>
    private static string PathOf(HttpRequestMessage request) => request.RequestUri?.AbsolutePath ?? string.Empty;

    private static ResiliencePipeline<HttpResponseMessage> BuildPipeline(OpenPipeClientOptions options, ILogger logger)
    {
        var builder = new ResiliencePipelineBuilder<HttpResponseMessage>();
        if (options.MaxRetries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                MaxRetryAttempts = options.MaxRetries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.RetryBaseDelay,
                ShouldHandle = new PredicateBuilder<HttpResponseMessage>()
                    .Handle<HttpRequestException>()
                    .Handle<IOException>()
                    .Handle<TimeoutRejectedException>()
                    .HandleResult(r => IsTransient(r.StatusCode)),
                DelayGenerator = args => ValueTask.FromResult(RetryAfter(args.Outcome.Result, options.MaxRetryAfter)),
                OnRetry = args =>
                {
                    string reason = args.Outcome.Result is { } failed
                        ? ((int)failed.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture)
                        : args.Outcome.Exception is TimeoutRejectedException ? "timeout" : args.Outcome.Exception?.GetType().Name ?? "unknown";
                    LogRetry(logger, args.AttemptNumber + 1, reason, args.RetryDelay.TotalMilliseconds);
                    ChatOperation.RecordRetry(args.AttemptNumber + 1, reason, args.RetryDelay);
                    args.Outcome.Result?.Dispose();
                    return default;
                },
            });
        }

        return builder.AddTimeout(options.NetworkTimeout).Build();
    }

    /// <summary>The server's Retry-After (seconds or an HTTP date), capped; null to use the backoff.</summary>
    internal static TimeSpan? RetryAfter(HttpResponseMessage? response, TimeSpan cap)
    {
        var header = response?.Headers.RetryAfter;
        TimeSpan? wait = header?.Delta ?? (header?.Date is { } date ? date - DateTimeOffset.UtcNow : null);
        if (wait is null)
        {
            return null;
        }

        return wait.Value < TimeSpan.Zero ? TimeSpan.Zero : wait.Value > cap ? cap : wait.Value;
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "OpenPipe request attempt {Attempt} failed ({Reason}); retrying in {DelayMs:0} ms")]
    private static partial void LogRetry(ILogger logger, int attempt, string reason, double delayMs);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "OpenPipe {Method} {Path} answered {StatusCode} in {ElapsedMs:0} ms after {Attempts} attempt(s)")]
    private static partial void LogResponse(ILogger logger, string method, string path, int statusCode, double elapsedMs, int attempts);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "OpenPipe {Method} {Path} failed after {Attempts} attempt(s) in {ElapsedMs:0} ms: {Reason}")]
    private static partial void LogFailed(ILogger logger, string method, string path, int attempts, double elapsedMs, string reason);

    [LoggerMessage(EventId = 4, Level = LogLevel.Debug, Message = "OpenPipe {Method} {Path} cancelled by the caller after {Attempts} attempt(s) in {ElapsedMs:0} ms")]
    private static partial void LogCancelled(ILogger logger, string method, string path, int attempts, double elapsedMs);
}
