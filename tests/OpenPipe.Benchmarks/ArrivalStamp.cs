using System;
using System.Diagnostics;
using System.IO;
using System.Net.Http;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;

namespace OpenPipe.Benchmarks;

/// <summary>
/// When a response's first bytes reached the client (a Stopwatch timestamp): a
/// <see cref="SocketsHttpHandler.ConnectCallback"/> whose connection stream notes the first read
/// that returns bytes after each write. With one request at a time, <see cref="Last"/> is the
/// arrival of the latest response, so "arrival to first chunk in the caller's hands" is measured
/// exactly as the client library's own work, apart from the server and the network.
/// </summary>
public static class ArrivalStamp
{
    private static long last;

    /// <summary>When the latest response's first bytes arrived.</summary>
    public static long Last => Volatile.Read(ref last);

    /// <summary>Makes <paramref name="handler"/> open its connections through a stamping stream.</summary>
    public static SocketsHttpHandler Stamping(SocketsHttpHandler handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        handler.ConnectCallback = ConnectAsync;
        return handler;
    }

    private static async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
            return new StampingStream(new NetworkStream(socket, ownsSocket: true));
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Passes everything to the connection; after a write, the next read that returns bytes sets <see cref="Last"/>.</summary>
    private sealed class StampingStream(Stream inner) : Stream
    {
        private bool awaitingResponse;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Stamp(inner.Read(buffer, offset, count));

        public override int Read(Span<byte> buffer) => Stamp(inner.Read(buffer));

        public override async Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            Stamp(await inner.ReadAsync(buffer.AsMemory(offset, count), cancellationToken));

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            Stamp(await inner.ReadAsync(buffer, cancellationToken));

        public override void Write(byte[] buffer, int offset, int count)
        {
            awaitingResponse = true;
            inner.Write(buffer, offset, count);
        }

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            awaitingResponse = true;
            inner.Write(buffer);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            awaitingResponse = true;
            return inner.WriteAsync(buffer, cancellationToken);
        }

        public override void Flush() => inner.Flush();

        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }

        public override async ValueTask DisposeAsync()
        {
            await inner.DisposeAsync();
            await base.DisposeAsync();
        }

        private int Stamp(int read)
        {
            if (read > 0 && awaitingResponse)
            {
                awaitingResponse = false;
                Volatile.Write(ref last, Stopwatch.GetTimestamp());
            }

            return read;
        }
    }
}
