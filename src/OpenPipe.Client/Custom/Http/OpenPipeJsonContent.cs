// Adds: the request body the generated client sends (through nswag.templates/Client.Class.liquid):
// the DTO written once into a pooled UTF-8 buffer (by the fast writer, Utf8DtoWriter, or when it
// gives up by Newtonsoft with a cached serializer), with its
// length known (no chunked upload), where NSwag's template builds a string, then a StringContent
// that encodes it into another array. Sending it again (a retry) writes the same bytes.

using System;
using System.Buffers;
using System.IO;
using System.Net;
using System.Net.Http;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Newtonsoft.Json;

namespace OpenPipe.Client;

/// <summary>JSON request content serialized into a buffer rented from the shared array pool, returned on dispose.</summary>
internal sealed class OpenPipeJsonContent : HttpContent
{
    private byte[] buffer;
    private readonly int length;

    private OpenPipeJsonContent(byte[] buffer, int length)
    {
        this.buffer = buffer;
        this.length = length;

        // Stored as sent and parsed only if something reads Headers.ContentType: no header objects per call.
        Headers.TryAddWithoutValidation("Content-Type", JsonContentType);
    }

    /// <summary>The Content-Type of every JSON body the kit writes.</summary>
    internal const string JsonContentType = "application/json; charset=utf-8";

    /// <summary>Serializes <paramref name="value"/> now, so a serialization error surfaces before anything is sent.</summary>
    /// <param name="value">The DTO.</param>
    /// <param name="serializer">The client's cached serializer.</param>
    /// <returns>The content.</returns>
    public static OpenPipeJsonContent Create(object value, JsonSerializer serializer)
    {
        var (buffer, length) = Serialize(value, serializer);
        return new OpenPipeJsonContent(buffer, length);
    }

    /// <summary>
    /// Writes <paramref name="value"/>'s JSON into a buffer rented from the shared array pool: by the
    /// fast writer when the serializer follows the wire contracts and the value is in its shape,
    /// otherwise by <paramref name="serializer"/>. The caller returns the buffer to the pool.
    /// </summary>
    /// <param name="value">The DTO.</param>
    /// <param name="serializer">The serializer for what the fast writer does not write.</param>
    /// <returns>The rented buffer and the number of bytes written into it.</returns>
    internal static (byte[] Buffer, int Length) Serialize(object value, JsonSerializer serializer)
    {
        if (OpenPipeJson.FollowsWireContracts(serializer))
        {
            var fast = new JsonBytes();
            if (Utf8DtoWriter.TryWrite(fast, value))
            {
                return fast.Detach();
            }

            fast.Dispose();
        }

        using var writer = new PooledUtf8Writer();
        using (var json = new JsonTextWriter(writer) { ArrayPool = OpenPipeJson.CharPool, CloseOutput = false })
        {
            serializer.Serialize(json, value);
        }

        writer.Flush();
        return writer.Detach();
    }

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        stream.WriteAsync(buffer, 0, length);

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken) =>
        stream.WriteAsync(buffer.AsMemory(0, length), cancellationToken).AsTask();

    protected override void SerializeToStream(Stream stream, TransportContext? context, CancellationToken cancellationToken) =>
        stream.Write(buffer, 0, length);

    // A copy: whoever reads the content may keep the stream after the buffer goes back to the pool.
    protected override Task<Stream> CreateContentReadStreamAsync() =>
        Task.FromResult<Stream>(new MemoryStream(buffer.AsSpan(0, length).ToArray(), writable: false));

    protected override bool TryComputeLength(out long length)
    {
        length = this.length;
        return true;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            byte[] rented = Interlocked.Exchange(ref buffer, []);
            if (rented.Length > 0)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }

        base.Dispose(disposing);
    }

    /// <summary>A TextWriter that encodes to UTF-8 into a growing pooled buffer (Newtonsoft writes chars).</summary>
    private sealed class PooledUtf8Writer : TextWriter
    {
        private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);
        private readonly Encoder encoder = Utf8.GetEncoder();
        private byte[] bytes = ArrayPool<byte>.Shared.Rent(2048);
        private int count;

        public override Encoding Encoding => Utf8;

        public override void Write(char value) => Write(new ReadOnlySpan<char>(in value));

        public override void Write(char[] buffer, int index, int count) => Write(buffer.AsSpan(index, count));

        public override void Write(string? value) => Write(value.AsSpan());

        public override void Write(ReadOnlySpan<char> chars)
        {
            Ensure(Utf8.GetMaxByteCount(chars.Length));
            count += encoder.GetBytes(chars, bytes.AsSpan(count), flush: false);
        }

        public override void Flush()
        {
            Ensure(8);
            count += encoder.GetBytes(ReadOnlySpan<char>.Empty, bytes.AsSpan(count), flush: true);
        }

        /// <summary>Hands the buffer over; the writer no longer owns it.</summary>
        public (byte[] Bytes, int Count) Detach()
        {
            var result = (bytes, count);
            bytes = [];
            count = 0;
            return result;
        }

        protected override void Dispose(bool disposing)
        {
            if (bytes.Length > 0)
            {
                ArrayPool<byte>.Shared.Return(bytes);
                bytes = [];
            }

            base.Dispose(disposing);
        }

        private void Ensure(int more)
        {
            if (bytes.Length - count >= more)
            {
                return;
            }

            byte[] larger = ArrayPool<byte>.Shared.Rent(Math.Max(bytes.Length * 2, count + more));
            bytes.AsSpan(0, count).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(bytes);
            bytes = larger;
        }
    }
}
