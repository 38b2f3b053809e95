// Adds: what the hand-written object converters (unions by discriminator, open tool types) share:
// reading a buffered JObject again without losing the path of the outer reader (so an error
// inside `messages[0]` names `messages[0].role`, not `role`), telling an array item from a
// property (a null array item is an error), and writing an object from its Newtonsoft contract.

using System;
using System.Collections.Generic;
using System.Text.RegularExpressions;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using Newtonsoft.Json.Serialization;

namespace OpenPipe;

/// <summary>Reading and writing helpers for the kit's object converters.</summary>
internal static partial class JsonObjectIO
{
    /// <summary>A reader over <paramref name="token"/> whose paths continue <paramref name="outerPath"/>.</summary>
    /// <param name="token">A token of a JObject read from the outer reader.</param>
    /// <param name="outerPath">The outer reader's path where the JObject started.</param>
    /// <returns>The reader.</returns>
    public static JsonReader ReaderAt(JToken token, string outerPath)
    {
        string relative = token.Path;
        string path = relative.Length == 0 ? outerPath
            : outerPath.Length == 0 ? relative
            : relative[0] == '[' ? outerPath + relative : outerPath + "." + relative;
        // The outer reader already bounded the depth of the whole document; this reader's own limit
        // (64 by default, counted from the token) would refuse a deep but allowed JSON Schema.
        return new JTokenReader(token, path) { MaxDepth = null };
    }

    /// <summary>Throws when a null stands where an object is required: as an array item.</summary>
    /// <param name="reader">The reader, positioned on the null.</param>
    /// <param name="what">What was expected, for the message.</param>
    public static void RejectNullArrayItem(JsonReader reader, string what)
    {
        if (ArrayItem().IsMatch(reader.Path))
        {
            throw new JsonSerializationException($"Expected {what} at '{reader.Path}', not null.");
        }
    }

    /// <summary>Reads the JSON object at <paramref name="reader"/> into a JObject, with the path it started at.</summary>
    /// <param name="reader">The reader, on StartObject.</param>
    /// <param name="what">What was expected, for the message when it is not an object.</param>
    /// <returns>The object and its path.</returns>
    public static (JObject Json, string Path) LoadObject(JsonReader reader, string what)
    {
        if (reader.TokenType != JsonToken.StartObject)
        {
            throw new JsonSerializationException($"Expected {what} (an object) at '{reader.Path}', not {reader.TokenType}.");
        }

        string path = reader.Path;
        return (JObject.Load(reader), path);
    }

    /// <summary>
    /// Fills <paramref name="instance"/> from <paramref name="json"/> property by property, known
    /// properties typed and the rest into extension data, without the contract's required checks:
    /// for an object of a kind this kit does not know, whose required members are another kind's.
    /// </summary>
    /// <param name="instance">The object to fill.</param>
    /// <param name="json">The object's JSON.</param>
    /// <param name="path">The JSON's path in the outer reader.</param>
    /// <param name="serializer">The serializer.</param>
    public static void PopulateOpen(object instance, JObject json, string path, JsonSerializer serializer)
    {
        var contract = (JsonObjectContract)serializer.ContractResolver.ResolveContract(instance.GetType());
        foreach (JProperty property in json.Properties())
        {
            var member = contract.Properties.GetClosestMatchProperty(property.Name);
            if (member is { Ignored: false, Writable: true, ValueProvider: not null, PropertyType: not null })
            {
                using JsonReader inner = ReaderAt(property.Value, path);
                inner.Read();
                object? value = member.Converter is { CanRead: true } converter
                    ? converter.ReadJson(inner, member.PropertyType, null, serializer)
                    : serializer.Deserialize(inner, member.PropertyType);
                member.ValueProvider.SetValue(instance, value);
            }
            else if (contract.ExtensionDataSetter is { } setter)
            {
                setter(instance, property.Name, property.Value is JValue plain ? plain.Value : property.Value.DeepClone());
            }
        }
    }

    /// <summary>
    /// Writes <paramref name="value"/> as an object: the discriminator first (when given), then its
    /// properties from its Newtonsoft contract (honouring each property's null handling and
    /// converters), then its extension data.
    /// </summary>
    /// <param name="writer">The writer.</param>
    /// <param name="value">The object.</param>
    /// <param name="serializer">The serializer.</param>
    /// <param name="discriminatorName">The discriminator's JSON name, or null.</param>
    /// <param name="discriminatorValue">The discriminator's value, or null to write none.</param>
    public static void WriteObject(JsonWriter writer, object value, JsonSerializer serializer, string? discriminatorName = null, string? discriminatorValue = null)
    {
        var contract = (JsonObjectContract)serializer.ContractResolver.ResolveContract(value.GetType());
        writer.WriteStartObject();
        bool wroteDiscriminator = discriminatorName is not null && discriminatorValue is not null;
        if (wroteDiscriminator)
        {
            writer.WritePropertyName(discriminatorName!);
            writer.WriteValue(discriminatorValue);
        }

        foreach (var property in contract.Properties)
        {
            if (property.Ignored || !property.Readable || property.ValueProvider is null
                || (property.ShouldSerialize is not null && !property.ShouldSerialize(value)))
            {
                continue;
            }

            object? propertyValue = property.ValueProvider.GetValue(value);
            if (propertyValue is null && (property.NullValueHandling ?? serializer.NullValueHandling) == NullValueHandling.Ignore)
            {
                continue;
            }

            writer.WritePropertyName(property.PropertyName!);
            if (property.Converter is { CanWrite: true } converter && propertyValue is not null)
            {
                converter.WriteJson(writer, propertyValue, serializer);
            }
            else
            {
                serializer.Serialize(writer, propertyValue);
            }
        }

        if (contract.ExtensionDataGetter?.Invoke(value) is { } extensionData)
        {
            foreach (KeyValuePair<object, object> pair in extensionData)
            {
                string propertyName = pair.Key?.ToString() ?? string.Empty;
                if (wroteDiscriminator && propertyName == discriminatorName)
                {
                    continue;
                }

                writer.WritePropertyName(propertyName);
                serializer.Serialize(writer, pair.Value);
            }
        }

        writer.WriteEndObject();
    }

    [GeneratedRegex(@"\[\d+\]$")]
    private static partial Regex ArrayItem();
}
