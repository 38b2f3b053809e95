// Adds: the contract and the one JSON converter behind the open string sets of the API
// (FinishReason, ChatRole, ToolType, ImageDetail, InputAudioFormat, AudioFormat, AudioVoice).
// NSwag would generate closed C# enums whose StringEnumConverter throws on a value it does not
// know; these keep any value the service sends and still name the known ones.

using System;
using Newtonsoft.Json;

namespace OpenPipe;

/// <summary>A string value from an open set: the known values are named, any other is kept as sent.</summary>
/// <typeparam name="TSelf">The implementing type.</typeparam>
public interface IExtensibleValue<TSelf>
    where TSelf : struct, IExtensibleValue<TSelf>
{
    /// <summary>The value as it appears on the wire.</summary>
    string Value { get; }

    /// <summary>Wraps a wire value.</summary>
    /// <param name="value">The value as it appears on the wire.</param>
    /// <returns>The wrapped value.</returns>
    static abstract TSelf FromValue(string value);
}

/// <summary>Reads and writes an <see cref="IExtensibleValue{TSelf}"/> as a JSON string; never throws on an unknown value.</summary>
/// <typeparam name="T">The value type.</typeparam>
public sealed class ExtensibleValueConverter<T> : JsonConverter
    where T : struct, IExtensibleValue<T>
{
    /// <inheritdoc />
    public override bool CanConvert(Type objectType) => objectType == typeof(T) || objectType == typeof(T?);

    /// <inheritdoc />
    public override object? ReadJson(JsonReader reader, Type objectType, object? existingValue, JsonSerializer serializer)
    {
        ArgumentNullException.ThrowIfNull(reader);
        return reader.TokenType switch
        {
            JsonToken.Null when objectType == typeof(T?) => null,
            JsonToken.Null => default(T),
            JsonToken.String => T.FromValue((string)reader.Value!),
            JsonToken.Integer or JsonToken.Float or JsonToken.Boolean =>
                T.FromValue(Convert.ToString(reader.Value, System.Globalization.CultureInfo.InvariantCulture)!),
            _ => throw new JsonSerializationException($"Expected a string for {typeof(T).Name}, got {reader.TokenType}."),
        };
    }

    /// <inheritdoc />
    public override void WriteJson(JsonWriter writer, object? value, JsonSerializer serializer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        if (value is T typed && typed.Value is not null)
        {
            writer.WriteValue(typed.Value);
        }
        else
        {
            writer.WriteNull();
        }
    }
}
