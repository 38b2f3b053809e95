// Adds: the request body the generated client sends (through nswag.templates/Client.Class.liquid):
// the DTO written once into a pooled UTF-8 buffer (OpenPipeJson.Serialize), with its
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
    internal const string JsonContentType = OpenPipeJson.ContentType;

    /// <summary>Serializes <paramref name="value"/> now, so a serialization error surfaces before anything is sent.</summary>
    /// <param name="value">The DTO.</param>
    /// <returns>The content.</returns>
    public static OpenPipeJsonContent Create(object value)
    {
        using var writer = new PooledBufferWriter();
        OpenPipeJson.Serialize(writer, value);
        var (buffer, length) = writer.Detach();
        return new OpenPipeJsonContent(buffer, length);
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
}
