// Adds: a response body wrapper for event streams that gives every write and flush a time limit:
// a client that stops reading (its TCP window full) would otherwise hold the server's buffers and
// the producer forever. When a write does not complete within the limit the connection is aborted,
// which ends the pending write and cancels the producer through RequestAborted. One timer per
// stream, re-armed for each write.

using System;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;

namespace OpenPipe.Server;

/// <summary>Wraps a response body so that a write or flush slower than <c>timeout</c> aborts the connection.</summary>
internal sealed class StalledReaderGuard : Stream
{
    private readonly Stream inner;
    private readonly TimeSpan timeout;
    private readonly CancellationTokenSource timer = new();
    private readonly CancellationTokenRegistration abort;

    public StalledReaderGuard(Stream inner, HttpContext http, TimeSpan timeout)
    {
        this.inner = inner;
        this.timeout = timeout;

        // The reader is gone in all but name: drop the connection, which frees its buffers and fires RequestAborted.
        abort = timer.Token.Register(static state => ((HttpContext)state!).Abort(), http);
    }

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        timer.CancelAfter(timeout);
        try
        {
            await inner.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            timer.CancelAfter(Timeout.InfiniteTimeSpan);
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async Task FlushAsync(CancellationToken cancellationToken)
    {
        timer.CancelAfter(timeout);
        try
        {
            await inner.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            timer.CancelAfter(Timeout.InfiniteTimeSpan);
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
            abort.Dispose();
            timer.Dispose();
        }

        base.Dispose(disposing);
    }
}
