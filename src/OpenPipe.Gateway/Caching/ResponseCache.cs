using System;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenPipe.Client;
using OpenPipe.Gateway.Storage;

namespace OpenPipe.Gateway.Caching;

/// <summary>
/// OpenPipe's <c>op-cache</c> on the gateway's storage: <c>readWrite</c> answers an identical
/// earlier request and stores new completions, <c>readOnly</c> reads but never writes,
/// <c>writeOnly</c> always calls the model and stores the result. Entries live
/// <see cref="CacheOptions.Ttl"/> (7 days). Only successful completions are stored. The cache is
/// an optimisation: when the database is away, a read is a miss and a write is skipped, with a
/// warning; when it lost the gateway's tables, they are created again.
/// </summary>
public sealed partial class ResponseCache(IGatewayStore store, IOptions<GatewayOptions> options, TimeProvider time, ILogger<ResponseCache> logger)
{
    /// <summary>The response header that says whether the cache answered: <c>HIT</c> or <c>MISS</c>.</summary>
    public const string StatusHeader = "op-cache-status";

    private readonly SemaphoreSlim recreating = new(1, 1);

    /// <summary>Whether <paramref name="mode"/> reads the cache.</summary>
    /// <param name="mode">The op-cache mode.</param>
    /// <returns>True for readWrite and readOnly.</returns>
    public static bool Reads(CacheMode? mode) => mode is CacheMode.ReadWrite or CacheMode.ReadOnly;

    /// <summary>Whether <paramref name="mode"/> stores completions.</summary>
    /// <param name="mode">The op-cache mode.</param>
    /// <returns>True for readWrite and writeOnly.</returns>
    public static bool Writes(CacheMode? mode) => mode is CacheMode.ReadWrite or CacheMode.WriteOnly;

    /// <summary>The unexpired completion stored under <paramref name="key"/>, or null.</summary>
    /// <param name="key">The cache key (<see cref="CacheKey.For"/>).</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The completion, or null on a miss or when the database is away.</returns>
    public async Task<ChatCompletion?> TryGetAsync(string key, CancellationToken cancellationToken = default)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.Value.Storage.CacheTimeout);
        try
        {
            string? json = await store.GetCachedAsync(key, time.GetUtcNow(), timeout.Token).ConfigureAwait(false);
            return json is null ? null : OpenPipeJson.Deserialize<ChatCompletion>(json);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested && e is not OutOfMemoryException)
        {
            LogUnavailable(logger, "read", e.Message);
            await RecreateSchemaIfMissingAsync(e, timeout.Token).ConfigureAwait(false);
            return null;
        }
    }

    /// <summary>Stores a successful completion under <paramref name="key"/> for the configured TTL.</summary>
    /// <param name="key">The cache key.</param>
    /// <param name="completion">The completion.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>True when stored.</returns>
    public async Task<bool> StoreAsync(string key, ChatCompletion completion, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(completion);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.Value.Storage.CacheTimeout);
        var now = time.GetUtcNow();
        try
        {
            await store.PutCachedAsync(key, OpenPipeJson.Serialize(completion), now, now + options.Value.Cache.Ttl, timeout.Token).ConfigureAwait(false);
            return true;
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested && e is not OutOfMemoryException)
        {
            LogUnavailable(logger, "write", e.Message);
            await RecreateSchemaIfMissingAsync(e, timeout.Token).ConfigureAwait(false);
            return false;
        }
    }

    /// <summary>
    /// When the database lost the gateway's tables, creates them again (one request at a time; the
    /// others skip the cache meanwhile), so the cache works again without waiting for a log write.
    /// </summary>
    private async Task RecreateSchemaIfMissingAsync(Exception failure, CancellationToken cancellationToken)
    {
        if (!StorageSchema.IsMissing(failure) || !await recreating.WaitAsync(0, CancellationToken.None).ConfigureAwait(false))
        {
            return;
        }

        try
        {
            await store.InitializeAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            LogUnavailable(logger, "schema creation", e.Message);
        }
        finally
        {
            recreating.Release();
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Response cache {Operation} skipped: the database did not answer ({Reason}).")]
    private static partial void LogUnavailable(ILogger logger, string operation, string reason);
}
