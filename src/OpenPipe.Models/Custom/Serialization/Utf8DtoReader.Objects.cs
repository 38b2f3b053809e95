// Adds: the fast reader's objects, lists, dictionaries and untyped values. An object is read from
// its Newtonsoft contract: members matched by their exact UTF-8 name, nulls skipped or kept as the
// member's null handling says, unknown members into AdditionalProperties as Newtonsoft stores them
// (a string, long, double or bool, or a JObject/JArray), required members checked at the end.

using System;
using System.Collections.Generic;
using System.Linq.Expressions;
using System.Reflection;
using System.Text;
using System.Text.Json;
using Newtonsoft.Json.Linq;
using Newtonsoft.Json.Serialization;
using JsonProperty = Newtonsoft.Json.Serialization.JsonProperty;
using NJ = Newtonsoft.Json;

namespace OpenPipe;

internal static partial class Utf8DtoReader
{
    /// <summary>Reads objects of one type from its contract; the plan is made on first use, so types may refer to each other.</summary>
    private sealed class ObjectReader(Type type, JsonObjectContract contract)
    {
        private Plan? plan;

        /// <summary>Reads the object the reader is on (StartObject), leaving out the member named <paramref name="skip"/> once.</summary>
        public object Read(ref Utf8JsonReader reader, ReadOnlySpan<byte> skip) => Read(ref reader, skip, open: false);

        /// <summary>
        /// Reads the object the reader is on; <paramref name="open"/> reads it as
        /// JsonObjectIO.PopulateOpen does (a kind this kit does not model): no required checks, a
        /// null is set rather than skipped, and <paramref name="clear"/> is set to null first.
        /// </summary>
        public object Read(ref Utf8JsonReader reader, ReadOnlySpan<byte> skip, bool open, string? clear = null)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                Quit();
            }

            Plan current = plan ??= new Plan(type, contract);
            if (current.Create is not { } create)
            {
                throw GiveUp.Instance;
            }

            object target = create();
            Member[] members = current.Members;
            if (clear is not null)
            {
                members[Find(members, Encoding.UTF8.GetBytes(clear))].Clear(target);
            }

            ulong seen = 0;
            bool skipped = false;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueIsEscaped || reader.HasValueSequence)
                {
                    Quit();
                }

                ReadOnlySpan<byte> name = reader.ValueSpan;
                if (!skip.IsEmpty && name.SequenceEqual(skip))
                {
                    if (skipped)
                    {
                        Quit();
                    }

                    skipped = true;
                    reader.Read();
                    reader.Skip();
                    continue;
                }

                int index = Find(members, name);
                if (index >= 0)
                {
                    ulong bit = 1UL << index;
                    if ((seen & bit) != 0)
                    {
                        Quit();
                    }

                    seen |= bit;
                    reader.Read();
                    members[index].Read(ref reader, target, open);
                    continue;
                }

                string key = reader.GetString()!;
                if (current.IsMemberName(key))
                {
                    // Newtonsoft would match it case-insensitively.
                    Quit();
                }

                reader.Read();
                if (current.Extension is not { } extension)
                {
                    // No extension data: Newtonsoft skips an unknown member (MissingMemberHandling.Ignore).
                    reader.Skip();
                }
                else if (!extension(target).TryAdd(key, ReadAny(ref reader)!))
                {
                    Quit();
                }
            }

            if (open)
            {
                return target;
            }

            if ((seen & current.Required) != current.Required)
            {
                Quit();
            }

            foreach (Member member in current.NotNull)
            {
                if (member.IsNull(target))
                {
                    Quit();
                }
            }

            return target;
        }

        private static int Find(Member[] members, ReadOnlySpan<byte> name)
        {
            for (int i = 0; i < members.Length; i++)
            {
                byte[] candidate = members[i].Utf8Name;
                if (candidate.Length == name.Length && name.SequenceEqual(candidate))
                {
                    return i;
                }
            }

            return -1;
        }
    }

    /// <summary>How to read one type's objects, made from its contract once.</summary>
    private sealed class Plan
    {
        public Plan(Type type, JsonObjectContract contract)
        {
            RequiredMembers.TryGetInstalled(contract, out var installed);
            int callbacks = installed is null ? 0 : 1;
            bool supported = contract.DefaultCreator is not null && !contract.DefaultCreatorNonPublic
                && contract.OverrideCreator is null && contract.CreatorParameters.Count == 0
                && contract.ItemRequired is null or NJ.Required.Default && contract.ItemConverter is null
                && contract.ItemNullValueHandling is null && contract.ItemTypeNameHandling is null
                && contract.OnDeserializingCallbacks.Count == callbacks && contract.OnDeserializedCallbacks.Count == callbacks
                && installed is not { WrappedOthers: true } && contract.Properties.Count <= 64;

            var members = new List<Member>();
            var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            foreach (JsonProperty property in contract.Properties)
            {
                if (property.Ignored)
                {
                    continue;
                }

                // A member Newtonsoft still checks itself (Required.DisallowNull, ...) needs its bookkeeping.
                supported &= property.Required == NJ.Required.Default;
                int index = installed is null ? -1 : Array.IndexOf(installed.Members, property);
                members.Add(Member.Create(property, ownsShouldDeserialize: index >= 0));
                names.Add(property.PropertyName!);
                if (index >= 0)
                {
                    Required |= 1UL << (members.Count - 1);
                }
            }

            Members = [.. members];
            memberNames = names;
            var notNull = new List<Member>();
            for (int i = 0; installed is not null && i < installed.Members.Length; i++)
            {
                if ((installed.NotNull & (1UL << i)) != 0)
                {
                    int index = members.FindIndex(m => ReferenceEquals(m.Property, installed.Members[i]));
                    supported &= index >= 0;
                    if (index >= 0)
                    {
                        notNull.Add(members[index]);
                    }
                }
            }

            NotNull = [.. notNull];
            if (contract.ExtensionDataSetter is not null)
            {
                Extension = ExtensionOf(type);
                supported &= Extension is not null;
            }

            Create = supported ? contract.DefaultCreator : null;
        }

        private readonly HashSet<string> memberNames;

        /// <summary>Creates an object; null when the contract is outside the fast path.</summary>
        public Func<object>? Create { get; }

        public Member[] Members { get; }

        /// <summary>Bit i set: <c>Members[i]</c> must be present.</summary>
        public ulong Required { get; }

        public Member[] NotNull { get; }

        public Func<object, IDictionary<string, object>>? Extension { get; }

        public bool IsMemberName(string name) => memberNames.Contains(name);

        /// <summary>The generated <c>AdditionalProperties</c> getter (it creates the dictionary on first use), as Newtonsoft's extension data setter uses it.</summary>
        private static Func<object, IDictionary<string, object>>? ExtensionOf(Type type)
        {
            foreach (PropertyInfo property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
            {
                if (property.GetCustomAttribute<NJ.JsonExtensionDataAttribute>() is { ReadData: true }
                    && property.PropertyType == typeof(IDictionary<string, object>) && property.GetMethod is { IsPublic: true })
                {
                    var target = Expression.Parameter(typeof(object));
                    var body = Expression.Property(Expression.Convert(target, type), property);
                    return Expression.Lambda<Func<object, IDictionary<string, object>>>(body, target).Compile();
                }
            }

            return null;
        }
    }

    /// <summary>One member of an object: its UTF-8 name, how to read its value and set it.</summary>
    private abstract class Member(JsonProperty property)
    {
        public JsonProperty Property { get; } = property;

        public byte[] Utf8Name { get; } = Encoding.UTF8.GetBytes(property.PropertyName!);

        /// <summary>Reads the value the reader is on into <paramref name="target"/>; <paramref name="setNull"/>: a null is set whatever the null handling.</summary>
        public abstract void Read(ref Utf8JsonReader reader, object target, bool setNull);

        public abstract bool IsNull(object target);

        /// <summary>Sets the member to null (a value type gives up).</summary>
        public abstract void Clear(object target);

        public static Member Create(JsonProperty property, bool ownsShouldDeserialize)
        {
            PropertyInfo? info = property.DeclaringType?.GetProperty(property.UnderlyingName!, BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly);
            bool plain = info is { SetMethod.IsPublic: true, GetMethod.IsPublic: true } && info.PropertyType == property.PropertyType
                && property.Writable && property.ItemConverter is null && property.ItemIsReference is null && property.TypeNameHandling is null
                && (property.ShouldDeserialize is null || ownsShouldDeserialize)
                && (property.DefaultValueHandling ?? NJ.DefaultValueHandling.Include) == NJ.DefaultValueHandling.Include;
            if (!plain)
            {
                return new Unreadable(property);
            }

            Type memberType = typeof(Member<,>).MakeGenericType(info!.DeclaringType!, info.PropertyType);
            return (Member)Activator.CreateInstance(memberType, property, info)!;
        }
    }

    private sealed class Member<TOwner, TValue> : Member
        where TOwner : class
    {
        private readonly Action<TOwner, TValue> set;
        private readonly Func<TOwner, TValue> get;
        private readonly bool includeNull;
        private readonly bool nullable = default(TValue) is null;
        private readonly NJ.JsonConverter? converter;
        private ValueReader<TValue>? value;

        public Member(JsonProperty property, PropertyInfo info)
            : base(property)
        {
            set = info.SetMethod!.CreateDelegate<Action<TOwner, TValue>>();
            get = info.GetMethod!.CreateDelegate<Func<TOwner, TValue>>();
            includeNull = (property.NullValueHandling ?? OpenPipeJson.Settings.NullValueHandling) == NJ.NullValueHandling.Include;
            converter = property.Converter;
        }

        public override void Read(ref Utf8JsonReader reader, object target, bool setNull)
        {
            if (reader.TokenType == JsonTokenType.Null)
            {
                if (!includeNull && !setNull)
                {
                    return;
                }

                Clear(target);
                return;
            }

            var read = value ??= (ValueReader<TValue>)(converter is { CanRead: true } ? ForConverter(typeof(TValue), converter) : For(typeof(TValue)));
            set((TOwner)target, read.Read(ref reader));
        }

        public override bool IsNull(object target) => get((TOwner)target) is null;

        public override void Clear(object target)
        {
            if (!nullable)
            {
                Quit();
            }

            set((TOwner)target, default!);
        }
    }

    /// <summary>A member outside the fast path (read-only, its own ShouldDeserialize, ...): present in the JSON, it gives up.</summary>
    private sealed class Unreadable(JsonProperty property) : Member(property)
    {
        public override void Read(ref Utf8JsonReader reader, object target, bool setNull) => Quit();

        public override bool IsNull(object target) => throw GiveUp.Instance;

        public override void Clear(object target) => Quit();
    }

    /// <summary>An object of a type with no converter.</summary>
    private sealed class ObjectValueReader<T>(ObjectReader objects) : ValueReader<T>
    {
        public override T Read(ref Utf8JsonReader reader) => (T)objects.Read(ref reader, default);
    }

    /// <summary>An array into a new List, as Newtonsoft fills a list member (an initialized one gets the same items).</summary>
    private sealed class ListReader<TList, TItem> : ValueReader<TList>
    {
        private ValueReader<TItem>? item;

        public override TList Read(ref Utf8JsonReader reader)
        {
            if (reader.TokenType != JsonTokenType.StartArray)
            {
                Quit();
            }

            var read = item ??= (ValueReader<TItem>)For(typeof(TItem));
            var list = new List<TItem>();
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                if (reader.TokenType == JsonTokenType.Null)
                {
                    Quit();
                }

                list.Add(read.Read(ref reader));
            }

            return (TList)(object)list;
        }
    }

    /// <summary>An object into a new Dictionary with string keys; a repeated key gives up.</summary>
    private sealed class DictionaryReader<TDictionary, TValue> : ValueReader<TDictionary>
    {
        private readonly bool nullable = default(TValue) is null;
        private ValueReader<TValue>? value;

        public override TDictionary Read(ref Utf8JsonReader reader)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                Quit();
            }

            var read = value ??= (ValueReader<TValue>)For(typeof(TValue));
            var dictionary = new Dictionary<string, TValue>();
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                string key = reader.GetString()!;
                reader.Read();
                TValue item;
                if (reader.TokenType == JsonTokenType.Null)
                {
                    if (!nullable)
                    {
                        Quit();
                    }

                    item = default!;
                }
                else
                {
                    item = read.Read(ref reader);
                }

                if (!dictionary.TryAdd(key, item))
                {
                    Quit();
                }
            }

            return (TDictionary)(object)dictionary;
        }
    }

    /// <summary>A value of type object, as Newtonsoft reads one with no type: a primitive, or a JObject or JArray.</summary>
    private sealed class AnyReader : ValueReader<object>
    {
        public static readonly AnyReader Instance = new();

        public override object Read(ref Utf8JsonReader reader) => ReadAny(ref reader)!;
    }

    private static object? ReadAny(ref Utf8JsonReader reader) => reader.TokenType switch
    {
        JsonTokenType.StartObject or JsonTokenType.StartArray => ReadToken(ref reader),
        JsonTokenType.String => reader.GetString(),
        JsonTokenType.Number => ReadNumber(ref reader),
        JsonTokenType.True => true,
        JsonTokenType.False => false,
        JsonTokenType.Null => null,
        _ => throw GiveUp.Instance,
    };

    /// <summary>A number as Newtonsoft's reader gives it: a long for an integer, a double for a float.</summary>
    private static object ReadNumber(ref Utf8JsonReader reader)
    {
        if (IsInteger(ref reader))
        {
            return reader.TryGetInt64(out long whole) ? whole : throw GiveUp.Instance;
        }

        return reader.TryGetDouble(out double value) ? value : throw GiveUp.Instance;
    }

    private static JToken ReadToken(ref Utf8JsonReader reader)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.StartObject:
                var json = new JObject();
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    string key = reader.GetString()!;
                    reader.Read();

                    // JObject.Add throws on a repeated key: that gives up too.
                    json.Add(key, ReadToken(ref reader));
                }

                return json;
            case JsonTokenType.StartArray:
                var array = new JArray();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    array.Add(ReadToken(ref reader));
                }

                return array;
            case JsonTokenType.String:
                return new JValue(reader.GetString());
            case JsonTokenType.Number:
                object number = ReadNumber(ref reader);
                return number is long whole ? new JValue(whole) : new JValue((double)number);
            case JsonTokenType.True:
                return new JValue(true);
            case JsonTokenType.False:
                return new JValue(false);
            case JsonTokenType.Null:
                return JValue.CreateNull();
            default:
                throw GiveUp.Instance;
        }
    }
}
