// Adds: the one serializer settings instance every part of the kit shares (the generated client,
// the server's formatters and stream writer, the streaming reader, error bodies), so the client and
// the server read and write the same wire. Newtonsoft's metadata keys ($type, $id, $ref) are plain
// data here (JSON Schemas use them), and a property that is required but nullable is always
// written, null included.

using System;
using System.Globalization;
using System.IO;
using System.Linq.Expressions;
using System.Reflection;
using Newtonsoft.Json;
using Newtonsoft.Json.Serialization;

namespace OpenPipe;

/// <summary>The JSON settings of the OpenPipe wire format.</summary>
public static class OpenPipeJson
{
    // Declared first: static initializers run in order, and the settings below use it.
    private static readonly OpenPipeContractResolver SharedResolver = new();

    /// <summary>The settings the client and server use; do not modify.</summary>
    public static JsonSerializerSettings Settings { get; } = Configure(new JsonSerializerSettings());

    /// <summary>A serializer over <see cref="Settings"/>, for reading and writing JSON trees (thread-safe once created).</summary>
    internal static JsonSerializer Serializer { get; } = JsonSerializer.Create(Settings);

    /// <summary>Applies the wire format's settings to <paramref name="settings"/>.</summary>
    /// <param name="settings">The settings to change.</param>
    /// <returns>The same settings.</returns>
    public static JsonSerializerSettings Configure(JsonSerializerSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.NullValueHandling = NullValueHandling.Ignore;
        settings.DateParseHandling = DateParseHandling.None;
        settings.FloatParseHandling = FloatParseHandling.Double;
        settings.MissingMemberHandling = MissingMemberHandling.Ignore;
        settings.MetadataPropertyHandling = MetadataPropertyHandling.Ignore;
        settings.TypeNameHandling = TypeNameHandling.None;
        settings.PreserveReferencesHandling = PreserveReferencesHandling.None;
        settings.Formatting = Formatting.None;
        settings.Culture = CultureInfo.InvariantCulture;
        settings.MaxDepth = 128;
        settings.ContractResolver = settings.ContractResolver switch
        {
            OpenPipeContractResolver mine => mine,
            DefaultContractResolver other => new OpenPipeContractResolver { NamingStrategy = other.NamingStrategy },
            null => SharedResolver,
            var custom => custom,
        };
        if (!settings.Converters.Contains(WholeNumberConverter.Instance))
        {
            settings.Converters.Add(WholeNumberConverter.Instance);
        }

        if (!settings.Converters.Contains(NumberListConverter.Instance))
        {
            settings.Converters.Add(NumberListConverter.Instance);
        }

        return settings;
    }

    /// <summary>Whether <paramref name="serializer"/> reads and writes with the wire settings' contracts, which the fast reader and writer follow.</summary>
    /// <param name="serializer">A serializer.</param>
    /// <returns>Whether it shares the wire settings' contract resolver.</returns>
    internal static bool FollowsWireContracts(JsonSerializer serializer) =>
        ReferenceEquals(serializer.ContractResolver, Serializer.ContractResolver);

    /// <summary>Char buffers for Newtonsoft readers and writers, from the shared array pool.</summary>
    public static IArrayPool<char> CharPool { get; } = new SharedCharPool();

    /// <summary>A JSON reader over <paramref name="text"/> that rents its buffer from <see cref="CharPool"/>.</summary>
    /// <param name="text">The JSON text.</param>
    /// <returns>The reader; dispose it to return the buffer.</returns>
    public static JsonTextReader CreateReader(TextReader text) => new(text) { ArrayPool = CharPool, CloseInput = true };

    /// <summary>
    /// Serializes with <see cref="Settings"/>: the string <c>JsonConvert.SerializeObject</c> makes
    /// with them, written by the fast writer (and decoded from its UTF-8) when the value has the
    /// wire's usual shape and its text has no unpaired surrogate, by Newtonsoft otherwise.
    /// </summary>
    /// <param name="value">The value.</param>
    /// <returns>Compact JSON.</returns>
    public static string Serialize(object? value)
    {
        using (var bytes = JsonBytes.Rent(lossless: true))
        {
            if (WireJson.TryWrite(bytes, value))
            {
                return System.Text.Encoding.UTF8.GetString(bytes.Written);
            }
        }

        return JsonConvert.SerializeObject(value, Settings);
    }

    /// <summary>
    /// Serializes with <see cref="Settings"/> to UTF-8, as the client writes request bodies: the
    /// bytes are those of <see cref="Serialize(object?)"/> encoded as UTF-8, written in one pass over the
    /// value when it has the wire's usual shape, by Newtonsoft otherwise.
    /// </summary>
    /// <param name="value">The value.</param>
    /// <returns>Compact JSON as UTF-8, without a byte order mark.</returns>
    public static byte[] SerializeToUtf8Bytes(object? value)
    {
        using (var bytes = JsonBytes.Rent())
        {
            if (WireJson.TryWrite(bytes, value))
            {
                return bytes.Written.ToArray();
            }
        }

        return System.Text.Encoding.UTF8.GetBytes(JsonConvert.SerializeObject(value, Settings));
    }

    /// <summary>Deserializes with <see cref="Settings"/>.</summary>
    /// <typeparam name="T">The type to read.</typeparam>
    /// <param name="json">The JSON.</param>
    /// <returns>The value.</returns>
    public static T? Deserialize<T>(string json) => JsonConvert.DeserializeObject<T>(json, Settings);

    /// <summary>
    /// Deserializes UTF-8 JSON with <see cref="Settings"/>, as the client reads response bodies and
    /// stream events: one System.Text.Json pass over the bytes for the common shape, Newtonsoft
    /// for anything else, with the same result either way and Newtonsoft's errors.
    /// </summary>
    /// <typeparam name="T">The type to read.</typeparam>
    /// <param name="utf8">The whole JSON document as UTF-8 (a leading byte order mark is skipped).</param>
    /// <returns>The value; null for a JSON <c>null</c>.</returns>
    /// <exception cref="JsonException">The JSON is malformed or is not a <typeparamref name="T"/>.</exception>
    public static T? Deserialize<T>(ReadOnlySpan<byte> utf8) => Deserialize<T>(utf8, Serializer);

    /// <summary>
    /// Deserializes UTF-8 JSON with <paramref name="serializer"/>: when it shares the wire settings'
    /// contracts (one made from <see cref="Settings"/>, with converters of its own added if need be)
    /// the common shape is read in one System.Text.Json pass first; anything else is read by the
    /// serializer, with its results and errors.
    /// </summary>
    /// <typeparam name="T">The type to read.</typeparam>
    /// <param name="utf8">The whole JSON document as UTF-8 (a leading byte order mark is skipped).</param>
    /// <param name="serializer">The serializer that reads what the fast path does not.</param>
    /// <returns>The value; null for a JSON <c>null</c>.</returns>
    /// <exception cref="JsonException">The JSON is malformed or is not a <typeparamref name="T"/>.</exception>
    public static T? Deserialize<T>(ReadOnlySpan<byte> utf8, JsonSerializer serializer)
    {
        ArgumentNullException.ThrowIfNull(serializer);
        if (utf8.StartsWith("\uFEFF"u8))
        {
            utf8 = utf8[3..];
        }

        if (FollowsWireContracts(serializer) && WireJson.TryRead(utf8, out T? value))
        {
            return value;
        }

        // Outside the generated readers' shape (rare): Newtonsoft reads the decoded text.
        using var reader = CreateReader(new StringReader(System.Text.Encoding.UTF8.GetString(utf8)));
        return serializer.Deserialize<T>(reader);
    }

    /// <summary>
    /// Reads a <typeparamref name="T"/> from UTF-8 JSON in one System.Text.Json pass when the input has
    /// the wire's common shape and is valid for it; false otherwise, and then <see cref="Deserialize{T}(ReadOnlySpan{byte})"/>
    /// (or a serializer of your own) reads it with Newtonsoft's results and errors. What it reads is
    /// what those read.
    /// </summary>
    /// <typeparam name="T">A wire type.</typeparam>
    /// <param name="utf8">The whole JSON document as UTF-8, without a byte order mark.</param>
    /// <param name="value">The value read.</param>
    /// <returns>Whether the value was read.</returns>
    public static bool TryRead<T>(ReadOnlySpan<byte> utf8, [System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out T value) =>
        WireJson.TryRead(utf8, out value);

    /// <summary>The Content-Type of every JSON body the kit writes.</summary>
    public const string ContentType = "application/json; charset=utf-8";

    /// <summary>
    /// Writes <paramref name="value"/>'s JSON into <paramref name="destination"/>: exactly the UTF-8 of
    /// <see cref="Serialize(object?)"/>, in one pass over the value when it has the wire's usual shape.
    /// </summary>
    /// <param name="destination">Where the UTF-8 goes.</param>
    /// <param name="value">The value.</param>
    public static void Serialize(System.Buffers.IBufferWriter<byte> destination, object? value)
    {
        ArgumentNullException.ThrowIfNull(destination);
        using (var fast = JsonBytes.Rent())
        {
            if (WireJson.TryWrite(fast, value))
            {
                ReadOnlySpan<byte> written = fast.Written;
                written.CopyTo(destination.GetSpan(written.Length));
                destination.Advance(written.Length);
                return;
            }
        }

        // Outside the generated writers' shape (rare): Newtonsoft writes the text, encoded once.
        System.Text.EncodingExtensions.GetBytes(System.Text.Encoding.UTF8, JsonConvert.SerializeObject(value, Settings).AsSpan(), destination);
    }

    /// <summary>
    /// The spec's numbers are JSON numbers (C# double); whole numbers are written without a
    /// fraction (<c>"n": 2</c>, not <c>2.0</c>), as other clients send them.
    /// </summary>
    internal sealed class WholeNumberConverter : JsonConverter
    {
        public static readonly WholeNumberConverter Instance = new();

        private const double MaxExact = 9007199254740992d; // 2^53

        public override bool CanRead => false;

        public override bool CanConvert(Type objectType) => objectType == typeof(double) || objectType == typeof(double?);

        public override object? ReadJson(JsonReader reader, Type objectType, object? existingValue, JsonSerializer serializer) =>
            throw new NotSupportedException();

        public override void WriteJson(JsonWriter writer, object? value, JsonSerializer serializer)
        {
            if (value is double d && Math.Floor(d) == d && Math.Abs(d) <= MaxExact && !(d == 0 && double.IsNegative(d)))
            {
                writer.WriteValue((long)d);
            }
            else
            {
                writer.WriteValue((double?)value);
            }
        }
    }

    private sealed class SharedCharPool : IArrayPool<char>
    {
        public char[] Rent(int minimumLength) => System.Buffers.ArrayPool<char>.Shared.Rent(minimumLength);

        public void Return(char[]? array)
        {
            if (array is not null)
            {
                System.Buffers.ArrayPool<char>.Shared.Return(array);
            }
        }
    }

    /// <summary>
    /// Reads extension data without creating it: the generated <c>AdditionalProperties</c> getter
    /// makes an empty dictionary on first access, which writing would otherwise do for every object.
    /// </summary>
    private sealed class OpenPipeContractResolver : DefaultContractResolver
    {
        /// <summary>A property that is required but nullable (<c>content</c> of a function message) is written even when null.</summary>
        protected override Newtonsoft.Json.Serialization.JsonProperty CreateProperty(MemberInfo member, MemberSerialization memberSerialization)
        {
            var property = base.CreateProperty(member, memberSerialization);
            if (property.Required == Required.AllowNull)
            {
                property.NullValueHandling = NullValueHandling.Include;
            }

            return property;
        }

        protected override JsonObjectContract CreateObjectContract(Type objectType)
        {
            var contract = base.CreateObjectContract(objectType);
            if (contract.ExtensionDataGetter is { } getter && BackingField(objectType) is { } field)
            {
                var read = CompileFieldReader(field);
                contract.ExtensionDataGetter = o => read(o) is null ? null : getter(o);
            }

            return contract;
        }

        private static FieldInfo? BackingField(Type type)
        {
            for (Type? t = type; t is not null; t = t.BaseType)
            {
                if (t.GetField("_additionalProperties", BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.DeclaredOnly) is { } field)
                {
                    return field;
                }
            }

            return null;
        }

        private static Func<object, object?> CompileFieldReader(FieldInfo field)
        {
            var target = Expression.Parameter(typeof(object));
            var body = Expression.Convert(Expression.Field(Expression.Convert(target, field.DeclaringType!), field), typeof(object));
            return Expression.Lambda<Func<object, object?>>(body, target).Compile();
        }
    }
}
