// Adds: a response body wrapper for event streams that gives every write and flush a time limit:
// a client that stops reading (its TCP window full) would otherwise hold the server's buffers and
// the producer forever. When a write does not complete within the limit the connection is aborted,
// which ends the pending write and cancels the producer through RequestAborted. A write only
// notes when it started; one watchdog timer per stream, ticking at a quarter of the limit, aborts
// a write pending for longer (so the cut comes between 1 and 1.25 limits after the write began).
// No write or flush touches the timer itself: every change to the runtime's timer queue takes a lock,
// and an event is a write and a flush.

using System;
using System.Diagnostics;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;

namespace OpenPipe.Server;

/// <summary>Wraps a response body so that a write or flush slower than <c>timeout</c> aborts the connection.</summary>
internal sealed class StalledReaderGuard : Stream
{
    private readonly Stream inner;
    private readonly HttpContext http;
    private readonly long limit;
    private readonly Timer watchdog;

    /// <summary>When the pending write or flush started (a Stopwatch timestamp), or 0 when none is pending.</summary>
    private long pendingSince;

    public StalledReaderGuard(Stream inner, HttpContext http, TimeSpan timeout)
    {
        this.inner = inner;
        this.http = http;
        // The clamps keep the arithmetic and the timer in range for any positive limit.
        double ticks = timeout.TotalSeconds * Stopwatch.Frequency;
        limit = ticks >= long.MaxValue ? long.MaxValue : (long)ticks;
        var tick = TimeSpan.FromTicks(Math.Clamp(timeout.Ticks / 4, TimeSpan.TicksPerMillisecond, TimeSpan.TicksPerHour));
        watchdog = new Timer(static state => ((StalledReaderGuard)state!).Check(), this, tick, tick);
    }

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Volatile.Write(ref pendingSince, Stopwatch.GetTimestamp());
        try
        {
            await inner.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Volatile.Write(ref pendingSince, 0);
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async Task FlushAsync(CancellationToken cancellationToken)
    {
        Volatile.Write(ref pendingSince, Stopwatch.GetTimestamp());
        try
        {
            await inner.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Volatile.Write(ref pendingSince, 0);
        }
    }

    public override void Flush() => FlushAsync(CancellationToken.None).GetAwaiter().GetResult();

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer, offset, count, CancellationToken.None).GetAwaiter().GetResult();

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            watchdog.Dispose();
        }

        base.Dispose(disposing);
    }

    private void Check()
    {
        long since = Volatile.Read(ref pendingSince);
        if (since != 0 && Stopwatch.GetTimestamp() - since > limit)
        {
            // The reader is gone in all but name: drop the connection, which frees its buffers and fires RequestAborted.
            watchdog.Change(Timeout.Infinite, Timeout.Infinite);
            http.Abort();
        }
    }
}
