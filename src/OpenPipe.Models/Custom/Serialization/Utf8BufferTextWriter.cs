// Adds: the TextWriter Newtonsoft writes through when the fast writer gives up: it encodes into an
// IBufferWriter (a stream's event buffer, a pooled body) in one pass per buffer of characters rather
// than one encoder call per name, quote and value Newtonsoft writes.

using System;

namespace OpenPipe;

/// <summary>
/// A TextWriter that encodes into an <see cref="System.Buffers.IBufferWriter{T}"/>. Newtonsoft
/// writes a chunk as many small pieces (each name, quote, colon and value), so they are
/// gathered in a pooled char buffer and encoded in one pass on <see cref="Flush"/> (or when the
/// buffer is full) rather than one encoder call per piece.
/// </summary>
internal sealed class Utf8BufferTextWriter : System.IO.TextWriter
{
    private readonly System.Text.Encoder encoder = new System.Text.UTF8Encoding(false).GetEncoder();
    private readonly System.Buffers.IBufferWriter<byte> target;
    private char[] chars = System.Buffers.ArrayPool<char>.Shared.Rent(4096);
    private int count;

    public Utf8BufferTextWriter(System.Buffers.IBufferWriter<byte> target)
    {
        this.target = target;
    }

    public override System.Text.Encoding Encoding => System.Text.Encoding.UTF8;

    public override void Write(char value)
    {
        if (count == chars.Length)
        {
            Drain(flush: false);
        }

        chars[count++] = value;
    }

    public override void Write(char[] buffer, int index, int count) => Write(buffer.AsSpan(index, count));

    public override void Write(string? value) => Write(value.AsSpan());

    public override void Write(ReadOnlySpan<char> text)
    {
        while (!text.IsEmpty)
        {
            if (count == chars.Length)
            {
                Drain(flush: false);
            }

            int n = Math.Min(text.Length, chars.Length - count);
            text[..n].CopyTo(chars.AsSpan(count));
            count += n;
            text = text[n..];
        }
    }

    public override void Flush() => Drain(flush: true);

    protected override void Dispose(bool disposing)
    {
        if (disposing && chars.Length > 0)
        {
            System.Buffers.ArrayPool<char>.Shared.Return(chars);
            chars = [];
            count = 0;
        }

        base.Dispose(disposing);
    }

    /// <summary>Encodes what is buffered; without <paramref name="flush"/> a trailing high surrogate waits in the encoder for its pair.</summary>
    private void Drain(bool flush)
    {
        ReadOnlySpan<char> pending = chars.AsSpan(0, count);
        do
        {
            Span<byte> span = target.GetSpan(Math.Max(System.Text.Encoding.UTF8.GetMaxByteCount(Math.Min(pending.Length, 1024)), 8));
            encoder.Convert(pending[..Math.Min(pending.Length, 1024)], span, flush && pending.Length <= 1024, out int used, out int written, out _);
            target.Advance(written);
            pending = pending[used..];
        }
        while (!pending.IsEmpty);

        count = 0;
    }
}
