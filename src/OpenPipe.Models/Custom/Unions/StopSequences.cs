// Adds: StopSequences, the request's `stop`: one string or an array of strings, kept in the form
// it was given; a string or a string array converts to it. Its whole wire format is here: the
// Newtonsoft converter, and the UTF-8 reader and writer the generated serializers call.

using System;
using System.Collections.Generic;
using System.Diagnostics.CodeAnalysis;
using JsonTokenType = System.Text.Json.JsonTokenType;
using Utf8JsonReader = System.Text.Json.Utf8JsonReader;
using Newtonsoft.Json;

namespace OpenPipe;

/// <summary>Where generation stops: one sequence, or several.</summary>
[JsonConverter(typeof(StopSequencesConverter))]
public sealed class StopSequences : IWireWritable
{
    private StopSequences(IReadOnlyList<string> values, bool isSingle)
    {
        Values = values;
        IsSingle = isSingle;
    }

    /// <summary>The stop sequences.</summary>
    public IReadOnlyList<string> Values { get; }

    /// <summary>Whether the sequence was given as one string rather than an array.</summary>
    public bool IsSingle { get; }

    /// <summary>One stop sequence, sent as a string.</summary>
    /// <param name="sequence">The sequence.</param>
    /// <returns>The stop option.</returns>
    public static StopSequences Single(string sequence)
    {
        ArgumentNullException.ThrowIfNull(sequence);
        return new StopSequences([sequence], isSingle: true);
    }

    /// <summary>Several stop sequences, sent as an array.</summary>
    /// <param name="sequences">The sequences.</param>
    /// <returns>The stop option.</returns>
    public static StopSequences Many(IEnumerable<string> sequences)
    {
        ArgumentNullException.ThrowIfNull(sequences);
        return new StopSequences([.. sequences], isSingle: false);
    }

    /// <summary>Reads either form from UTF-8: a string, or an array of strings (anything else is left to Newtonsoft).</summary>
    internal static bool TryReadJson(ref Utf8JsonReader reader, [MaybeNullWhen(false)] out StopSequences value)
    {
        value = null;
        switch (reader.TokenType)
        {
            case JsonTokenType.String:
                value = Single(reader.GetString()!);
                return true;
            case JsonTokenType.StartArray:
                var values = new List<string>();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    if (!WireJson.TryReadString(ref reader, out string? sequence))
                    {
                        return false;
                    }

                    values.Add(sequence);
                }

                value = Many(values);
                return true;
            default:
                return false;
        }
    }

    void IWireWritable.WriteJson(JsonBytes writer) => WriteJson(writer);

    /// <summary>Writes the form it was given in.</summary>
    internal void WriteJson(JsonBytes writer)
    {
        if (IsSingle)
        {
            writer.String(Values[0]);
            return;
        }

        writer.StartArray();
        foreach (string sequence in Values)
        {
            writer.String(sequence);
        }

        writer.EndArray();
    }

    /// <summary>Stop sequences carry no constraints of the spec beyond their shape.</summary>
    internal void Validate(WireValidation validation) => _ = validation;

    /// <summary>One stop sequence.</summary>
    /// <param name="sequence">The sequence; null gives null.</param>
    [return: System.Diagnostics.CodeAnalysis.NotNullIfNotNull(nameof(sequence))]
    public static implicit operator StopSequences?(string? sequence) => sequence is null ? null : Single(sequence);

    /// <summary>Several stop sequences.</summary>
    /// <param name="sequences">The sequences; null gives null.</param>
    [return: System.Diagnostics.CodeAnalysis.NotNullIfNotNull(nameof(sequences))]
    public static implicit operator StopSequences?(string[]? sequences) => sequences is null ? null : Many(sequences);
}

/// <summary>Reads and writes <see cref="StopSequences"/> in both wire forms.</summary>
internal sealed class StopSequencesConverter : JsonConverter<StopSequences>
{
    public override StopSequences? ReadJson(JsonReader reader, Type objectType, StopSequences? existingValue, bool hasExistingValue, JsonSerializer serializer)
    {
        string path = reader.Path;
        switch (reader.TokenType)
        {
            case JsonToken.Null:
                return null;
            case JsonToken.String:
                return StopSequences.Single((string)reader.Value!);
            case JsonToken.StartArray:
                var values = new List<string>();
                while (reader.Read() && reader.TokenType != JsonToken.EndArray)
                {
                    if (reader.TokenType != JsonToken.String)
                    {
                        throw new JsonSerializationException($"stop at '{reader.Path}' must be a string, not {reader.TokenType}.");
                    }

                    values.Add((string)reader.Value!);
                }

                return StopSequences.Many(values);
            default:
                throw new JsonSerializationException($"stop at '{path}' must be a string or an array of strings, not {reader.TokenType}.");
        }
    }

    public override void WriteJson(JsonWriter writer, StopSequences? value, JsonSerializer serializer)
    {
        if (value is null)
        {
            writer.WriteNull();
        }
        else if (value.IsSingle)
        {
            writer.WriteValue(value.Values[0]);
        }
        else
        {
            serializer.Serialize(writer, value.Values);
        }
    }
}
