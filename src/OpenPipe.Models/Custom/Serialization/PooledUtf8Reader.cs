// Adds: the TextReader the generated client reads response bodies with (through
// nswag.templates/Client.Class.ReadObjectResponse.liquid): UTF-8 decoded from a buffer rented
// from the shared array pool, where NSwag's template allocates a StreamReader (and its byte and
// char buffers) per call. The body is already in memory (read asynchronously first), so its reads
// never block on the network.

using System;
using System.Buffers;
using System.IO;
using System.Text;

namespace OpenPipe;

/// <summary>Decodes UTF-8 from a stream through a pooled byte buffer; a leading byte order mark is skipped.</summary>
internal sealed class PooledUtf8Reader : TextReader
{
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);
    private readonly Stream stream;
    private readonly Decoder decoder = Utf8.GetDecoder();
    private byte[] bytes = ArrayPool<byte>.Shared.Rent(4096);
    private int position;
    private int filled;
    private bool end;
    private bool started;
    private int pending = -1;

    public PooledUtf8Reader(Stream stream) => this.stream = stream;

    public override int Read(char[] buffer, int index, int count) => Read(buffer.AsSpan(index, count));

    public override int Read(Span<char> buffer)
    {
        if (buffer.IsEmpty)
        {
            return 0;
        }

        int written = 0;
        if (pending >= 0)
        {
            buffer[0] = (char)pending;
            pending = -1;
            written = 1;
            buffer = buffer[1..];
            if (buffer.IsEmpty)
            {
                return written;
            }
        }

        if (buffer.Length == 1)
        {
            // One slot cannot take a surrogate pair: decode two, keep the second for the next read.
            int c = Read();
            if (c < 0)
            {
                return written;
            }

            buffer[0] = (char)c;
            return written + 1;
        }

        while (true)
        {
            if (position < filled || end)
            {
                decoder.Convert(bytes.AsSpan(position, filled - position), buffer, flush: end, out int used, out int chars, out _);
                position += used;
                if (chars > 0 || end)
                {
                    return written + chars;
                }
            }

            Fill();
        }
    }

    public override int Read()
    {
        Span<char> one = stackalloc char[2];
        if (pending >= 0)
        {
            int c = pending;
            pending = -1;
            return c;
        }

        int n = Read(one);
        if (n == 0)
        {
            return -1;
        }

        if (n == 2)
        {
            pending = one[1];
        }

        return one[0];
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            stream.Dispose();
            if (bytes.Length > 0)
            {
                ArrayPool<byte>.Shared.Return(bytes);
                bytes = [];
            }
        }

        base.Dispose(disposing);
    }

    private void Fill()
    {
        // Keep an incomplete sequence's bytes (the decoder holds them already, so none are left here).
        position = 0;
        filled = stream.Read(bytes, 0, bytes.Length);
        if (filled == 0)
        {
            end = true;
            return;
        }

        if (!started)
        {
            started = true;
            if (filled >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF)
            {
                position = 3;
            }
        }
    }
}
