// Adds: a fast path for reading the wire DTOs from UTF-8 JSON already in memory (a response body,
// a stream event, a request body). It walks the bytes once with System.Text.Json's Utf8JsonReader
// and fills the same NSwag DTOs from their Newtonsoft contracts (names, required members, null
// handling, extension data, the kit's converters), so what it reads is what Newtonsoft reads.
// It covers the common shape only. On a key that is escaped, differently cased or repeated, a
// value whose JSON type is not the member's (a string for a number, a float for an integer), a
// number outside long or double, a null array item, a converter it does not know, a missing
// required member, JSON nested more than 64 deep, or anything malformed, it gives up. The caller then
// reads the same bytes with Newtonsoft, which accepts or rejects them exactly as without the fast
// path, with its own messages and paths. Giving up costs one exception; inputs of that kind are rare.

using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using System.Text;
using System.Text.Json;
using Newtonsoft.Json.Linq;
using Newtonsoft.Json.Serialization;
using NJ = Newtonsoft.Json;

namespace OpenPipe.Client;

/// <summary>Reads wire DTOs from UTF-8 bytes with <see cref="Utf8JsonReader"/>, or says it cannot.</summary>
internal static partial class Utf8DtoReader
{
    /// <summary>Deeper JSON is left to Newtonsoft (whose limit, 128, is the wire settings').</summary>
    private const int MaxDepth = 64;

    private static readonly JsonReaderOptions Options = new() { MaxDepth = MaxDepth };

    /// <summary>Value readers by declared type (a type with a converter gets the converter's reader).</summary>
    private static readonly ConcurrentDictionary<Type, ValueReader> Readers = new();

    /// <summary>Object readers by type, from the type's contract alone (what a converter populates).</summary>
    private static readonly ConcurrentDictionary<Type, ObjectReader> Objects = new();

    /// <summary>
    /// Reads a <typeparamref name="T"/> from <paramref name="utf8"/>, a whole JSON document, the
    /// way <see cref="OpenPipeJson.Serializer"/> would; false when the input is outside the fast
    /// path (read it with Newtonsoft then).
    /// </summary>
    /// <typeparam name="T">A wire DTO.</typeparam>
    /// <param name="utf8">The JSON, UTF-8, without a byte order mark.</param>
    /// <param name="value">The value read.</param>
    /// <returns>Whether the value was read.</returns>
    public static bool TryRead<T>(ReadOnlySpan<byte> utf8, [MaybeNullWhen(false)] out T value)
    {
        value = default;
        try
        {
            if (For(typeof(T)) is not ValueReader<T> typed)
            {
                return false;
            }

            var reader = new Utf8JsonReader(utf8, Options);
            if (!reader.Read() || reader.TokenType == JsonTokenType.Null)
            {
                return false;
            }

            T result = typed.Read(ref reader);
            if (reader.Read() || result is null)
            {
                return false;
            }

            value = result;
            return true;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // GiveUp, a JsonException for malformed input, a failed transcoding of invalid UTF-8
            // (InvalidOperationException), a duplicate key in a JObject (ArgumentException), a
            // type it could not make a plan for: all mean "not on the fast path", never a different answer.
            return false;
        }
    }

    /// <summary>Thrown to leave the fast path; never escapes <see cref="TryRead{T}"/>.</summary>
    private sealed class GiveUp : Exception
    {
        public static readonly GiveUp Instance = new();
    }

    [DoesNotReturn]
    private static void Quit() => throw GiveUp.Instance;

    private static ValueReader For(Type type) => Readers.TryGetValue(type, out var reader) ? reader : Readers.GetOrAdd(type, Create);

    private static ObjectReader ObjectFor(Type type) => Objects.TryGetValue(type, out var reader) ? reader : Objects.GetOrAdd(type, CreateObject);

    private static NJ.JsonSerializer Serializer => OpenPipeJson.Serializer;

    private static ValueReader Create(Type type)
    {
        NJ.JsonConverter? converter = OpenPipeJson.ConverterFor(type, out var contract);
        if (converter is { CanRead: true })
        {
            return ForConverter(type, converter);
        }

        if (Primitive(type) is { } primitive)
        {
            return primitive;
        }

        if (type == typeof(object))
        {
            return AnyReader.Instance;
        }

        switch (contract)
        {
            case JsonObjectContract when type.IsClass && !type.IsAbstract:
                return Make(typeof(ObjectValueReader<>), [type], ObjectFor(type));
            case JsonArrayContract { IsMultidimensionalArray: false, CollectionItemType: { } item, ItemConverter: null }
                when type.IsAssignableFrom(typeof(List<>).MakeGenericType(item)):
                return Make(typeof(ListReader<,>), [type, item]);
            case JsonDictionaryContract { DictionaryKeyType: { } key, DictionaryValueType: { } value, ItemConverter: null }
                when key == typeof(string) && type.IsAssignableFrom(typeof(Dictionary<,>).MakeGenericType(key, value)):
                return Make(typeof(DictionaryReader<,>), [type, value]);
            default:
                return Make(typeof(Unsupported<>), [type]);
        }
    }

    private static ValueReader ForConverter(Type type, NJ.JsonConverter converter)
    {
        Type? underlying = Nullable.GetUnderlyingType(type);
        Type converterType = converter.GetType();
        if (converterType.IsGenericType && converterType.GetGenericTypeDefinition() == typeof(ExtensibleValueConverter<>))
        {
            Type value = converterType.GetGenericArguments()[0];
            var plain = Make(typeof(ExtensibleReader<>), [value]);
            return type == value ? plain
                : underlying == value ? Make(typeof(NullableReader<>), [value], plain)
                : Make(typeof(Unsupported<>), [type]);
        }

        if (converter is JsonInheritanceConverter inheritance && type.IsClass)
        {
            return Make(typeof(UnionReader<>), [type], inheritance.DiscriminatorName);
        }

        if (converterType.IsGenericType && converterType.GetGenericTypeDefinition() == typeof(OpenToolConverter<>) && type == converterType.GetGenericArguments()[0])
        {
            return Make(typeof(OpenToolReader<>), [type]);
        }

        if (converterType.IsGenericType && converterType.GetGenericTypeDefinition() == typeof(ModeOrObjectConverter<,>) && type == converterType.GetGenericArguments()[0])
        {
            return Make(typeof(ModeOrObjectReader<,>), converterType.GetGenericArguments());
        }

        if (converter is ChatMessageContentConverter && type == typeof(ChatMessageContent))
        {
            return new ContentReader();
        }

        if (converter is StopSequencesConverter && type == typeof(StopSequences))
        {
            return new StopReader();
        }

        if (converter is NumberListConverter && type.IsAssignableFrom(typeof(List<double>)))
        {
            return Make(typeof(NumberListReader<>), [type]);
        }

        return Make(typeof(Unsupported<>), [type]);
    }

    private static ValueReader? Primitive(Type type) =>
        type == typeof(string) ? new StringReader()
        : type == typeof(bool) ? new BooleanReader()
        : type == typeof(double) ? new DoubleReader()
        : type == typeof(int) ? new Int32Reader()
        : type == typeof(long) ? new Int64Reader()
        : Nullable.GetUnderlyingType(type) is { } underlying && Primitive(underlying) is { } plain
            ? Make(typeof(NullableReader<>), [underlying], plain)
        : null;

    private static ValueReader Make(Type definition, Type[] arguments, params object[] parameters) =>
        (ValueReader)Activator.CreateInstance(definition.MakeGenericType(arguments), parameters)!;

    private static ObjectReader CreateObject(Type type) => new(type, (JsonObjectContract)Serializer.ContractResolver.ResolveContract(type));

    /// <summary>Reads one value; the reader starts on its first token and ends on its last.</summary>
    private abstract class ValueReader
    {
    }

    private abstract class ValueReader<T> : ValueReader
    {
        public abstract T Read(ref Utf8JsonReader reader);
    }

    /// <summary>A type this reader does not know: reading one gives up.</summary>
    private sealed class Unsupported<T> : ValueReader<T>
    {
        public override T Read(ref Utf8JsonReader reader) => throw GiveUp.Instance;
    }

    private sealed class StringReader : ValueReader<string>
    {
        public override string Read(ref Utf8JsonReader reader) =>
            reader.TokenType == JsonTokenType.String ? reader.GetString()! : throw GiveUp.Instance;
    }

    private sealed class BooleanReader : ValueReader<bool>
    {
        public override bool Read(ref Utf8JsonReader reader) => reader.TokenType switch
        {
            JsonTokenType.True => true,
            JsonTokenType.False => false,
            _ => throw GiveUp.Instance,
        };
    }

    private sealed class DoubleReader : ValueReader<double>
    {
        public override double Read(ref Utf8JsonReader reader) => ReadDouble(ref reader);
    }

    private sealed class Int32Reader : ValueReader<int>
    {
        public override int Read(ref Utf8JsonReader reader) =>
            reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out int value) ? value : throw GiveUp.Instance;
    }

    private sealed class Int64Reader : ValueReader<long>
    {
        public override long Read(ref Utf8JsonReader reader) =>
            reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out long value) ? value : throw GiveUp.Instance;
    }

    /// <summary>A nullable value; a null token never reaches it (members skip or set null themselves, array items give up).</summary>
    private sealed class NullableReader<T>(ValueReader plain) : ValueReader<T?>
        where T : struct
    {
        private readonly ValueReader<T> inner = (ValueReader<T>)plain;

        public override T? Read(ref Utf8JsonReader reader) => inner.Read(ref reader);
    }

    /// <summary>
    /// A JSON number as Newtonsoft reads it into a double: a float is parsed, an integer within
    /// long converted; an integer beyond long (Newtonsoft's BigInteger) or a float beyond double gives up.
    /// </summary>
    private static double ReadDouble(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.Number)
        {
            Quit();
        }

        if (IsInteger(ref reader))
        {
            return reader.TryGetInt64(out long whole) ? whole : throw GiveUp.Instance;
        }

        return reader.TryGetDouble(out double value) ? value : throw GiveUp.Instance;
    }

    /// <summary>Whether a number token is an integer to Newtonsoft: no fraction and no exponent.</summary>
    private static bool IsInteger(ref Utf8JsonReader reader)
    {
        if (reader.HasValueSequence)
        {
            Quit();
        }

        return reader.ValueSpan.IndexOfAny(".eE"u8) < 0;
    }
}
