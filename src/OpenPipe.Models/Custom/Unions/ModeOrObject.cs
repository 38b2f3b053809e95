// Adds: the shared JSON shape of tool_choice and function_call: a mode string ("none", "auto",
// ...) or an object naming a function. One converter serves both unions, and one UTF-8 reader and
// writer (ModeOrObject, which the generated serializers reach through each union); an unknown mode
// string is kept, not rejected.

using System;
using System.Diagnostics.CodeAnalysis;
using JsonTokenType = System.Text.Json.JsonTokenType;
using Utf8JsonReader = System.Text.Json.Utf8JsonReader;
using Newtonsoft.Json;

namespace OpenPipe;

/// <summary>A union of a mode string and an object; implemented by <see cref="ToolChoiceOption"/> and <see cref="FunctionCallOption"/>.</summary>
/// <typeparam name="TSelf">The union type.</typeparam>
/// <typeparam name="TObject">The object member.</typeparam>
public interface IModeOrObject<TSelf, TObject>
    where TSelf : class, IModeOrObject<TSelf, TObject>
    where TObject : class
{
    /// <summary>The mode, when the value is a string; otherwise null.</summary>
    string? Mode { get; }

    /// <summary>The object, when the value is an object; otherwise null.</summary>
    TObject? Object { get; }

    /// <summary>Wraps a mode string.</summary>
    /// <param name="mode">The mode.</param>
    /// <returns>The union.</returns>
    static abstract TSelf FromMode(string mode);

    /// <summary>Wraps an object.</summary>
    /// <param name="value">The object.</param>
    /// <returns>The union.</returns>
    static abstract TSelf FromObject(TObject value);
}

/// <summary>Reads and writes a mode-or-object union in both wire forms.</summary>
/// <typeparam name="TSelf">The union type.</typeparam>
/// <typeparam name="TObject">The object member.</typeparam>
public sealed class ModeOrObjectConverter<TSelf, TObject> : JsonConverter<TSelf>
    where TSelf : class, IModeOrObject<TSelf, TObject>
    where TObject : class
{
    /// <inheritdoc />
    public override TSelf? ReadJson(JsonReader reader, Type objectType, TSelf? existingValue, bool hasExistingValue, JsonSerializer serializer)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(serializer);
        switch (reader.TokenType)
        {
            case JsonToken.Null:
                return null;
            case JsonToken.String:
                return TSelf.FromMode((string)reader.Value!);
            case JsonToken.StartObject:
                // Read from a buffered copy, so an error inside it that a caller's handler records
                // (the server's issues) leaves the outer reader where it was; null then, the issue already named.
                var (json, path) = JsonObjectIO.LoadObject(reader, typeof(TObject).Name);
                using (JsonReader inner = JsonObjectIO.ReaderAt(json, path))
                {
                    return serializer.Deserialize<TObject>(inner) is { } value ? TSelf.FromObject(value) : null;
                }
            default:
                throw new JsonSerializationException($"Expected a string or an object for {typeof(TSelf).Name} at '{reader.Path}', not {reader.TokenType}.");
        }
    }

    /// <inheritdoc />
    public override void WriteJson(JsonWriter writer, TSelf? value, JsonSerializer serializer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(serializer);
        if (value?.Mode is { } mode)
        {
            writer.WriteValue(mode);
        }
        else if (value?.Object is { } obj)
        {
            serializer.Serialize(writer, obj);
        }
        else
        {
            writer.WriteNull();
        }
    }
}

/// <summary>The UTF-8 side of <see cref="ModeOrObjectConverter{TSelf, TObject}"/>: the same two forms.</summary>
internal static class ModeOrObject
{
    /// <summary>A mode string, or an object read by <paramref name="readObject"/>; anything else is left to Newtonsoft.</summary>
    public static bool TryRead<TSelf, TObject>(ref Utf8JsonReader reader, WireRead<TObject> readObject, [MaybeNullWhen(false)] out TSelf value)
        where TSelf : class, IModeOrObject<TSelf, TObject>
        where TObject : class
    {
        value = null;
        switch (reader.TokenType)
        {
            case JsonTokenType.String:
                value = TSelf.FromMode(reader.GetString()!);
                return true;
            case JsonTokenType.StartObject:
                if (!readObject(ref reader, out TObject? member))
                {
                    return false;
                }

                value = TSelf.FromObject(member);
                return true;
            default:
                return false;
        }
    }

    /// <summary>The mode string, else the object, else null.</summary>
    public static void Write<TSelf, TObject>(JsonBytes writer, TSelf value)
        where TSelf : class, IModeOrObject<TSelf, TObject>
        where TObject : class, IWireWritable
    {
        if (value.Mode is { } mode)
        {
            writer.String(mode);
        }
        else if (value.Object is { } member)
        {
            member.WriteJson(writer);
        }
        else
        {
            writer.Null();
        }
    }
}
