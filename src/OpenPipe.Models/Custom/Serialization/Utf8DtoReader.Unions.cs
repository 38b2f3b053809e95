// Adds: the fast reader's versions of the kit's converters, each reading what its Newtonsoft
// converter reads to the same value and giving up on the rest: open values (ExtensibleValueConverter),
// unions by discriminator (JsonInheritanceConverter: the discriminator is found first by looking
// ahead on a copy of the reader, then the object is read once as its subclass), open tools
// (OpenToolConverter: by contract for `type` function or absent, openly for another kind), message content, mode-or-object options, stop
// sequences and number lists.

using System;
using System.Collections.Generic;
using System.Text;
using System.Text.Json;

namespace OpenPipe;

internal static partial class Utf8DtoReader
{
    /// <summary>The string of the member <paramref name="name"/> of the object the reader is on, without moving it; null when absent or not a string.</summary>
    private static string? LookAhead(Utf8JsonReader copy, ReadOnlySpan<byte> name, out bool present)
    {
        present = false;
        while (copy.Read() && copy.TokenType == JsonTokenType.PropertyName)
        {
            if (copy.ValueIsEscaped)
            {
                Quit();
            }

            bool match = copy.ValueTextEquals(name);
            copy.Read();
            if (match)
            {
                // A repeated discriminator gives up when the object is read.
                present = true;
                return copy.TokenType == JsonTokenType.String ? copy.GetString() : null;
            }

            copy.Skip();
        }

        return null;
    }

    private sealed class ExtensibleReader<T> : ValueReader<T>
        where T : struct, IExtensibleValue<T>
    {
        public override T Read(ref Utf8JsonReader reader) =>
            reader.TokenType == JsonTokenType.String ? T.FromValue(reader.GetString()!) : throw GiveUp.Instance;
    }

    /// <summary>A union by discriminator: a known value reads its subclass (the discriminator left out), any other the class itself, every member kept.</summary>
    private sealed class UnionReader<T> : ValueReader<T>
        where T : class
    {
        private readonly byte[] discriminator;
        private readonly Dictionary<string, ObjectReader> subtypes = new(StringComparer.Ordinal);
        private readonly ObjectReader self = ObjectFor(typeof(T));

        public UnionReader(string discriminatorName)
        {
            discriminator = Encoding.UTF8.GetBytes(discriminatorName);
            foreach (var (value, type) in JsonInheritanceConverter.Subtypes(typeof(T)))
            {
                if (typeof(T).IsAssignableFrom(type))
                {
                    subtypes[value] = ObjectFor(type);
                }
            }
        }

        public override T Read(ref Utf8JsonReader reader)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                Quit();
            }

            if (LookAhead(reader, discriminator, out _) is { } value && subtypes.TryGetValue(value, out var subtype))
            {
                return (T)subtype.Read(ref reader, discriminator);
            }

            return (T)self.Read(ref reader, default);
        }
    }

    /// <summary>A tool or tool call: read by its contract when its <c>type</c> is <c>function</c> or absent, openly (no required members, <c>function</c> null) for another kind.</summary>
    private sealed class OpenToolReader<T> : ValueReader<T>
        where T : class
    {
        private readonly ObjectReader self = ObjectFor(typeof(T));

        public override T Read(ref Utf8JsonReader reader)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                Quit();
            }

            string? type = LookAhead(reader, "type"u8, out bool present);
            return present && type != ToolType.Function.Value
                ? (T)self.Read(ref reader, default, open: true, clear: "function")
                : (T)self.Read(ref reader, default);
        }
    }

    private sealed class ContentReader : ValueReader<ChatMessageContent>
    {
        private readonly ValueReader<ChatMessageContentPart> part = (ValueReader<ChatMessageContentPart>)For(typeof(ChatMessageContentPart));

        public override ChatMessageContent Read(ref Utf8JsonReader reader)
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.String:
                    return new ChatMessageContent(reader.GetString()!);
                case JsonTokenType.StartArray:
                    var parts = new List<ChatMessageContentPart>();
                    while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                    {
                        parts.Add(part.Read(ref reader));
                    }

                    return new ChatMessageContent(parts);
                default:
                    throw GiveUp.Instance;
            }
        }
    }

    private sealed class ModeOrObjectReader<TSelf, TObject> : ValueReader<TSelf>
        where TSelf : class, IModeOrObject<TSelf, TObject>
        where TObject : class
    {
        private readonly ValueReader<TObject> value = (ValueReader<TObject>)For(typeof(TObject));

        public override TSelf Read(ref Utf8JsonReader reader) => reader.TokenType switch
        {
            JsonTokenType.String => TSelf.FromMode(reader.GetString()!),
            JsonTokenType.StartObject => TSelf.FromObject(value.Read(ref reader)),
            _ => throw GiveUp.Instance,
        };
    }

    private sealed class StopReader : ValueReader<StopSequences>
    {
        public override StopSequences Read(ref Utf8JsonReader reader)
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.String:
                    return StopSequences.Single(reader.GetString()!);
                case JsonTokenType.StartArray:
                    var values = new List<string>();
                    while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                    {
                        values.Add(reader.TokenType == JsonTokenType.String ? reader.GetString()! : throw GiveUp.Instance);
                    }

                    return StopSequences.Many(values);
                default:
                    throw GiveUp.Instance;
            }
        }
    }

    /// <summary>An array of numbers into a List of double (NumberListConverter's type); a string item gives up.</summary>
    private sealed class NumberListReader<TList> : ValueReader<TList>
    {
        public override TList Read(ref Utf8JsonReader reader)
        {
            if (reader.TokenType != JsonTokenType.StartArray)
            {
                Quit();
            }

            var list = new List<double>();
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                list.Add(ReadDouble(ref reader));
            }

            return (TList)(object)list;
        }
    }
}
