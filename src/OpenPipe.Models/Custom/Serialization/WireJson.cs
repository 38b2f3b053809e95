// Adds: what the generated serializers (Generated/Serialization/*.Serialization.g.cs, written by
// OpenPipe.CodeGen from the spec) share: the entry points, the readers of the JSON primitives as
// Newtonsoft reads them with the wire settings, the untyped values (a member of type object, extension
// data) as Newtonsoft stores them, and their writing. A generated reader reads the common shape of
// valid input in one pass over the UTF-8 and answers false for anything else, which Newtonsoft then
// reads with its own results and errors: a key that is escaped or differs only in case from a member,
// a value of another JSON type than its member's, a number outside long or double, a null array item,
// a key twice, a missing required member. A generated writer writes the bytes Newtonsoft writes.

using System;
using System.Collections;
using System.Collections.Generic;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using Newtonsoft.Json.Linq;

namespace OpenPipe;

/// <summary>Reads one value of a wire type; the reader starts on its first token and ends on its last.</summary>
/// <typeparam name="T">The type.</typeparam>
/// <param name="reader">The reader.</param>
/// <param name="value">The value read.</param>
/// <returns>Whether the value was in the shape the generated reader reads.</returns>
internal delegate bool WireRead<T>(ref Utf8JsonReader reader, [MaybeNullWhen(false)] out T value);

/// <summary>A wire type whose generated code writes it.</summary>
internal interface IWireWritable
{
    /// <summary>Writes the value as Newtonsoft writes it with the wire settings.</summary>
    /// <param name="writer">Where the JSON goes.</param>
    void WriteJson(JsonBytes writer);
}

/// <summary>The generated reader of each wire type, by type (filled by the generated registry).</summary>
/// <typeparam name="T">The type.</typeparam>
internal static class WireReaders<T>
{
    public static WireRead<T>? Read;
}

/// <summary>The entry points and shared pieces of the generated serializers.</summary>
internal static partial class WireJson
{
    /// <summary>Deeper JSON is left to Newtonsoft (whose limit, 128, is the wire settings').</summary>
    private const int MaxDepth = 64;

    private static readonly JsonReaderOptions Options = new() { MaxDepth = MaxDepth };

    static WireJson() => Register();

    /// <summary>
    /// Reads a <typeparamref name="T"/> from <paramref name="utf8"/>, a whole JSON document, as
    /// Newtonsoft would with the wire settings; false when the input is outside the generated readers'
    /// shape (read it with Newtonsoft then).
    /// </summary>
    public static bool TryRead<T>(ReadOnlySpan<byte> utf8, [MaybeNullWhen(false)] out T value)
    {
        value = default;
        if (WireReaders<T>.Read is not { } read)
        {
            return false;
        }

        try
        {
            var reader = new Utf8JsonReader(utf8, Options);
            if (!reader.Read() || !read(ref reader, out T? result) || reader.Read())
            {
                return false;
            }

            value = result;
            return true;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or ArgumentException)
        {
            // Malformed JSON, a string that is not valid UTF-8, a key twice in an untyped object: Newtonsoft's to read.
            return false;
        }
    }

    /// <summary>
    /// Writes <paramref name="value"/> to <paramref name="output"/> as Newtonsoft would with the wire
    /// settings; false, with the output as it was, when the value holds something the generated
    /// writers leave to Newtonsoft (an untyped value of another type, a NaN, a graph deeper than 64).
    /// </summary>
    public static bool TryWrite(JsonBytes output, object? value)
    {
        var mark = output.Mark();
        try
        {
            WriteAny(output, value);
            return true;
        }
        catch (Exception e) when (e is NotSupportedException or ArgumentException)
        {
            output.Rewind(mark);
            return false;
        }
    }

    /// <summary>Fills <see cref="WireReaders{T}"/> with the generated readers.</summary>
    static partial void Register();

    // ---- reading primitives as Newtonsoft reads them into a member of their type ----

    public static bool TryReadString(ref Utf8JsonReader reader, [NotNullWhen(true)] out string? value)
    {
        value = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
        return value is not null;
    }

    public static bool TryReadBoolean(ref Utf8JsonReader reader, out bool value)
    {
        value = reader.TokenType == JsonTokenType.True;
        return reader.TokenType is JsonTokenType.True or JsonTokenType.False;
    }

    public static bool TryReadInt64(ref Utf8JsonReader reader, out long value)
    {
        value = 0;
        return reader.TokenType == JsonTokenType.Number && IsInteger(ref reader) && reader.TryGetInt64(out value);
    }

    public static bool TryReadInt32(ref Utf8JsonReader reader, out int value)
    {
        value = 0;
        return reader.TokenType == JsonTokenType.Number && IsInteger(ref reader) && reader.TryGetInt32(out value);
    }

    /// <summary>
    /// A date and time in the one ISO 8601 shape both readers parse alike
    /// (<c>yyyy-MM-ddTHH:mm:ss</c>, an optional fraction of up to seven digits, then <c>Z</c> or
    /// <c>+hh:mm</c>); any other text is left to Newtonsoft, which also reads other shapes.
    /// </summary>
    public static bool TryReadDateTimeOffset(ref Utf8JsonReader reader, out DateTimeOffset value)
    {
        value = default;
        if (reader.TokenType != JsonTokenType.String || reader.ValueIsEscaped || reader.HasValueSequence)
        {
            return false;
        }

        ReadOnlySpan<byte> text = reader.ValueSpan;
        return IsIsoDate(text) && reader.TryGetDateTimeOffset(out value);
    }

    private static bool IsIsoDate(ReadOnlySpan<byte> text)
    {
        const string Shape = "0000-00-00T00:00:00";
        if (text.Length < Shape.Length + 1)
        {
            return false;
        }

        for (int i = 0; i < Shape.Length; i++)
        {
            if (Shape[i] == '0' ? !char.IsAsciiDigit((char)text[i]) : text[i] != Shape[i])
            {
                return false;
            }
        }

        int at = Shape.Length;
        if (text[at] == '.')
        {
            int digits = 0;
            while (++at < text.Length && char.IsAsciiDigit((char)text[at]))
            {
                digits++;
            }

            if (digits is 0 or > 7)
            {
                return false;
            }
        }

        ReadOnlySpan<byte> zone = text[at..];
        return zone.SequenceEqual("Z"u8)
            || (zone.Length == 6 && (zone[0] == '+' || zone[0] == '-') && char.IsAsciiDigit((char)zone[1]) && char.IsAsciiDigit((char)zone[2])
                && zone[3] == ':' && char.IsAsciiDigit((char)zone[4]) && char.IsAsciiDigit((char)zone[5]));
    }

    /// <summary>
    /// A JSON number as Newtonsoft reads it into a double: a float parsed, an integer within long
    /// converted; an integer beyond long (Newtonsoft's BigInteger) or a float beyond double is not read.
    /// </summary>
    public static bool TryReadDouble(ref Utf8JsonReader reader, out double value)
    {
        value = 0;
        if (reader.TokenType != JsonTokenType.Number)
        {
            return false;
        }

        if (IsInteger(ref reader))
        {
            bool whole = reader.TryGetInt64(out long integer);
            value = integer;
            return whole;
        }

        return reader.TryGetDouble(out value) && double.IsFinite(value);
    }

    /// <summary>An open value (ExtensibleValueConverter's type) from a JSON string.</summary>
    public static bool TryReadOpen<T>(ref Utf8JsonReader reader, out T value)
        where T : struct, IExtensibleValue<T>
    {
        value = default;
        if (!TryReadString(ref reader, out string? text))
        {
            return false;
        }

        value = T.FromValue(text);
        return true;
    }

    /// <summary>An array of numbers (NumberListConverter's type).</summary>
    public static bool TryReadNumbers(ref Utf8JsonReader reader, [NotNullWhen(true)] out List<double>? value)
    {
        value = null;
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            return false;
        }

        var list = new List<double>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (!TryReadDouble(ref reader, out double number))
            {
                return false;
            }

            list.Add(number);
        }

        value = list;
        return true;
    }

    /// <summary>
    /// A value of type object, as Newtonsoft reads one with no type: a string, long, double, bool or
    /// null, or a JObject or JArray.
    /// </summary>
    public static bool TryReadAny(ref Utf8JsonReader reader, out object? value)
    {
        value = null;
        switch (reader.TokenType)
        {
            case JsonTokenType.StartObject or JsonTokenType.StartArray:
                value = ReadToken(ref reader);
                return value is not null;
            case JsonTokenType.String:
                value = reader.GetString();
                return true;
            case JsonTokenType.Number:
                return TryReadNumber(ref reader, out value);
            case JsonTokenType.True or JsonTokenType.False:
                value = reader.TokenType == JsonTokenType.True;
                return true;
            case JsonTokenType.Null:
                return true;
            default:
                return false;
        }
    }

    /// <summary>
    /// An unknown member into <paramref name="extension"/> (created on the first one), as Newtonsoft
    /// stores extension data; false when the reader is on a name that differs only in case from one of
    /// <paramref name="members"/> (Newtonsoft would read it into that member), a key already there, or
    /// a value outside the shape.
    /// </summary>
    public static bool TryReadExtension(ref Utf8JsonReader reader, ref IDictionary<string, object>? extension, string[] members)
    {
        string key = reader.GetString()!;
        foreach (string member in members)
        {
            if (string.Equals(member, key, StringComparison.OrdinalIgnoreCase))
            {
                return false;
            }
        }

        if (!reader.Read() || !TryReadAny(ref reader, out object? value))
        {
            return false;
        }

        extension ??= new Dictionary<string, object>();
        return extension.TryAdd(key, value!);
    }

    /// <summary>Skips an unknown member of a type without extension data (Newtonsoft ignores it), unless its name is a member's in another case.</summary>
    public static bool TrySkipUnknown(ref Utf8JsonReader reader, string[] members)
    {
        string key = reader.GetString()!;
        foreach (string member in members)
        {
            if (string.Equals(member, key, StringComparison.OrdinalIgnoreCase))
            {
                return false;
            }
        }

        return reader.Read() && reader.TrySkip();
    }

    /// <summary>
    /// The string value of the member <paramref name="name"/> of the object the reader is on, found on
    /// a copy of the reader (the reader does not move); null when absent or not a string.
    /// </summary>
    public static string? LookAhead(Utf8JsonReader copy, ReadOnlySpan<byte> name, out bool present)
    {
        present = false;
        while (copy.Read() && copy.TokenType == JsonTokenType.PropertyName)
        {
            bool match = copy.ValueTextEquals(name);
            copy.Read();
            if (match)
            {
                present = true;
                return copy.TokenType == JsonTokenType.String ? copy.GetString() : null;
            }

            copy.Skip();
        }

        return null;
    }

    /// <summary>A number as Newtonsoft's reader gives it: a long for an integer, a double for a float.</summary>
    private static bool TryReadNumber(ref Utf8JsonReader reader, out object? value)
    {
        value = null;
        if (IsInteger(ref reader))
        {
            if (!reader.TryGetInt64(out long whole))
            {
                return false;
            }

            value = whole;
            return true;
        }

        if (!reader.TryGetDouble(out double number) || !double.IsFinite(number))
        {
            return false;
        }

        value = number;
        return true;
    }

    /// <summary>Whether a number token is an integer to Newtonsoft: no fraction and no exponent.</summary>
    private static bool IsInteger(ref Utf8JsonReader reader) =>
        !reader.HasValueSequence && reader.ValueSpan.IndexOfAny(".eE"u8) < 0;

    /// <summary>A JSON value as a JToken; null when a number is outside long and double.</summary>
    private static JToken? ReadToken(ref Utf8JsonReader reader)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.StartObject:
                var json = new JObject();
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    string key = reader.GetString()!;
                    if (!reader.Read() || ReadToken(ref reader) is not { } item)
                    {
                        return null;
                    }

                    // JObject.Add throws on a repeated key: the caller answers false.
                    json.Add(key, item);
                }

                return json;
            case JsonTokenType.StartArray:
                var array = new JArray();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    if (ReadToken(ref reader) is not { } item)
                    {
                        return null;
                    }

                    array.Add(item);
                }

                return array;
            case JsonTokenType.String:
                return new JValue(reader.GetString());
            case JsonTokenType.Number:
                return TryReadNumber(ref reader, out object? number) ? number is long whole ? new JValue(whole) : new JValue((double)number!) : null;
            case JsonTokenType.True:
                return new JValue(true);
            case JsonTokenType.False:
                return new JValue(false);
            case JsonTokenType.Null:
                return JValue.CreateNull();
            default:
                return null;
        }
    }

    // ---- writing ----

    /// <summary>An open value: its wire string, or null for the default instance (ExtensibleValueConverter).</summary>
    public static void WriteOpen<T>(JsonBytes writer, T value)
        where T : struct, IExtensibleValue<T>
    {
        if (value.Value is { } text)
        {
            writer.String(text);
        }
        else
        {
            writer.Null();
        }
    }

    /// <summary>A list of numbers, each as the wire settings write a double.</summary>
    public static void WriteNumbers(JsonBytes writer, IList<double> numbers)
    {
        writer.StartArray();
        for (int i = 0; i < numbers.Count; i++)
        {
            writer.Number(numbers[i]);
        }

        writer.EndArray();
    }

    /// <summary>Extension data after the members, the key <paramref name="skip"/> (a discriminator already written) left out.</summary>
    public static void WriteExtension(JsonBytes writer, IDictionary<string, object>? extension, string? skip = null)
    {
        if (extension is null)
        {
            return;
        }

        foreach (var (key, value) in extension)
        {
            if (skip is not null && key == skip)
            {
                continue;
            }

            writer.Name(key);
            WriteAny(writer, value);
        }
    }

    /// <summary>
    /// An untyped value (a member of type object, extension data) as Newtonsoft writes it: a primitive,
    /// a JSON token, a wire type, a list or a dictionary with string keys. Anything else is left to
    /// Newtonsoft (<see cref="NotSupportedException"/>, caught by <see cref="TryWrite"/>).
    /// </summary>
    public static void WriteAny(JsonBytes writer, object? value)
    {
        switch (value)
        {
            case null:
                writer.Null();
                break;
            case string text:
                writer.String(text);
                break;
            case bool flag:
                writer.Boolean(flag);
                break;
            case long whole:
                writer.Integer(whole);
                break;
            case int small:
                writer.Integer(small);
                break;
            case double number:
                writer.Number(number);
                break;
            case IWireWritable wire:
                wire.WriteJson(writer);
                break;
            case JToken token:
                WriteToken(writer, token);
                break;
            case IDictionary<string, object> dictionary:
                writer.StartObject();
                foreach (var (key, item) in dictionary)
                {
                    writer.Name(key);
                    WriteAny(writer, item);
                }

                writer.EndObject();
                break;
            case IDictionary<string, string> strings:
                writer.StartObject();
                foreach (var (key, item) in strings)
                {
                    writer.Name(key);
                    WriteAny(writer, item);
                }

                writer.EndObject();
                break;
            case IList list when value.GetType().IsArray || value.GetType().IsGenericType:
                writer.StartArray();
                foreach (object? item in list)
                {
                    WriteAny(writer, item);
                }

                writer.EndArray();
                break;
            default:
                throw new NotSupportedException($"A {value.GetType().Name} is left to Newtonsoft.");
        }
    }

    /// <summary>A JSON token as JToken.WriteTo writes it with the wire settings' converters (a whole double without a fraction).</summary>
    private static void WriteToken(JsonBytes writer, JToken token)
    {
        switch (token)
        {
            case JObject json:
                writer.StartObject();
                foreach (JProperty property in json.Properties())
                {
                    writer.Name(property.Name);
                    WriteToken(writer, property.Value);
                }

                writer.EndObject();
                break;
            case JArray array:
                writer.StartArray();
                foreach (JToken item in array)
                {
                    WriteToken(writer, item);
                }

                writer.EndArray();
                break;
            case JValue { Type: JTokenType.Null }:
                writer.Null();
                break;
            case JValue { Type: JTokenType.String, Value: string text } when token is not JRaw:
                writer.String(text);
                break;
            case JValue { Type: JTokenType.Integer, Value: long whole }:
                writer.Integer(whole);
                break;
            case JValue { Type: JTokenType.Integer, Value: int small }:
                writer.Integer(small);
                break;
            case JValue { Type: JTokenType.Float, Value: double number }:
                writer.Number(number);
                break;
            case JValue { Type: JTokenType.Boolean, Value: bool flag }:
                writer.Boolean(flag);
                break;
            default:
                throw new NotSupportedException($"A {token.Type} token is left to Newtonsoft.");
        }
    }
}
