using System;
using System.Threading;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace OpenPipe.Gateway.RequestLog;

/// <summary>
/// The bounded queue between requests and the log writer: enqueueing never waits, so logging never
/// delays a response; when the queue is full the entry is dropped, counted and warned about.
/// </summary>
public sealed partial class RequestLogQueue
{
    private readonly Channel<RequestLogEntry> channel;
    private readonly ILogger<RequestLogQueue> logger;
    private long dropped;

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

    /// <summary>How many entries were dropped because the queue was full.</summary>
    public long Dropped => Interlocked.Read(ref dropped);

    /// <summary>The writer's end.</summary>
    internal ChannelReader<RequestLogEntry> Reader => channel.Reader;

    /// <summary>Queues an entry without waiting; drops it when the queue is full or closed.</summary>
    /// <param name="entry">The entry.</param>
    /// <returns>True when queued.</returns>
    public bool TryEnqueue(RequestLogEntry entry)
    {
        if (channel.Writer.TryWrite(entry))
        {
            Telemetry.GatewayTelemetry.RecordLogEntries("queued");
            return true;
        }

        Telemetry.GatewayTelemetry.RecordLogEntries("dropped");
        long total = Interlocked.Increment(ref dropped);
        LogDropped(logger, total);
        return false;
    }

    /// <summary>Accepts no more entries; the writer drains what is queued.</summary>
    internal void Complete() => channel.Writer.TryComplete();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Request log queue is full: an entry was dropped ({Dropped} dropped so far).")]
    private static partial void LogDropped(ILogger logger, long dropped);
}
