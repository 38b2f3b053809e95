// Adds: the byte-level JSON output of the generated writers (WriteJson): compact UTF-8 into a buffer
// rented from the shared pool, written exactly as Newtonsoft's JsonTextWriter writes it with the
// wire settings, so both produce the same bytes. Strings escape what Newtonsoft escapes and nothing
// else (control characters, quote, backslash, U+0085, U+2028, U+2029; `\n`-style short forms,
// otherwise `\u00xx` in lower case); an unpaired surrogate becomes U+FFFD, as a UTF-8 encoder does
// with Newtonsoft's output. Doubles are written as Newtonsoft writes them ("R", with ".0" added
// to a whole number).

using System;
using System.Buffers;
using System.Buffers.Text;
using System.Globalization;
using System.Text;

namespace OpenPipe;

/// <summary>Compact JSON written to a pooled UTF-8 buffer, commas placed by the writer.</summary>
internal sealed class JsonBytes : IDisposable
{
    private static readonly SearchValues<char> Escaped = SearchValues.Create(
        "\u0000\u0001\u0002\u0003\u0004\u0005\u0006\u0007\u0008\u0009\u000A\u000B\u000C\u000D\u000E\u000F" +
        "\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001A\u001B\u001C\u001D\u001E\u001F" +
        "\"\\\u0085\u2028\u2029");

    /// <summary>Deeper output (or a graph that refers to itself) is left to Newtonsoft, which reports a loop.</summary>
    private const int MaxDepth = 64;

    /// <summary>The size of a new writer's first buffer.</summary>
    private const int DefaultCapacity = 2048;

    /// <summary>A spare writer keeps its buffer up to this size; a larger one goes back to the shared pool.</summary>
    private const int SpareBufferLimit = 16 * 1024;

    /// <summary>The calling thread's spare writer (null while it is rented): one object per thread, not one per value written.</summary>
    [ThreadStatic]
    private static JsonBytes? spare;

    private bool lossless;
    private bool pooled;
    private byte[] buffer;
    private int count;
    private bool comma;
    private int depth;

    /// <summary>Creates an empty buffer.</summary>
    /// <param name="capacity">The first buffer's size.</param>
    /// <param name="lossless">
    /// Whether an unpaired surrogate, which UTF-8 cannot carry, throws <see cref="ArgumentException"/>
    /// instead of becoming U+FFFD: for output decoded back into a string, which must be Newtonsoft's
    /// string exactly (the fast writer then gives up and Newtonsoft writes the value).
    /// </param>
    public JsonBytes(int capacity = DefaultCapacity, bool lossless = false)
    {
        buffer = ArrayPool<byte>.Shared.Rent(capacity);
        this.lossless = lossless;
    }

    /// <summary>
    /// An empty writer for one synchronous use on the calling thread: the thread's spare one when it
    /// is free, a new one otherwise (a nested use gets its own). Disposing it makes it the thread's
    /// spare again.
    /// </summary>
    /// <param name="lossless">As the constructor's.</param>
    /// <returns>The writer.</returns>
    public static JsonBytes Rent(bool lossless = false)
    {
        var writer = spare ?? new JsonBytes(lossless: lossless);
        spare = null;
        writer.pooled = true;
        writer.lossless = lossless;
        if (writer.buffer.Length == 0)
        {
            writer.buffer = ArrayPool<byte>.Shared.Rent(DefaultCapacity);
        }

        return writer;
    }

    /// <summary>What has been written.</summary>
    public ReadOnlySpan<byte> Written => buffer.AsSpan(0, count);

    /// <summary>How many bytes have been written.</summary>
    public int Count => count;

    /// <summary>Where the output is now, to <see cref="Rewind"/> to.</summary>
    /// <returns>The position.</returns>
    public (int Count, bool Comma, int Depth) Mark() => (count, comma, depth);

    /// <summary>Drops what was written since <paramref name="mark"/>.</summary>
    /// <param name="mark">A position from <see cref="Mark"/>.</param>
    public void Rewind((int Count, bool Comma, int Depth) mark) => (count, comma, depth) = mark;

    /// <summary>Hands over the buffer (return it to the shared pool when done) and its length; this writer is empty afterwards.</summary>
    /// <returns>The buffer and how many of its bytes are the JSON.</returns>
    public (byte[] Buffer, int Count) Detach()
    {
        var result = (buffer, count);
        buffer = [];
        count = 0;
        comma = false;
        depth = 0;
        return result;
    }

    /// <summary>
    /// Returns the buffer to the shared pool; a writer from <see cref="Rent"/> instead becomes the
    /// thread's spare, empty, keeping a buffer of at most <see cref="SpareBufferLimit"/> bytes. Do not
    /// use the writer afterwards.
    /// </summary>
    public void Dispose()
    {
        count = 0;
        comma = false;
        depth = 0;
        if (pooled && spare is null)
        {
            pooled = false;
            if (buffer.Length > SpareBufferLimit)
            {
                ArrayPool<byte>.Shared.Return(buffer);
                buffer = [];
            }

            spare = this;
            return;
        }

        byte[] rented = buffer;
        buffer = [];
        if (rented.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    public void StartObject() => Open((byte)'{');

    public void EndObject() => Close((byte)'}');

    public void StartArray() => Open((byte)'[');

    public void EndArray() => Close((byte)']');

    /// <summary>A property name given as its UTF-8 JSON with the quotes and the colon (<c>"name":</c>).</summary>
    public void Name(ReadOnlySpan<byte> quotedWithColon)
    {
        Separate();
        quotedWithColon.CopyTo(Reserve(quotedWithColon.Length));
        count += quotedWithColon.Length;
        comma = false;
    }

    /// <summary>A property name, escaped.</summary>
    public void Name(string name)
    {
        Separate();
        Quoted(name);
        Reserve(1)[0] = (byte)':';
        count++;
        comma = false;
    }

    public void Null() => Literal("null"u8);

    public void Boolean(bool value) => Literal(value ? "true"u8 : "false"u8);

    public void Integer(long value)
    {
        Separate();
        Utf8Formatter.TryFormat(value, Reserve(20), out int written);
        count += written;
        comma = true;
    }

    /// <summary>
    /// A double as the wire settings write it: a whole number within 2^53 (not -0) without a
    /// fraction (WholeNumberConverter), any other as Newtonsoft's "R" text with ".0" added when it
    /// has neither point nor exponent. NaN and infinities are not JSON: they throw, and the caller
    /// leaves the value to Newtonsoft.
    /// </summary>
    public void Number(double value)
    {
        if (!double.IsFinite(value))
        {
            throw new ArgumentOutOfRangeException(nameof(value), "Not a JSON number.");
        }

        if (Math.Floor(value) == value && Math.Abs(value) <= 9007199254740992d && !(value == 0 && double.IsNegative(value)))
        {
            Integer((long)value);
            return;
        }

        Span<char> text = stackalloc char[40];
        value.TryFormat(text, out int length, "R", CultureInfo.InvariantCulture);
        Separate();
        Span<byte> target = Reserve(length + 2);
        for (int i = 0; i < length; i++)
        {
            target[i] = (byte)text[i];
        }

        if (text[..length].IndexOfAny('.', 'E', 'e') < 0)
        {
            target[length++] = (byte)'.';
            target[length++] = (byte)'0';
        }

        count += length;
        comma = true;
    }

    public void String(string value)
    {
        Separate();
        Quoted(value);
        comma = true;
    }

    /// <summary>
    /// A date and time as Newtonsoft writes a DateTimeOffset (ISO 8601: seconds, the fraction without
    /// trailing zeros, the offset as <c>+hh:mm</c>, never <c>Z</c>).
    /// </summary>
    public void Date(DateTimeOffset value)
    {
        Separate();
        Span<char> text = stackalloc char[40];
        value.TryFormat(text, out int written, "yyyy'-'MM'-'dd'T'HH':'mm':'ss.FFFFFFFzzz", CultureInfo.InvariantCulture);
        Quoted(text[..written]);
        comma = true;
    }

    private void Open(byte bracket)
    {
        if (++depth > MaxDepth)
        {
            throw new NotSupportedException("Output nested deeper than 64 (or a value that refers to itself) is left to Newtonsoft.");
        }

        Separate();
        Reserve(1)[0] = bracket;
        count++;
        comma = false;
    }

    private void Close(byte bracket)
    {
        depth--;
        Reserve(1)[0] = bracket;
        count++;
        comma = true;
    }

    private void Literal(ReadOnlySpan<byte> text)
    {
        Separate();
        text.CopyTo(Reserve(text.Length));
        count += text.Length;
        comma = true;
    }

    private void Separate()
    {
        if (comma)
        {
            Reserve(1)[0] = (byte)',';
            count++;
        }
    }

    private void Quoted(ReadOnlySpan<char> text)
    {
        Reserve(1)[0] = (byte)'"';
        count++;
        while (!text.IsEmpty)
        {
            int plain = text.IndexOfAny(Escaped);
            ReadOnlySpan<char> run = plain < 0 ? text : text[..plain];
            if (!run.IsEmpty)
            {
                // Escaped characters are never surrogates, so a run never splits a pair.
                var status = System.Text.Unicode.Utf8.FromUtf16(run, Reserve(run.Length * 3), out _, out int written, replaceInvalidSequences: !lossless);
                if (status != OperationStatus.Done)
                {
                    throw new ArgumentException("The text has an unpaired surrogate, which UTF-8 cannot carry.", nameof(text));
                }

                count += written;
            }

            if (plain < 0)
            {
                break;
            }

            Escape(text[plain]);
            text = text[(plain + 1)..];
        }

        Reserve(1)[0] = (byte)'"';
        count++;
    }

    private void Escape(char c)
    {
        Span<byte> target = Reserve(6);
        target[0] = (byte)'\\';
        byte shortForm = c switch
        {
            '\t' => (byte)'t',
            '\n' => (byte)'n',
            '\r' => (byte)'r',
            '\f' => (byte)'f',
            '\b' => (byte)'b',
            '\\' => (byte)'\\',
            '"' => (byte)'"',
            _ => 0,
        };
        if (shortForm != 0)
        {
            target[1] = shortForm;
            count += 2;
            return;
        }

        target[1] = (byte)'u';
        target[2] = Hex(c >> 12);
        target[3] = Hex(c >> 8);
        target[4] = Hex(c >> 4);
        target[5] = Hex(c);
        count += 6;
    }

    private static byte Hex(int nibble)
    {
        nibble &= 0xF;
        return (byte)(nibble < 10 ? '0' + nibble : 'a' + nibble - 10);
    }

    private Span<byte> Reserve(int length)
    {
        if (buffer.Length - count < length)
        {
            byte[] larger = ArrayPool<byte>.Shared.Rent(Math.Max(buffer.Length * 2, count + length));
            buffer.AsSpan(0, count).CopyTo(larger);
            if (buffer.Length > 0)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }

            buffer = larger;
        }

        return buffer.AsSpan(count);
    }
}
