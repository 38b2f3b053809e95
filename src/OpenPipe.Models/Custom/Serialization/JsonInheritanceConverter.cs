// Adds: the converter NSwag's generated unions (message by `role`, content part and response
// format by `type`, criterion result by `status`) point at, written here instead of generated
// (excludedTypeNames) because NSwag's own throws on a discriminator value it does not know.
// This one maps known values to their subclass and reads an unknown value into the base class,
// where the discriminator and every other property stay in AdditionalProperties, so nothing is
// lost and a proxy writes the object back as it came.

using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace OpenPipe;

/// <summary>Names the subclass of a union for one discriminator value (used by generated code).</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = true)]
internal sealed class JsonInheritanceAttribute : Attribute
{
    public JsonInheritanceAttribute(string key, Type type)
    {
        Key = key;
        Type = type;
    }

    public string Key { get; }

    public Type Type { get; }
}

/// <summary>Reads and writes a discriminated union; an unknown discriminator value never throws.</summary>
public sealed class JsonInheritanceConverter : JsonConverter
{
    private static readonly ConcurrentDictionary<Type, Dictionary<string, Type>> SubtypesByBase = new();
    private static readonly ConcurrentDictionary<Type, string?> DiscriminatorByType = new();

    private readonly string discriminator;

    /// <summary>Creates the converter for a union whose discriminator property is <paramref name="discriminatorName"/>.</summary>
    /// <param name="discriminatorName">The JSON name of the discriminator property.</param>
    public JsonInheritanceConverter(string discriminatorName)
    {
        discriminator = discriminatorName;
    }

    /// <summary>The JSON name of the discriminator property.</summary>
    public string DiscriminatorName => discriminator;

    /// <inheritdoc />
    public override bool CanConvert(Type objectType) => true;

    /// <summary>The discriminator value written for <paramref name="type"/>, or null for the base class.</summary>
    /// <param name="type">A class of the union.</param>
    /// <returns>The discriminator value.</returns>
    public static string? GetDiscriminatorValue(Type type)
    {
        ArgumentNullException.ThrowIfNull(type);
        return DiscriminatorByType.GetOrAdd(type, t => t.GetCustomAttributes<JsonInheritanceAttribute>(inherit: true).FirstOrDefault(a => a.Type == t)?.Key);
    }

    /// <inheritdoc />
    /// <remarks>
    /// Writes the discriminator first, then the object's properties from its Newtonsoft contract
    /// (honouring each property's null handling and converters), then its extension data.
    /// </remarks>
    public override void WriteJson(JsonWriter writer, object? value, JsonSerializer serializer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(serializer);
        if (value is null)
        {
            writer.WriteNull();
            return;
        }

        JsonObjectIO.WriteObject(writer, value, serializer, discriminator, GetDiscriminatorValue(value.GetType()));
    }

    /// <inheritdoc />
    /// <remarks>
    /// Errors inside the object keep the full path of the outer reader (<c>messages[0].role</c>),
    /// a wrong shape is a <see cref="JsonSerializationException"/>, and a null array item is one too.
    /// </remarks>
    public override object? ReadJson(JsonReader reader, Type objectType, object? existingValue, JsonSerializer serializer)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(objectType);
        ArgumentNullException.ThrowIfNull(serializer);
        if (reader.TokenType == JsonToken.Null)
        {
            JsonObjectIO.RejectNullArrayItem(reader, $"a {objectType.Name}");
            return null;
        }

        var (json, path) = JsonObjectIO.LoadObject(reader, $"a {objectType.Name}");
        Type target = objectType;
        if (json.TryGetValue(discriminator, out JToken? token) && token.Type == JTokenType.String
            && Subtypes(objectType).TryGetValue((string)token!, out Type? subtype) && objectType.IsAssignableFrom(subtype))
        {
            target = subtype;
            json.Remove(discriminator);
        }

        object instance = Activator.CreateInstance(target)
            ?? throw new JsonSerializationException($"Could not create {target.Name}.");
        using JsonReader inner = JsonObjectIO.ReaderAt(json, path);
        serializer.Populate(inner, instance);
        return instance;
    }

    internal static Dictionary<string, Type> Subtypes(Type type) =>
        SubtypesByBase.GetOrAdd(type, t =>
        {
            var map = new Dictionary<string, Type>(StringComparer.Ordinal);
            for (Type? current = t; current is not null && current != typeof(object); current = current.BaseType)
            {
                foreach (var attribute in current.GetCustomAttributes<JsonInheritanceAttribute>(inherit: false))
                {
                    map.TryAdd(attribute.Key, attribute.Type);
                }
            }

            return map;
        });
}
