// Adds: TagValue, the value of one OpenPipe tag as OpenPipe's SDKs type it
// (`Record<string, string | number | boolean | null>`), with its JSON type kept: a number keeps the
// exact JSON text it arrived as, so nothing is lost between op-tags, a handler and the request log.

using System;
using System.Globalization;
using Newtonsoft.Json;

namespace OpenPipe;

/// <summary>The JSON type of a <see cref="TagValue"/>.</summary>
public enum TagValueKind
{
    /// <summary>JSON <c>null</c>.</summary>
    Null,

    /// <summary>A JSON string.</summary>
    String,

    /// <summary>A JSON number, kept as its JSON text.</summary>
    Number,

    /// <summary><c>true</c> or <c>false</c>.</summary>
    Boolean,
}

/// <summary>
/// The value of one OpenPipe tag: a string, a number, a boolean or null, as OpenPipe's SDKs send them
/// in <c>op-tags</c> and <c>/report</c>. Strings, numbers and booleans convert to it implicitly
/// (<c>tags["attempt"] = 2</c>). A number read from JSON keeps its exact text (<c>2.50</c> stays
/// <c>2.50</c>); two numbers are equal when their values are.
/// </summary>
[JsonConverter(typeof(TagValueJsonConverter))]
public readonly struct TagValue : IEquatable<TagValue>
{
    private readonly string? text;

    private TagValue(TagValueKind kind, string? text)
    {
        Kind = kind;
        this.text = text;
    }

    /// <summary>JSON <c>null</c> (also the default value).</summary>
    public static TagValue Null => default;

    /// <summary>The value's JSON type.</summary>
    public TagValueKind Kind { get; }

    /// <summary>Whether the value is JSON <c>null</c>.</summary>
    public bool IsNull => Kind == TagValueKind.Null;

    /// <summary>A string value; null makes <see cref="Null"/>.</summary>
    /// <param name="value">The string.</param>
    /// <returns>The value.</returns>
    public static TagValue FromString(string? value) => value is null ? Null : new(TagValueKind.String, value);

    /// <summary>A boolean value.</summary>
    /// <param name="value">The boolean.</param>
    /// <returns>The value.</returns>
    public static TagValue FromBoolean(bool value) => new(TagValueKind.Boolean, value ? "true" : "false");

    /// <summary>An integer value.</summary>
    /// <param name="value">The number.</param>
    /// <returns>The value.</returns>
    public static TagValue FromNumber(long value) => new(TagValueKind.Number, value.ToString(CultureInfo.InvariantCulture));

    /// <summary>A decimal value, written with its scale (<c>2.50m</c> as <c>2.50</c>).</summary>
    /// <param name="value">The number.</param>
    /// <returns>The value.</returns>
    public static TagValue FromNumber(decimal value) => new(TagValueKind.Number, value.ToString(CultureInfo.InvariantCulture));

    /// <summary>A floating-point value, written in the shortest form that reads back the same.</summary>
    /// <param name="value">A finite number.</param>
    /// <returns>The value.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The number is NaN or infinite, which JSON cannot carry.</exception>
    public static TagValue FromNumber(double value)
    {
        if (!double.IsFinite(value))
        {
            throw new ArgumentOutOfRangeException(nameof(value), value, "A tag's number must be finite: JSON has no NaN or infinity.");
        }

        return new(TagValueKind.Number, value.ToString("R", CultureInfo.InvariantCulture));
    }

    /// <summary>A number given as its JSON text, kept exactly (e.g. <c>"2.50"</c>, <c>"1e3"</c>).</summary>
    /// <param name="json">A JSON number.</param>
    /// <returns>The value.</returns>
    /// <exception cref="FormatException"><paramref name="json"/> is not a JSON number.</exception>
    public static TagValue FromJsonNumber(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        if (!IsJsonNumber(json))
        {
            throw new FormatException($"'{json}' is not a JSON number.");
        }

        return new(TagValueKind.Number, json);
    }

    /// <summary>Converts a string (null to <see cref="Null"/>).</summary>
    /// <param name="value">The string.</param>
    public static implicit operator TagValue(string? value) => FromString(value);

    /// <summary>Converts a boolean.</summary>
    /// <param name="value">The boolean.</param>
    public static implicit operator TagValue(bool value) => FromBoolean(value);

    /// <summary>Converts an integer.</summary>
    /// <param name="value">The number.</param>
    public static implicit operator TagValue(int value) => FromNumber(value);

    /// <summary>Converts an integer.</summary>
    /// <param name="value">The number.</param>
    public static implicit operator TagValue(long value) => FromNumber(value);

    /// <summary>Converts a floating-point number.</summary>
    /// <param name="value">A finite number.</param>
    public static implicit operator TagValue(double value) => FromNumber(value);

    /// <summary>Converts a decimal.</summary>
    /// <param name="value">The number.</param>
    public static implicit operator TagValue(decimal value) => FromNumber(value);

    /// <summary>Equality by JSON type and value.</summary>
    /// <param name="left">A value.</param>
    /// <param name="right">Another value.</param>
    public static bool operator ==(TagValue left, TagValue right) => left.Equals(right);

    /// <summary>Inequality by JSON type and value.</summary>
    /// <param name="left">A value.</param>
    /// <param name="right">Another value.</param>
    public static bool operator !=(TagValue left, TagValue right) => !left.Equals(right);

    /// <summary>The string, when the value is one.</summary>
    /// <returns>The string, or null for another kind.</returns>
    public string? AsString() => Kind == TagValueKind.String ? text : null;

    /// <summary>The boolean, when the value is one.</summary>
    /// <param name="value">The boolean.</param>
    /// <returns>Whether the value is a boolean.</returns>
    public bool TryGetBoolean(out bool value)
    {
        value = Kind == TagValueKind.Boolean && text == "true";
        return Kind == TagValueKind.Boolean;
    }

    /// <summary>The number as a long, when the value is a number that is a whole long.</summary>
    /// <param name="value">The number.</param>
    /// <returns>Whether it fits.</returns>
    public bool TryGetInt64(out long value)
    {
        value = 0;
        if (Kind != TagValueKind.Number)
        {
            return false;
        }

        if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value))
        {
            return true;
        }

        if (decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out decimal d) && d == decimal.Truncate(d) && d is >= long.MinValue and <= long.MaxValue)
        {
            value = (long)d;
            return true;
        }

        return false;
    }

    /// <summary>The number as a double, when the value is a number.</summary>
    /// <param name="value">The number (rounded to the nearest double).</param>
    /// <returns>Whether the value is a number.</returns>
    public bool TryGetDouble(out double value)
    {
        value = 0;
        return Kind == TagValueKind.Number && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value);
    }

    /// <summary>The value as JSON: a quoted string, the number's text, <c>true</c>, <c>false</c> or <c>null</c>.</summary>
    /// <returns>The JSON.</returns>
    public string ToJson() => Kind switch
    {
        TagValueKind.String => JsonConvert.ToString(text),
        TagValueKind.Null => "null",
        _ => text!,
    };

    /// <summary>The value as text: a string as it is, a number's JSON text, <c>true</c>/<c>false</c>, or empty for null.</summary>
    /// <returns>The text.</returns>
    public override string ToString() => text ?? string.Empty;

    /// <inheritdoc />
    public bool Equals(TagValue other)
    {
        if (Kind != other.Kind)
        {
            return false;
        }

        if (Kind == TagValueKind.Number && !string.Equals(text, other.text, StringComparison.Ordinal))
        {
            return decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out decimal a)
                && decimal.TryParse(other.text, NumberStyles.Float, CultureInfo.InvariantCulture, out decimal b)
                ? a == b
                : TryGetDouble(out double x) && other.TryGetDouble(out double y) && x.Equals(y);
        }

        return string.Equals(text, other.text, StringComparison.Ordinal);
    }

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is TagValue other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => Kind switch
    {
        TagValueKind.Number => HashCode.Combine(Kind, TryGetDouble(out double d) ? d : 0),
        _ => HashCode.Combine(Kind, text),
    };

    /// <summary>Whether <paramref name="text"/> is exactly one JSON number (RFC 8259's grammar).</summary>
    internal static bool IsJsonNumber(string text)
    {
        int i = 0;
        if (i < text.Length && text[i] == '-')
        {
            i++;
        }

        if (i >= text.Length)
        {
            return false;
        }

        if (text[i] == '0')
        {
            i++;
        }
        else if (text[i] is >= '1' and <= '9')
        {
            while (i < text.Length && char.IsAsciiDigit(text[i]))
            {
                i++;
            }
        }
        else
        {
            return false;
        }

        if (i < text.Length && text[i] == '.')
        {
            int start = ++i;
            while (i < text.Length && char.IsAsciiDigit(text[i]))
            {
                i++;
            }

            if (i == start)
            {
                return false;
            }
        }

        if (i < text.Length && text[i] is 'e' or 'E')
        {
            i++;
            if (i < text.Length && text[i] is '+' or '-')
            {
                i++;
            }

            int start = i;
            while (i < text.Length && char.IsAsciiDigit(text[i]))
            {
                i++;
            }

            if (i == start)
            {
                return false;
            }
        }

        return i == text.Length;
    }
}

/// <summary>Newtonsoft.Json reads and writes a <see cref="TagValue"/> as the JSON value it is.</summary>
internal sealed class TagValueJsonConverter : JsonConverter<TagValue>
{
    public override void WriteJson(JsonWriter writer, TagValue value, JsonSerializer serializer)
    {
        switch (value.Kind)
        {
            case TagValueKind.String:
                writer.WriteValue(value.AsString());
                break;
            case TagValueKind.Null:
                writer.WriteNull();
                break;
            default:
                writer.WriteRawValue(value.ToJson());
                break;
        }
    }

    public override TagValue ReadJson(JsonReader reader, Type objectType, TagValue existingValue, bool hasExistingValue, JsonSerializer serializer) => reader.TokenType switch
    {
        JsonToken.Null or JsonToken.Undefined => TagValue.Null,
        JsonToken.String => TagValue.FromString((string?)reader.Value),
        JsonToken.Boolean => TagValue.FromBoolean((bool)reader.Value!),
        JsonToken.Integer => TagValue.FromJsonNumber(Convert.ToString(reader.Value, CultureInfo.InvariantCulture)!),
        JsonToken.Float when reader.Value is double d && !double.IsFinite(d) => throw new JsonSerializationException($"A tag's number must be finite (at '{reader.Path}')."),
        JsonToken.Float when reader.Value is double d => TagValue.FromNumber(d),
        JsonToken.Float => TagValue.FromJsonNumber(Convert.ToString(reader.Value, CultureInfo.InvariantCulture)!),
        _ => throw new JsonSerializationException($"A tag's value must be a string, number, boolean or null, not {reader.TokenType} (at '{reader.Path}')."),
    };
}
