// Adds: a fast path for writing the wire DTOs as UTF-8 JSON, the reader's counterpart: values
// written straight to bytes (JsonBytes) from the same Newtonsoft contracts, in the same member
// order with the same null handling, extension data after the members, and the kit's converters
// (whole-number doubles, open values, unions with their discriminator first, message content,
// mode-or-object options, stop sequences), so the bytes are the ones Newtonsoft writes. Anything
// else (a ShouldSerialize, a converter it does not know, a value in AdditionalProperties of a type
// other than a string, number, boolean, list, dictionary, JSON token or wire DTO, a NaN) makes it
// give up; the caller rewinds and lets Newtonsoft write the value.

using System;
using System.Collections;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Reflection;
using System.Text;
using Newtonsoft.Json.Linq;
using Newtonsoft.Json.Serialization;
using NJ = Newtonsoft.Json;

namespace OpenPipe;

/// <summary>Writes wire DTOs to UTF-8 JSON as Newtonsoft writes them with the wire settings, or says it cannot.</summary>
internal static class Utf8DtoWriter
{
    /// <summary>Deeper values (or a graph that refers to itself) are left to Newtonsoft, which reports a loop.</summary>
    private const int MaxDepth = 64;

    private static readonly ConcurrentDictionary<Type, TypeWriter> Writers = new();

    [ThreadStatic]
    private static int depth;

    /// <summary>
    /// Writes <paramref name="value"/> to <paramref name="output"/> as
    /// <see cref="OpenPipeJson.Serializer"/> would; false, with the output as it was, when the value
    /// is outside the fast path (write it with Newtonsoft then).
    /// </summary>
    /// <param name="output">Where the JSON goes.</param>
    /// <param name="value">The value.</param>
    /// <returns>Whether the value was written.</returns>
    public static bool TryWrite(JsonBytes output, object? value)
    {
        var mark = output.Mark();
        depth = 0;
        try
        {
            Write(output, value);
            return true;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            output.Rewind(mark);
            return false;
        }
    }

    private static void Write(JsonBytes output, object? value)
    {
        if (value is null)
        {
            output.Null();
            return;
        }

        For(value.GetType()).Write(output, value);
    }

    private static TypeWriter For(Type type) => Writers.TryGetValue(type, out var writer) ? writer : Writers.GetOrAdd(type, Create);

    private static TypeWriter Create(Type type)
    {
        NJ.JsonConverter? converter = OpenPipeJson.ConverterFor(type, out var contract);
        if (converter is { CanWrite: true })
        {
            return ForConverter(type, converter, contract);
        }

        if (type == typeof(string))
        {
            return new Primitive((o, v) => o.String((string)v));
        }

        if (type == typeof(bool))
        {
            return new Primitive((o, v) => o.Boolean((bool)v));
        }

        if (type == typeof(long))
        {
            return new Primitive((o, v) => o.Integer((long)v));
        }

        if (type == typeof(int))
        {
            return new Primitive((o, v) => o.Integer((int)v));
        }

        if (typeof(JToken).IsAssignableFrom(type))
        {
            return new Primitive((o, v) => WriteToken(o, (JToken)v));
        }

        return contract switch
        {
            JsonObjectContract objects when type != typeof(object) => new ObjectWriter(type, objects, discriminator: null),
            JsonArrayContract { IsMultidimensionalArray: false, ItemConverter: null } => new Primitive(WriteItems),
            JsonDictionaryContract { DictionaryKeyType: { } key, DictionaryValueType: { } value, ItemConverter: null } when key == typeof(string) =>
                (TypeWriter)Activator.CreateInstance(typeof(DictionaryWriter<>).MakeGenericType(value))!,
            _ => Unsupported.Instance,
        };
    }

    private static TypeWriter ForConverter(Type type, NJ.JsonConverter converter, JsonContract contract)
    {
        Type converterType = converter.GetType();
        Type? generic = converterType.IsGenericType ? converterType.GetGenericTypeDefinition() : null;
        if (type == typeof(double) && converter is OpenPipeJson.WholeNumberConverter)
        {
            return new Primitive((o, v) => o.Number((double)v));
        }

        if (generic == typeof(ExtensibleValueConverter<>) && type == converterType.GetGenericArguments()[0])
        {
            return (TypeWriter)Activator.CreateInstance(typeof(OpenValueWriter<>).MakeGenericType(type))!;
        }

        if (converter is JsonInheritanceConverter inheritance && contract is JsonObjectContract union)
        {
            return new ObjectWriter(type, union, JsonInheritanceConverter.GetDiscriminatorValue(type) is { } value ? (inheritance.DiscriminatorName, value) : null);
        }

        if (generic == typeof(OpenToolConverter<>) && contract is JsonObjectContract tool)
        {
            return new ObjectWriter(type, tool, discriminator: null);
        }

        if (converter is ChatMessageContentConverter)
        {
            return new Primitive((o, v) =>
            {
                var content = (ChatMessageContent)v;
                if (content.Text is { } text)
                {
                    o.String(text);
                }
                else
                {
                    Write(o, content.Parts);
                }
            });
        }

        if (generic == typeof(ModeOrObjectConverter<,>) && type == converterType.GetGenericArguments()[0])
        {
            return (TypeWriter)Activator.CreateInstance(typeof(ModeOrObjectWriter<,>).MakeGenericType(converterType.GetGenericArguments()))!;
        }

        if (converter is StopSequencesConverter)
        {
            return new Primitive((o, v) =>
            {
                var stop = (StopSequences)v;
                if (stop.IsSingle)
                {
                    o.String(stop.Values[0]);
                }
                else
                {
                    Write(o, stop.Values);
                }
            });
        }

        return Unsupported.Instance;
    }

    /// <summary>An open value (ExtensibleValueConverter): its wire string, or null for the default instance.</summary>
    private sealed class OpenValueWriter<T> : TypeWriter
        where T : struct, IExtensibleValue<T>
    {
        public override void Write(JsonBytes output, object value)
        {
            if (((T)value).Value is { } text)
            {
                output.String(text);
            }
            else
            {
                output.Null();
            }
        }
    }

    /// <summary>A mode-or-object union (ModeOrObjectConverter): the mode string, else the object, else null.</summary>
    private sealed class ModeOrObjectWriter<TSelf, TObject> : TypeWriter
        where TSelf : class, IModeOrObject<TSelf, TObject>
        where TObject : class
    {
        public override void Write(JsonBytes output, object value)
        {
            var union = (TSelf)value;
            if (union.Mode is { } mode)
            {
                output.String(mode);
            }
            else
            {
                Utf8DtoWriter.Write(output, union.Object);
            }
        }
    }

    private static void Enter()
    {
        if (++depth > MaxDepth)
        {
            throw new NotSupportedException("Deep or self-referring values are left to Newtonsoft.");
        }
    }

    private static void WriteItems(JsonBytes output, object value)
    {
        Enter();
        output.StartArray();
        if (value is List<double> numbers)
        {
            foreach (double number in numbers)
            {
                output.Number(number);
            }
        }
        else
        {
            foreach (object? item in (IEnumerable)value)
            {
                Write(output, item);
            }
        }

        output.EndArray();
        depth--;
    }

    /// <summary>A JSON token as JToken.WriteTo writes it with the wire settings' converters (a whole double without a fraction).</summary>
    private static void WriteToken(JsonBytes output, JToken token)
    {
        Enter();
        switch (token)
        {
            case JObject json:
                output.StartObject();
                foreach (JProperty property in json.Properties())
                {
                    output.Name(property.Name);
                    WriteToken(output, property.Value);
                }

                output.EndObject();
                break;
            case JArray array:
                output.StartArray();
                foreach (JToken item in array)
                {
                    WriteToken(output, item);
                }

                output.EndArray();
                break;
            case JValue { Type: JTokenType.Null }:
                output.Null();
                break;
            case JValue { Type: JTokenType.String, Value: string text } when token is not JRaw:
                output.String(text);
                break;
            case JValue { Type: JTokenType.Integer, Value: long whole }:
                output.Integer(whole);
                break;
            case JValue { Type: JTokenType.Integer, Value: int small }:
                output.Integer(small);
                break;
            case JValue { Type: JTokenType.Float, Value: double number }:
                output.Number(number);
                break;
            case JValue { Type: JTokenType.Boolean, Value: bool flag }:
                output.Boolean(flag);
                break;
            default:
                throw new NotSupportedException($"A {token.Type} token is left to Newtonsoft.");
        }

        depth--;
    }

    /// <summary>How one runtime type is written.</summary>
    private abstract class TypeWriter
    {
        public abstract void Write(JsonBytes output, object value);
    }

    private sealed class Unsupported : TypeWriter
    {
        public static readonly Unsupported Instance = new();

        public override void Write(JsonBytes output, object value) =>
            throw new NotSupportedException($"{value.GetType().Name} is left to Newtonsoft.");
    }

    private sealed class Primitive(Action<JsonBytes, object> write) : TypeWriter
    {
        public override void Write(JsonBytes output, object value) => write(output, value);
    }

    private sealed class DictionaryWriter<TValue> : TypeWriter
    {
        public override void Write(JsonBytes output, object value)
        {
            Enter();
            output.StartObject();
            foreach (var (key, item) in (IEnumerable<KeyValuePair<string, TValue>>)value)
            {
                output.Name(key);
                Utf8DtoWriter.Write(output, item);
            }

            output.EndObject();
            depth--;
        }
    }

    /// <summary>
    /// An object from its contract: the discriminator first when it is a union member
    /// (JsonObjectIO.WriteObject), each readable member not null-skipped, then the extension data
    /// (the discriminator's own key left out once it was written).
    /// </summary>
    private sealed class ObjectWriter : TypeWriter
    {
        private readonly Member[]? members;
        private readonly Func<object, IEnumerable<KeyValuePair<object, object>>?>? extension;
        private readonly byte[]? discriminatorName;
        private readonly string? discriminatorKey;
        private readonly string? discriminatorValue;

        public ObjectWriter(Type type, JsonObjectContract contract, (string Name, string Value)? discriminator)
        {
            bool supported = contract.OnSerializingCallbacks.Count == 0 && contract.OnSerializedCallbacks.Count == 0
                && contract.ItemConverter is null && contract.ItemNullValueHandling is null && contract.ItemTypeNameHandling is null
                && contract.ItemIsReference is null && contract.IsReference is null;
            var members = new List<Member>();
            foreach (var property in contract.Properties)
            {
                if (property.Ignored)
                {
                    continue;
                }

                PropertyInfo? info = property.DeclaringType?.GetProperty(property.UnderlyingName!, BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly);
                supported &= property.Readable && info is { GetMethod.IsPublic: true } && info.PropertyType == property.PropertyType
                    && property.ShouldSerialize is null && property.GetIsSpecified is null && property.Converter is null && property.ItemConverter is null
                    && property.IsReference is null && property.TypeNameHandling is null && property.ItemIsReference is null
                    && (property.DefaultValueHandling ?? NJ.DefaultValueHandling.Include) == NJ.DefaultValueHandling.Include;
                if (supported)
                {
                    members.Add((Member)Activator.CreateInstance(typeof(Member<,>).MakeGenericType(info!.DeclaringType!, info.PropertyType), property, info)!);
                }
            }

            if (supported)
            {
                this.members = [.. members];
                extension = contract.ExtensionDataGetter is { } getter ? o => getter(o) : null;
                if (discriminator is { } d)
                {
                    discriminatorKey = d.Name;
                    discriminatorName = NameBytes(d.Name);
                    discriminatorValue = d.Value;
                }
            }
        }

        public override void Write(JsonBytes output, object value)
        {
            if (members is null)
            {
                throw new NotSupportedException($"{value.GetType().Name} is left to Newtonsoft.");
            }

            Enter();
            output.StartObject();
            if (discriminatorName is not null)
            {
                output.Name(discriminatorName);
                output.String(discriminatorValue!);
            }

            foreach (Member member in members)
            {
                member.Write(output, value);
            }

            if (extension?.Invoke(value) is { } pairs)
            {
                foreach (var (key, item) in pairs)
                {
                    string name = key?.ToString() ?? string.Empty;
                    if (discriminatorKey is not null && name == discriminatorKey)
                    {
                        continue;
                    }

                    output.Name(name);
                    Utf8DtoWriter.Write(output, item);
                }
            }

            output.EndObject();
            depth--;
        }
    }

    /// <summary>The UTF-8 JSON of a property name with its quotes and colon, escaped as the writer escapes.</summary>
    private static byte[] NameBytes(string name)
    {
        using var bytes = new JsonBytes(64);
        bytes.Name(name);
        return bytes.Written.ToArray();
    }

    private abstract class Member
    {
        public abstract void Write(JsonBytes output, object owner);
    }

    private sealed class Member<TOwner, TValue> : Member
        where TOwner : class
    {
        private readonly Func<TOwner, TValue> get;
        private readonly byte[] name;
        private readonly bool skipNull;

        public Member(JsonProperty property, PropertyInfo info)
        {
            get = info.GetMethod!.CreateDelegate<Func<TOwner, TValue>>();
            name = NameBytes(property.PropertyName!);
            skipNull = (property.NullValueHandling ?? OpenPipeJson.Settings.NullValueHandling) == NJ.NullValueHandling.Ignore;
        }

        public override void Write(JsonBytes output, object owner)
        {
            TValue value = get((TOwner)owner);
            if (value is null)
            {
                if (!skipNull)
                {
                    output.Name(name);
                    output.Null();
                }

                return;
            }

            output.Name(name);
            switch (value)
            {
                case string text:
                    output.String(text);
                    break;
                case double number:
                    output.Number(number);
                    break;
                case long whole:
                    output.Integer(whole);
                    break;
                case int small:
                    output.Integer(small);
                    break;
                case bool flag:
                    output.Boolean(flag);
                    break;
                default:
                    Utf8DtoWriter.Write(output, value);
                    break;
            }
        }
    }
}
