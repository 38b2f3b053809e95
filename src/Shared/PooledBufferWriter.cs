// Adds: PooledBufferWriter, an IBufferWriter<byte> over arrays rented from the shared pool, for JSON
// bodies whose length must be known before they are sent (Content-Length). The same source is
// compiled into OpenPipe.Client and OpenPipe.Server.

using System;
using System.Buffers;

namespace OpenPipe;

/// <summary>Bytes written into a growing buffer rented from <see cref="ArrayPool{T}.Shared"/>.</summary>
internal sealed class PooledBufferWriter : IBufferWriter<byte>, IDisposable
{
    private byte[] buffer;
    private int count;

    /// <summary>Creates an empty writer.</summary>
    /// <param name="capacity">The first buffer's size.</param>
    public PooledBufferWriter(int capacity = 2048)
    {
        buffer = ArrayPool<byte>.Shared.Rent(capacity);
    }

    /// <summary>What has been written.</summary>
    public ReadOnlySpan<byte> Written => buffer.AsSpan(0, count);

    /// <inheritdoc />
    public void Advance(int count) => this.count += count;

    /// <inheritdoc />
    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return buffer.AsMemory(count);
    }

    /// <inheritdoc />
    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return buffer.AsSpan(count);
    }

    /// <summary>Hands over the buffer (return it to the shared pool when done) and its length; this writer is empty afterwards.</summary>
    /// <returns>The buffer and how many of its bytes were written.</returns>
    public (byte[] Buffer, int Count) Detach()
    {
        var result = (buffer, count);
        buffer = [];
        count = 0;
        return result;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        byte[] rented = buffer;
        buffer = [];
        count = 0;
        if (rented.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private void Ensure(int sizeHint)
    {
        int needed = Math.Max(sizeHint, 1);
        if (buffer.Length - count >= needed)
        {
            return;
        }

        byte[] larger = ArrayPool<byte>.Shared.Rent(Math.Max(buffer.Length * 2, count + needed));
        buffer.AsSpan(0, count).CopyTo(larger);
        if (buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        buffer = larger;
    }
}
