// Adds: the request reader's one departure from the shared wire settings: primitives keep their
// JSON type. Newtonsoft would read "stream": "true" as true, "n": "2" as 2 and "model": 5 as "5",
// which hides client bugs; here a boolean must be a JSON boolean, a number a JSON number and a
// string (metadata values included) a JSON string. Responses are still read leniently.

using System;
using Newtonsoft.Json;

namespace OpenPipe.Server;

/// <summary>Reads booleans, numbers and strings only from JSON tokens of their own type.</summary>
internal sealed class StrictRequestPrimitives : JsonConverter
{
    private static readonly StrictRequestPrimitives Instance = new();

    public override bool CanWrite => false;

    /// <summary>A serializer over the shared settings that reads request primitives strictly.</summary>
    /// <returns>The serializer.</returns>
    public static JsonSerializer CreateSerializer()
    {
        var serializer = JsonSerializer.Create(OpenPipeJson.Settings);
        serializer.Converters.Insert(0, Instance);
        return serializer;
    }

    public override bool CanConvert(Type objectType) =>
        objectType == typeof(bool) || objectType == typeof(bool?)
        || objectType == typeof(double) || objectType == typeof(double?)
        || objectType == typeof(int) || objectType == typeof(int?)
        || objectType == typeof(long) || objectType == typeof(long?)
        || objectType == typeof(string);

    public override object? ReadJson(JsonReader reader, Type objectType, object? existingValue, JsonSerializer serializer)
    {
        Type type = Nullable.GetUnderlyingType(objectType) ?? objectType;
        if (reader.TokenType == JsonToken.Null)
        {
            return objectType.IsValueType && Nullable.GetUnderlyingType(objectType) is null
                ? throw new JsonSerializationException($"Expected a {Describe(type)} at '{reader.Path}', not null.")
                : null;
        }

        bool fits = type == typeof(bool) ? reader.TokenType == JsonToken.Boolean
            : type == typeof(string) ? reader.TokenType == JsonToken.String
            : reader.TokenType is JsonToken.Integer or JsonToken.Float;
        if (!fits)
        {
            throw new JsonSerializationException($"Expected a {Describe(type)} at '{reader.Path}', not {Describe(reader.TokenType)}.");
        }

        try
        {
            return type == typeof(string) || type == typeof(bool)
                ? reader.Value
                : Convert.ChangeType(reader.Value, type, System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (OverflowException)
        {
            throw new JsonSerializationException($"The number at '{reader.Path}' is out of range.");
        }
    }

    public override void WriteJson(JsonWriter writer, object? value, JsonSerializer serializer) =>
        throw new NotSupportedException("Only used for reading requests.");

    private static string Describe(Type type) =>
        type == typeof(bool) ? "boolean" : type == typeof(string) ? "string" : type == typeof(double) ? "number" : "integer";

    private static string Describe(JsonToken token) => token switch
    {
        JsonToken.String => "a string",
        JsonToken.Integer or JsonToken.Float => "a number",
        JsonToken.Boolean => "a boolean",
        JsonToken.StartArray => "an array",
        JsonToken.StartObject => "an object",
        _ => token.ToString(),
    };
}
