using System;
using System.Collections;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Text;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using NUnit.Framework;
using OpenPipe.Client.Tests.Support;

namespace OpenPipe.Client.Tests.Contract;

/// <summary>
/// The UTF-8 fast reader against Newtonsoft over the same bytes: whatever it reads must be what
/// Newtonsoft reads (same types, same values, same member order), and whatever Newtonsoft rejects
/// it must leave to Newtonsoft. Inputs: every JSON object in the repository's test fixtures, read
/// as every wire type, then the same objects mutated with a fixed seed.
/// </summary>
[TestFixture]
public sealed class Utf8DtoReaderTests
{
    internal static readonly Type[] WireTypes = typeof(ChatCompletion).Assembly.GetTypes()
        .Where(t => t is { IsPublic: true, IsClass: true, IsAbstract: false } && t.GetCustomAttributes<System.CodeDom.Compiler.GeneratedCodeAttribute>().Any(a => a.Tool == "NJsonSchema"))
        .OrderBy(t => t.Name, StringComparer.Ordinal)
        .ToArray();

    private static readonly MethodInfo TryReadMethod = typeof(Utf8DtoReaderTests).GetMethod(nameof(TryReadAs), BindingFlags.NonPublic | BindingFlags.Static)!;

    [Test]
    public void TryRead_EveryFixtureObjectAsEveryWireType_ReadsWhatNewtonsoftReadsOrGivesUp()
    {
        // Arrange
        var documents = FixtureObjects().ToList();

        // Act
        var outcome = Compare(documents);

        // Assert
        Assert.That(outcome.Failures, Is.Empty);
        Assert.That(documents, Has.Count.GreaterThan(200));
        TestContext.Out.WriteLine($"{documents.Count} objects x {WireTypes.Length} types: fast {outcome.Fast}, Newtonsoft only {outcome.NewtonsoftOnly}, both rejected {outcome.BothRejected}");
        Assert.That(outcome.Fast, Is.GreaterThan(300), "the fast path should read most well-formed wire objects");
    }

    [Test]
    public void TryRead_MutatedFixtureObjects_ReadsWhatNewtonsoftReadsOrGivesUp()
    {
        // Arrange
        var random = new Random(20261129);
        var sources = FixtureObjects().Where(d => d.Length < 20_000).ToList();
        var documents = new List<string>();
        for (int i = 0; i < 6000; i++)
        {
            documents.Add(Mutate(sources[random.Next(sources.Count)], random));
        }

        // Act
        var outcome = Compare(documents);

        // Assert
        Assert.That(outcome.Failures, Is.Empty);
        TestContext.Out.WriteLine($"{documents.Count} mutations x {WireTypes.Length} types: fast {outcome.Fast}, Newtonsoft only {outcome.NewtonsoftOnly}, both rejected {outcome.BothRejected}");
        Assert.That(outcome.Fast, Is.GreaterThan(1000));
        Assert.That(outcome.NewtonsoftOnly, Is.GreaterThan(1000), "the mutations should reach inputs the fast path leaves to Newtonsoft");
    }

    [Test]
    public void TryRead_DatesInManyShapes_ReadsWhatNewtonsoftReadsOrGivesUp()
    {
        // Arrange: a dataset whose created_at takes ISO shapes both readers parse and others only Newtonsoft reads.
        string[] dates =
        [
            "2026-12-08T01:02:03Z", "2026-12-08T01:02:03+00:00", "2026-12-08T01:02:03-05:30", "2026-12-08T01:02:03.1Z",
            "2026-12-08T01:02:03.1234567+14:00", "2026-12-08T01:02:03.12345678Z", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59.9999999Z",
            "2026-12-08T01:02:03", "2026-12-08 01:02:03Z", "2026-12-08", "2026-02-30T00:00:00Z", "2026-12-08T24:00:00Z",
            "2026-12-08T01:02:03+15:00", "2026-12-08T01:02:03.Z", "12/08/2026 01:02:03", "2026-12-08T01:02:03\u005A", "not a date", "",
        ];
        var documents = dates.Select(d => $$"""{"id":"d1","name":"n","key_id":"k","created_at":"{{d}}","train_entries":1,"test_entries":0}""").ToList();

        // Act
        var outcome = Compare(documents);

        // Assert
        Assert.That(outcome.Failures, Is.Empty);
        Assert.That(WireJson.TryRead<DatasetInfo>(Encoding.UTF8.GetBytes(documents[2]), out var read), Is.True);
        Assert.That(read!.CreatedAt.Offset, Is.EqualTo(TimeSpan.FromMinutes(-330)));
        Assert.That(outcome.Fast, Is.GreaterThanOrEqualTo(7), "the ISO shapes with a zone are read by the fast path");
    }

    [Test]
    public void TryRead_EscapedKeys_ReadsWhatNewtonsoftReads()
    {
        // Arrange: keys with escapes, which both readers unescape before matching.
        const string Json = """{"\u0072ole":"user","\u0063ontent":"hi","n\u0061me":"ada"}""";

        // Act
        bool read = WireJson.TryRead<ChatCompletionMessage>(Encoding.UTF8.GetBytes(Json), out var message);
        var expected = OpenPipeJson.Deserialize<ChatCompletionMessage>(Json)!;

        // Assert
        Assert.That(read, Is.True);
        Assert.That(message, Is.InstanceOf<UserMessage>());
        Assert.That(OpenPipeJson.Serialize(message), Is.EqualTo(JsonConvert.SerializeObject(expected, OpenPipeJson.Settings)));
    }

    [TestCase("""{"role":"user","content":"hi","Content":"x"}""")]
    [TestCase("""{"role":"user","content":"hi","role":"user"}""")]
    [TestCase("""{"role":"user","content":"hi","\u0043ontent":"x"}""")]
    [TestCase("""{"role":"user","content":["x"]}""")]
    [TestCase("""{"role":"user","content":[null]}""")]
    [TestCase("""{"role":"user","content":"hi"} // comment""")]
    [TestCase("""{"role":"user","content":"hi",}""")]
    [TestCase("""{"role":"user","content":5}""")]
    public void TryRead_InputOutsideTheFastPath_GivesUp(string json)
    {
        // Act
        bool read = WireJson.TryRead<ChatCompletionMessage>(Encoding.UTF8.GetBytes(json), out var message);

        // Assert
        Assert.That(read, Is.False);
        Assert.That(message, Is.Null);
    }

    [Test]
    public void TryRead_InvalidUtf8InAValueOrAKeyOrALoneSurrogate_GivesUp()
    {
        // Arrange: the server relies on this to skip its separate UTF-8 and well-formedness pass.
        byte[] inValue = [.. """{"role":"user","content":"a"""u8, 0xFF, .. "\"}"u8];
        byte[] inKey = [.. """{"role":"user","x"""u8, 0xC3, .. "\":1}"u8];
        byte[] surrogate = """{"role":"user","content":"\ud800"}"""u8.ToArray();

        // Act / Assert
        Assert.That(WireJson.TryRead<ChatCompletionMessage>(inValue, out _), Is.False);
        Assert.That(WireJson.TryRead<ChatCompletionMessage>(inKey, out _), Is.False);
        Assert.That(WireJson.TryRead<ChatCompletionMessage>(surrogate, out _), Is.False);
    }

    [Test]
    public void TryRead_RequiredMemberMissingOrNull_GivesUpSoNewtonsoftReportsIt()
    {
        // Arrange
        byte[] missing = """{"object":"chat.completion","created":1,"model":"m","choices":[]}"""u8.ToArray();
        byte[] nullId = """{"id":null,"object":"chat.completion","created":1,"model":"m","choices":[]}"""u8.ToArray();
        byte[] complete = """{"id":"c","object":"chat.completion","created":1,"model":"m","choices":[]}"""u8.ToArray();

        // Act / Assert
        Assert.That(WireJson.TryRead<ChatCompletion>(missing, out _), Is.False);
        Assert.That(WireJson.TryRead<ChatCompletion>(nullId, out _), Is.False);
        Assert.That(WireJson.TryRead<ChatCompletion>(complete, out var completion), Is.True);
        Assert.That(completion!.Id, Is.EqualTo("c"));
    }

    [Test]
    public void TryRead_UnknownRoleAndUnknownMembers_KeepsEveryMemberAsNewtonsoftDoes()
    {
        // Arrange
        byte[] json = """{"model":"m","messages":[{"role":"narrator","content":"x","n":1,"f":1.5,"o":{"a":[1,"b",null]}}],"extra":true}"""u8.ToArray();

        // Act
        bool read = WireJson.TryRead<ChatCompletionRequest>(json, out var request);

        // Assert
        Assert.That(read, Is.True);
        var message = request!.Messages.Single();
        Assert.That(message.GetType(), Is.EqualTo(typeof(ChatCompletionMessage)));
        Assert.That(message.AdditionalProperties["role"], Is.EqualTo("narrator"));
        Assert.That(message.AdditionalProperties["n"], Is.EqualTo(1L));
        Assert.That(message.AdditionalProperties["f"], Is.EqualTo(1.5d));
        Assert.That(request.AdditionalProperties["extra"], Is.EqualTo(true));
        Assert.That(OpenPipeJson.Serialize(request), Is.EqualTo(OpenPipeJson.Serialize(OpenPipeJson.Deserialize<ChatCompletionRequest>(Encoding.UTF8.GetString(json)))));
    }

    [Test]
    public void DeserializeUtf8_ValidBodyWithAByteOrderMark_ReadsAsTheStringOverloadDoes()
    {
        // Arrange
        const string json = """{"id":"c","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"finish_reason":"stop","message":{"role":"assistant","content":"hi"}}],"x":[1,2.5]}""";
        byte[] utf8 = [0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes(json)];

        // Act
        var fromBytes = OpenPipeJson.Deserialize<ChatCompletion>(utf8);

        // Assert
        Assert.That(OpenPipeJson.Serialize(fromBytes), Is.EqualTo(OpenPipeJson.Serialize(OpenPipeJson.Deserialize<ChatCompletion>(json))));
        Assert.That(fromBytes!.Choices[0].Message.Content, Is.EqualTo("hi"));
    }

    [Test]
    public void DeserializeUtf8_WrongTypeDeepInside_ThrowsNewtonsoftsErrorWithTheFullPath()
    {
        // Arrange
        byte[] utf8 = """{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":5}]}],"stream":"yes"}"""u8.ToArray();

        // Act
        var error = Assert.Throws<JsonReaderException>(() => OpenPipeJson.Deserialize<ChatCompletionRequest>(utf8));

        // Assert
        Assert.That(error!.Path, Is.EqualTo("stream"));
    }

    private static (bool Read, object? Value) TryReadAs<T>(byte[] utf8)
        where T : class => WireJson.TryRead<T>(utf8, out T? value) ? (true, value) : (false, null);

    private sealed record Outcome(List<string> Failures, int Fast, int NewtonsoftOnly, int BothRejected);

    private static Outcome Compare(IEnumerable<string> documents)
    {
        var failures = new List<string>();
        int fast = 0, newtonsoftOnly = 0, bothRejected = 0;
        foreach (string json in documents)
        {
            byte[] utf8 = Encoding.UTF8.GetBytes(json);
            foreach (Type type in WireTypes)
            {
                object? expected;
                try
                {
                    expected = JsonSerializer.Create(OpenPipeJson.Settings).Deserialize(new JsonTextReader(new StringReader(json)) { MaxDepth = 128 }, type);
                    if (expected is null)
                    {
                        throw new JsonSerializationException("null");
                    }
                }
                catch (Exception)
                {
                    expected = null;
                }

                var (read, actual) = ((bool, object?))TryReadMethod.MakeGenericMethod(type).Invoke(null, [utf8])!;
                if (read && expected is null)
                {
                    failures.Add($"{type.Name}: fast path read what Newtonsoft rejects: {Shorten(json)}");
                }
                else if (read && Difference(expected, actual, "$") is { } difference)
                {
                    failures.Add($"{type.Name}: {difference}: {Shorten(json)}");
                }

                fast += read ? 1 : 0;
                newtonsoftOnly += !read && expected is not null ? 1 : 0;
                bothRejected += !read && expected is null ? 1 : 0;
            }

            if (failures.Count > 20)
            {
                break;
            }
        }

        return new Outcome(failures, fast, newtonsoftOnly, bothRejected);
    }

    /// <summary>Where two object graphs differ (runtime types, values, member and item order), or null.</summary>
    internal static string? Difference(object? expected, object? actual, string path)
    {
        if (expected is null || actual is null)
        {
            return expected is null && actual is null ? null : $"{path}: {expected ?? "null"} vs {actual ?? "null"}";
        }

        if (expected.GetType() != actual.GetType())
        {
            return $"{path}: {expected.GetType().Name} vs {actual.GetType().Name}";
        }

        switch (expected)
        {
            case JValue value:
                return Difference(value.Value, ((JValue)actual).Value, path) ?? (value.Type == ((JValue)actual).Type ? null : $"{path}: {value.Type} vs {((JValue)actual).Type}");
            case JObject json:
                var other = (JObject)actual;
                if (!json.Properties().Select(p => p.Name).SequenceEqual(other.Properties().Select(p => p.Name)))
                {
                    return $"{path}: keys differ";
                }

                return json.Properties().Select(p => Difference(p.Value, other[p.Name], path + "." + p.Name)).FirstOrDefault(d => d is not null);
            case JArray array:
                var otherArray = (JArray)actual;
                return array.Count != otherArray.Count ? $"{path}: {array.Count} vs {otherArray.Count} items"
                    : array.Select((t, i) => Difference(t, otherArray[i], $"{path}[{i}]")).FirstOrDefault(d => d is not null);
            case string or bool or long or int or double or decimal:
                return expected.Equals(actual) ? null : $"{path}: {expected} vs {actual}";
            case DateTimeOffset date:
                // Equals compares instants only; the offset must be the same too.
                return date.EqualsExact((DateTimeOffset)actual) ? null : $"{path}: {date:o} vs {(DateTimeOffset)actual:o}";
            case IDictionary dictionary:
                var otherDictionary = (IDictionary)actual;
                var keys = dictionary.Keys.Cast<object>().ToList();
                if (!keys.SequenceEqual(otherDictionary.Keys.Cast<object>()))
                {
                    return $"{path}: keys differ";
                }

                return keys.Select(k => Difference(dictionary[k], otherDictionary[k], $"{path}[{k}]")).FirstOrDefault(d => d is not null);
            case IList list:
                var otherList = (IList)actual;
                if (list.Count != otherList.Count)
                {
                    return $"{path}: {list.Count} vs {otherList.Count} items";
                }

                for (int i = 0; i < list.Count; i++)
                {
                    if (Difference(list[i], otherList[i], $"{path}[{i}]") is { } d)
                    {
                        return d;
                    }
                }

                return null;
        }

        Type type = expected.GetType();
        if (type.IsValueType)
        {
            return expected.Equals(actual) ? null : $"{path}: {expected} vs {actual}";
        }

        foreach (PropertyInfo property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.GetIndexParameters().Length == 0 && p.GetMethod is not null))
        {
            if (Difference(property.GetValue(expected), property.GetValue(actual), path + "." + property.Name) is { } d)
            {
                return d;
            }
        }

        return null;
    }

    /// <summary>Every JSON object in the test projects' fixtures (files, mapping bodies, SSE data lines), each nested object too.</summary>
    internal static IEnumerable<string> FixtureObjects()
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var files = Directory.EnumerateFiles(Repo.PathOf("tests"), "*.*", SearchOption.AllDirectories)
            .Where(f => (f.EndsWith(".json", StringComparison.Ordinal) || f.EndsWith(".sse", StringComparison.Ordinal))
                && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .OrderBy(f => f, StringComparer.Ordinal);
        foreach (string file in files)
        {
            IEnumerable<string> texts = file.EndsWith(".sse", StringComparison.Ordinal)
                ? File.ReadAllLines(file).Where(l => l.StartsWith("data:", StringComparison.Ordinal)).Select(l => l[5..].Trim())
                : [File.ReadAllText(file)];
            foreach (string text in texts)
            {
                foreach (JObject json in ObjectsIn(text))
                {
                    string compact = json.ToString(Formatting.None);
                    if (seen.Add(compact))
                    {
                        yield return compact;
                    }
                }
            }
        }
    }

    private static IEnumerable<JObject> ObjectsIn(string text, int depth = 0)
    {
        JToken root;
        try
        {
            root = JToken.Parse(text);
        }
        catch (JsonException)
        {
            yield break;
        }

        foreach (JToken token in root is JContainer container ? container.DescendantsAndSelf() : [root])
        {
            if (token is JObject json)
            {
                yield return json;
            }
            else if (token is JValue { Type: JTokenType.String } value && depth < 2 && ((string)value!).TrimStart().StartsWith('{'))
            {
                foreach (JObject inner in ObjectsIn((string)value!, depth + 1))
                {
                    yield return inner;
                }
            }
        }
    }

    private static readonly string[] Values =
    [
        "null", "true", "false", "0", "-0", "-1", "2.0", "1.5", "1E2", "1e400", "-1e400", "123456789012345678901234", "9223372036854775808",
        "\"\"", "\"x\"", "\"2\"", "\"true\"", "\"\\u00e9\\ud83d\\ude00\"", "[]", "[null]", "[1,\"a\"]", "{}", "{\"a\":1}", "{\"type\":\"text\",\"text\":\"t\"}",
        "{\"role\":\"user\",\"content\":\"u\"}", "\"function\"", "\"custom\"", "\"assistant\"", "\"narrator\"",
    ];

    private static readonly string[] Names = ["role", "type", "content", "Content", "MODEL", "id", "$type", "$ref", "x", "choices", "function", "tool_calls", "logprobs", "bytes", "name"];

    /// <summary>One random change to a fixture object: a value replaced, a member removed, added, repeated, renamed, escaped, or the text cut.</summary>
    internal static string Mutate(string json, Random random)
    {
        var root = JObject.Parse(json);
        var tokens = root.DescendantsAndSelf().ToList();
        var objects = tokens.OfType<JObject>().ToList();
        var properties = tokens.OfType<JProperty>().ToList();
        switch (random.Next(9))
        {
            case 0 when properties.Count > 0:
            case 1 when properties.Count > 0:
                properties[random.Next(properties.Count)].Value = JToken.Parse(Values[random.Next(Values.Length)]);
                break;
            case 2 when properties.Count > 0:
                var removed = properties[random.Next(properties.Count)];
                if (removed.Parent is not null)
                {
                    removed.Remove();
                }

                break;
            case 3:
                var target = objects[random.Next(objects.Count)];
                string name = Names[random.Next(Names.Length)];
                target[name] = JToken.Parse(Values[random.Next(Values.Length)]);
                break;
            case 4 when properties.Count > 0:
                // A repeated key (JObject cannot hold one: spliced into the text).
                var repeated = properties[random.Next(properties.Count)];
                string text = root.ToString(Formatting.None);
                string member = repeated.ToString(Formatting.None);
                int at = text.IndexOf(member, StringComparison.Ordinal);
                return at < 0 ? text : text.Insert(at, member + ",");
            case 5 when properties.Count > 0:
                var renamed = properties[random.Next(properties.Count)];
                string upper = renamed.Name.Length > 0 ? char.ToUpperInvariant(renamed.Name[0]) + renamed.Name[1..] : "X";
                renamed.Replace(new JProperty(upper, renamed.Value));
                break;
            case 6 when properties.Count > 0:
                // An escaped key that reads the same.
                var escaped = properties[random.Next(properties.Count)];
                string plain = root.ToString(Formatting.None);
                string key = JsonConvert.ToString(escaped.Name) + ":";
                int where = plain.IndexOf(key, StringComparison.Ordinal);
                return where < 0 || escaped.Name.Length == 0 ? plain
                    : plain.Remove(where + 1, 1).Insert(where + 1, $"\\u{(int)escaped.Name[0]:x4}");
            case 7:
                var deep = objects[random.Next(objects.Count)];
                int levels = random.Next(2) == 0 ? 10 : 70;
                JToken nested = new JArray();
                for (int level = 1; level < levels; level++)
                {
                    nested = new JArray(nested);
                }

                deep["nested"] = nested;
                break;
            default:
                string whole = root.ToString(Formatting.None);
                return whole[..random.Next(whole.Length)];
        }

        return root.ToString(Formatting.None);
    }

    private static string Shorten(string json) => json.Length <= 300 ? json : json[..300] + "...";
}
