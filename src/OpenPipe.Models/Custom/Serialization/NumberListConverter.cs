// Adds: a direct reader for the spec's arrays of numbers (a log probability's `bytes`, one per
// token and per alternative: most of the numbers in a completion with logprobs). Newtonsoft reads
// each element through its general list path (a contract lookup, a type check and an untyped
// IList.Add per number); this reads the tokens straight into a List<double>. What it accepts is
// what that path accepts: numbers, and strings that parse as numbers; anything else is a
// JsonSerializationException naming the element's path. Writing stays Newtonsoft's.

using System;
using System.Collections.Generic;
using System.Globalization;
using Newtonsoft.Json;

namespace OpenPipe;

/// <summary>Reads <c>IList&lt;double&gt;</c> and <c>List&lt;double&gt;</c> from a JSON array of numbers.</summary>
internal sealed class NumberListConverter : JsonConverter
{
    public static readonly NumberListConverter Instance = new();

    public override bool CanWrite => false;

    public override bool CanConvert(Type objectType) =>
        objectType == typeof(IList<double>) || objectType == typeof(List<double>) || objectType == typeof(ICollection<double>) || objectType == typeof(IEnumerable<double>);

    public override object? ReadJson(JsonReader reader, Type objectType, object? existingValue, JsonSerializer serializer)
    {
        if (reader.TokenType == JsonToken.Null)
        {
            return null;
        }

        if (reader.TokenType != JsonToken.StartArray)
        {
            throw new JsonSerializationException($"Expected an array of numbers at '{reader.Path}', not {reader.TokenType}.");
        }

        var list = new List<double>();
        while (reader.Read())
        {
            switch (reader.TokenType)
            {
                case JsonToken.EndArray:
                    return list;
                case JsonToken.Float when reader.Value is double d:
                    list.Add(d);
                    break;
                case JsonToken.Integer when reader.Value is System.Numerics.BigInteger big:
                    list.Add((double)big);
                    break;
                case JsonToken.Integer or JsonToken.Float:
                    list.Add(Convert.ToDouble(reader.Value, CultureInfo.InvariantCulture));
                    break;
                case JsonToken.String when double.TryParse((string)reader.Value!, NumberStyles.Float, CultureInfo.InvariantCulture, out double parsed):
                    list.Add(parsed);
                    break;
                case JsonToken.Comment:
                    break;
                default:
                    throw new JsonSerializationException($"Expected a number at '{reader.Path}', not {(reader.TokenType == JsonToken.String ? $"\"{reader.Value}\"" : reader.TokenType.ToString())}.");
            }
        }

        throw new JsonSerializationException($"The array at '{reader.Path}' ends before it closes.");
    }

    public override void WriteJson(JsonWriter writer, object? value, JsonSerializer serializer) =>
        throw new NotSupportedException("Lists of numbers are written by Newtonsoft.");
}
