using System;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace OpenPipe.Gateway.Storage;

/// <summary>
/// The bounded queue between requests and the log writer: enqueueing never waits, so logging never
/// delays a response. An entry is lost only when the queue is full (the database has been away long
/// enough to fill it) or the writer gives it up; both are counted in <see cref="Dropped"/> and warned about.
/// </summary>
public sealed partial class RequestLogQueue
{
    private readonly Channel<RequestLogEntry> channel;
    private readonly ILogger<RequestLogQueue> logger;
    private long dropped;
    private long enqueued;
    private long processed;

    /// <summary>Creates the queue.</summary>
    /// <param name="options">The gateway options (queue capacity).</param>
    /// <param name="logger">The logger.</param>
    public RequestLogQueue(IOptions<GatewayOptions> options, ILogger<RequestLogQueue> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        this.logger = logger;
        channel = Channel.CreateBounded<RequestLogEntry>(new BoundedChannelOptions(Math.Max(1, options.Value.RequestLog.QueueCapacity))
        {
            FullMode = BoundedChannelFullMode.Wait, // with TryWrite: a full queue refuses instead of waiting
            SingleReader = true,
        });
    }

    /// <summary>How many entries were lost: refused by a full queue, or given up by the writer.</summary>
    public long Dropped => Interlocked.Read(ref dropped);

    /// <summary>How many entries were queued so far.</summary>
    public long Enqueued => Interlocked.Read(ref enqueued);

    /// <summary>How many queued entries the writer has finished with (written or dropped).</summary>
    public long Processed => Interlocked.Read(ref processed);

    /// <summary>How many entries wait for the writer.</summary>
    public int Waiting => channel.Reader.Count;

    /// <summary>The writer's end.</summary>
    internal ChannelReader<RequestLogEntry> Reader => channel.Reader;

    /// <summary>Queues an entry without waiting; drops it (counted) when the queue is full or closed.</summary>
    /// <param name="entry">The entry.</param>
    /// <returns>True when queued.</returns>
    public bool TryEnqueue(RequestLogEntry entry)
    {
        if (channel.Writer.TryWrite(entry))
        {
            Interlocked.Increment(ref enqueued);
            return true;
        }

        long total = Interlocked.Increment(ref dropped);
        LogDropped(logger, total);
        return false;
    }

    /// <summary>Waits until every entry queued before this call is written (or given up), or the time-out passes.</summary>
    /// <param name="timeout">The longest wait.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>True when everything queued before the call is done with.</returns>
    public async Task<bool> WaitForWriterAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        long target = Enqueued;
        var deadline = DateTime.UtcNow + timeout;
        while (Processed < target)
        {
            if (DateTime.UtcNow >= deadline)
            {
                return false;
            }

            await Task.Delay(10, cancellationToken).ConfigureAwait(false);
        }

        return true;
    }

    /// <summary>Accepts no more entries; the writer drains what is queued.</summary>
    internal void Complete() => channel.Writer.TryComplete();

    /// <summary>The writer finished with <paramref name="count"/> entries.</summary>
    internal void MarkProcessed(int count) => Interlocked.Add(ref processed, count);

    /// <summary>The writer gave up <paramref name="count"/> entries.</summary>
    internal void MarkDropped(int count, string reason)
    {
        long total = Interlocked.Add(ref dropped, count);
        LogGivenUp(logger, count, reason, total);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Request log queue is full: an entry was dropped ({Dropped} dropped so far).")]
    private static partial void LogDropped(ILogger logger, long dropped);

    [LoggerMessage(Level = LogLevel.Error, Message = "Request log: {Count} entries dropped ({Reason}); {Dropped} dropped so far.")]
    private static partial void LogGivenUp(ILogger logger, int count, string reason, long dropped);
}
