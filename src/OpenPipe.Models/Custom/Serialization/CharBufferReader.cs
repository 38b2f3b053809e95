// Adds: a TextReader over UTF-8 bytes decoded once into a pooled char buffer, reused from one
// input to the next (each stream event), so reading JSON from bytes with Newtonsoft needs neither
// a string nor a StreamReader and its buffers per input.

using System;
using System.Buffers;
using System.IO;
using System.Text;

namespace OpenPipe;

/// <summary>Serves the chars of the last <see cref="Load"/>; the buffer returns to the pool on dispose.</summary>
internal sealed class CharBufferReader : TextReader
{
    private char[] chars = [];
    private int length;
    private int position;

    /// <summary>Decodes <paramref name="utf8"/> (invalid bytes become U+FFFD, as a StreamReader would) and reads from its start.</summary>
    /// <param name="utf8">The bytes.</param>
    public void Load(ReadOnlySpan<byte> utf8)
    {
        int needed = Encoding.UTF8.GetMaxCharCount(utf8.Length);
        if (chars.Length < needed)
        {
            Return();
            chars = ArrayPool<char>.Shared.Rent(needed);
        }

        length = Encoding.UTF8.GetChars(utf8, chars);
        position = 0;
    }

    public override int Peek() => position < length ? chars[position] : -1;

    public override int Read() => position < length ? chars[position++] : -1;

    public override int Read(char[] buffer, int index, int count) => Read(buffer.AsSpan(index, count));

    public override int Read(Span<char> buffer)
    {
        int n = Math.Min(buffer.Length, length - position);
        chars.AsSpan(position, n).CopyTo(buffer);
        position += n;
        return n;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            Return();
        }

        base.Dispose(disposing);
    }

    private void Return()
    {
        if (chars.Length > 0)
        {
            ArrayPool<char>.Shared.Return(chars);
            chars = [];
        }

        length = 0;
        position = 0;
    }
}
