using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using NUnit.Framework;

namespace OpenPipe.Client.Tests.Contract;

/// <summary>
/// The UTF-8 fast writer against Newtonsoft with the wire settings: whatever it writes must be
/// Newtonsoft's bytes exactly, and what it cannot write it must leave untouched; the string
/// <see cref="OpenPipeJson.Serialize(object?)"/> makes with it must be Newtonsoft's string exactly. Inputs: every
/// fixture object read as every wire type, seeded mutations of them, every UTF-16 code unit in a
/// string and a key, and seeded doubles.
/// </summary>
[TestFixture]
public sealed class Utf8DtoWriterTests
{
    [Test]
    public void TryWrite_EveryFixtureObjectAsEveryWireType_WritesNewtonsoftsBytes()
    {
        // Arrange
        var values = Values(Utf8DtoReaderTests.FixtureObjects()).ToList();

        // Act
        var (failures, fast) = Compare(values);

        // Assert
        Assert.That(failures, Is.Empty);
        TestContext.Out.WriteLine($"{values.Count} values, {fast} written by the fast path");
        Assert.That(fast, Is.GreaterThan(values.Count * 9 / 10), "the fast path should write nearly every wire value");
    }

    [Test]
    public void TryWrite_MutatedFixtureObjects_WritesNewtonsoftsBytes()
    {
        // Arrange
        var random = new Random(20261130);
        var sources = Utf8DtoReaderTests.FixtureObjects().Where(d => d.Length < 20_000).ToList();
        var documents = Enumerable.Range(0, 3000).Select(_ => Utf8DtoReaderTests.Mutate(sources[random.Next(sources.Count)], random)).ToList();
        var values = Values(documents).ToList();

        // Act
        var (failures, fast) = Compare(values);

        // Assert
        Assert.That(failures, Is.Empty);
        TestContext.Out.WriteLine($"{values.Count} values, {fast} written by the fast path");
        Assert.That(fast, Is.GreaterThan(values.Count / 2));
    }

    [Test]
    public void TryWrite_EveryUtf16CodeUnitInAValueAndAKey_EscapesAsNewtonsoftDoes()
    {
        // Arrange: each code unit alone (lone surrogates included), then in pairs and runs.
        var texts = Enumerable.Range(0, 0x10000).Select(c => "a" + (char)c + "b").ToList();
        texts.Add("\ud83d\ude00 \ud800x \udfff \u2028\u2029\u0085 \"\\/\t\n\r\f\b\u0000\u001f\u007f <>&' é 中文");
        var values = texts.Select(t => (object)new UserMessage { Content = t, Name = t, AdditionalProperties = { [t] = new JValue(t) } }).ToList();

        // Act
        var (failures, fast) = Compare(values);

        // Assert
        Assert.That(failures, Is.Empty);
        Assert.That(fast, Is.EqualTo(values.Count));
    }

    [Test]
    public void TryWrite_SeededDoublesAndWholeNumbers_FormatAsNewtonsoftDoes()
    {
        // Arrange
        var random = new Random(7);
        var doubles = new List<double> { 0, -0.0, 1, -1, 0.1, 1e-7, 1.5e300, double.Epsilon, double.MaxValue, 9007199254740992, 9007199254740993, 1e16, 1e21, -2.5, 123456.789 };
        for (int i = 0; i < 5000; i++)
        {
            double d = BitConverter.Int64BitsToDouble(random.NextInt64());
            doubles.Add(double.IsFinite(d) ? d : random.NextDouble() * Math.Pow(10, random.Next(-20, 20)));
        }

        var values = doubles.Select(d => (object)new ChatCompletionRequest { Model = "m", Temperature = d, Messages = [new UserMessage { Content = "x" }], AdditionalProperties = { ["d"] = d, ["j"] = new JValue(d) } }).ToList();

        // Act
        var (failures, fast) = Compare(values);

        // Assert
        Assert.That(failures, Is.Empty);
        Assert.That(fast, Is.EqualTo(values.Count));
    }

    [Test]
    public void TryWrite_SeededDates_FormatAsNewtonsoftDoes()
    {
        // Arrange: whole seconds, fractions with and without trailing zeros, and offsets either side of UTC.
        var random = new Random(11);
        var dates = new List<DateTimeOffset> { DateTimeOffset.MinValue, DateTimeOffset.MaxValue, new(2026, 12, 8, 1, 2, 3, TimeSpan.Zero), new(2026, 12, 8, 1, 2, 3, 500, TimeSpan.FromHours(-5.5)) };
        for (int i = 0; i < 2000; i++)
        {
            long ticks = random.NextInt64(DateTimeOffset.MinValue.Ticks + TimeSpan.TicksPerDay, DateTimeOffset.MaxValue.Ticks - TimeSpan.TicksPerDay);
            ticks -= i % 3 == 0 ? ticks % TimeSpan.TicksPerSecond : i % 3 == 1 ? ticks % TimeSpan.TicksPerMillisecond : 0;
            dates.Add(new DateTimeOffset(ticks, TimeSpan.FromMinutes(random.Next(-14 * 4, 14 * 4 + 1) * 15)));
        }

        var values = dates.Select(d => (object)new DatasetInfo { Id = "d", Name = "n", KeyId = "k", CreatedAt = d }).ToList();

        // Act
        var (failures, fast) = Compare(values);

        // Assert
        Assert.That(failures, Is.Empty);
        Assert.That(fast, Is.EqualTo(values.Count));
    }

    [Test]
    public void SerializeToUtf8Bytes_ObjectsWithoutExtensionData_CreateNoAdditionalPropertiesDictionary()
    {
        // Arrange: a completion as a handler builds it; reading AdditionalProperties would create an empty dictionary.
        var message = new ChatCompletionResponseMessage { Role = "assistant", Content = "hi" };
        var choice = new ChatCompletionChoice { Index = 0, FinishReason = FinishReason.Stop, Message = message };
        var usage = new Usage { PromptTokens = 1, CompletionTokens = 1, TotalTokens = 2 };
        var completion = new ChatCompletion { Id = "c1", Object = "chat.completion", Created = 1, Model = "m", Choices = [choice], Usage = usage };

        // Act
        string json = Encoding.UTF8.GetString(OpenPipeJson.SerializeToUtf8Bytes(completion));
        var stored = new object[] { completion, choice, message, usage }.Select(StoredExtensionData).ToList();

        // Assert (Newtonsoft last: its write reads AdditionalProperties, which creates the dictionaries)
        Assert.That(stored, Has.All.Null);
        Assert.That(json, Is.EqualTo(JsonConvert.SerializeObject(completion, OpenPipeJson.Settings)));
    }

    [Test]
    public void SerializeToUtf8Bytes_ExtensionDataAddedAfterAWrite_WritesItAfterTheMembers()
    {
        // Arrange
        var usage = new Usage { PromptTokens = 1, CompletionTokens = 2, TotalTokens = 3 };
        string before = Encoding.UTF8.GetString(OpenPipeJson.SerializeToUtf8Bytes(usage));
        usage.AdditionalProperties["cached_tokens"] = new JValue(7);

        // Act
        string after = Encoding.UTF8.GetString(OpenPipeJson.SerializeToUtf8Bytes(usage));

        // Assert
        Assert.That(before, Does.Not.Contain("cached_tokens"));
        Assert.That(after, Is.EqualTo(JsonConvert.SerializeObject(usage, OpenPipeJson.Settings)));
        Assert.That(after, Does.EndWith(",\"cached_tokens\":7}"));
    }

    [Test]
    public void TryWrite_NaNOrAValueThatRefersToItself_GivesUpAndLeavesTheOutputAsItWas()
    {
        // Arrange
        var loop = new UserMessage { Content = "x" };
        loop.AdditionalProperties["self"] = loop;
        var nan = new ChatCompletionRequest { Model = "m", Temperature = double.NaN };
        using var output = new JsonBytes();
        output.StartArray();
        output.String("kept");

        // Act
        bool wroteLoop = WireJson.TryWrite(output, loop);
        bool wroteNaN = WireJson.TryWrite(output, nan);
        output.EndArray();

        // Assert
        Assert.That(wroteLoop, Is.False);
        Assert.That(wroteNaN, Is.False);
        Assert.That(Encoding.UTF8.GetString(output.Written), Is.EqualTo("""["kept"]"""));
        Assert.That(() => OpenPipeJson.Serialize(loop), Throws.InstanceOf<JsonSerializationException>());
    }

    [Test]
    public void Rent_AfterDispose_ReusesTheThreadsWriterEmpty()
    {
        // Arrange
        var first = JsonBytes.Rent();
        first.StartArray();
        first.String("left over");
        first.Dispose();

        // Act
        var second = JsonBytes.Rent();
        second.StartObject();
        second.Name("a");
        second.Integer(1);
        second.EndObject();
        string written = Encoding.UTF8.GetString(second.Written);
        second.Dispose();

        // Assert
        Assert.That(second, Is.SameAs(first), "one writer per thread, not one per value");
        Assert.That(written, Is.EqualTo("""{"a":1}"""), "no bytes, comma or depth carried over");
    }

    [Test]
    public void Rent_WhileTheThreadsWriterIsRented_GivesAnotherWriter()
    {
        // Arrange
        var outer = JsonBytes.Rent();
        outer.String("outer");

        // Act
        var inner = JsonBytes.Rent();
        inner.String("inner");
        string innerWritten = Encoding.UTF8.GetString(inner.Written);
        inner.Dispose();
        string outerWritten = Encoding.UTF8.GetString(outer.Written);
        outer.Dispose();

        // Assert
        Assert.That(inner, Is.Not.SameAs(outer));
        Assert.That(innerWritten, Is.EqualTo("\"inner\""));
        Assert.That(outerWritten, Is.EqualTo("\"outer\""));
    }

    [Test]
    public void Serialize_OneValueAfterAnother_EachIsNewtonsoftsBytes()
    {
        // Arrange: a lossless writer that gives up (an unpaired surrogate), a value left to Newtonsoft (NaN), then values the fast path writes.
        object[] values =
        [
            new UserMessage { Content = "lone \ud800 surrogate" },
            new ChatCompletionRequest { Model = "m", Messages = [new UserMessage { Content = "x" }], Temperature = double.NaN },
            new ChatCompletionRequest { Model = "m", Messages = [new UserMessage { Content = "é \ud83d\ude00" }], Temperature = 0.5 },
            new UserMessage { Content = "lone \ud800 surrogate" },
            new ChatCompletionChunk { Id = "c", Object = "chat.completion.chunk", Created = 1, Model = "m", Choices = [] },
        ];

        foreach (object value in values)
        {
            // Act
            string text = OpenPipeJson.Serialize(value);
            byte[] utf8 = OpenPipeJson.SerializeToUtf8Bytes(value);
            var buffer = new System.Buffers.ArrayBufferWriter<byte>();
            OpenPipeJson.Serialize(buffer, value);

            // Assert
            string expected = JsonConvert.SerializeObject(value, OpenPipeJson.Settings);
            Assert.That(text, Is.EqualTo(expected));
            Assert.That(utf8, Is.EqualTo(Encoding.UTF8.GetBytes(expected)));
            Assert.That(buffer.WrittenSpan.ToArray(), Is.EqualTo(Encoding.UTF8.GetBytes(expected)));
        }
    }

    [Test]
    public void TryWrite_TokensOtherThanPlainJsonValues_AreLeftToNewtonsoft()
    {
        // Arrange: a comment and raw JSON hold strings but are not JSON strings; a date, a decimal, a GUID.
        JToken[] tokens = [JValue.CreateComment("c"), new JRaw("{\"a\":1}"), new JValue(new DateTime(2026, 1, 1)), new JValue(1.5m), new JValue(Guid.Empty), JValue.CreateUndefined()];

        // Act / Assert
        foreach (JToken token in tokens)
        {
            using var output = new JsonBytes();
            var message = new UserMessage { Content = "x", AdditionalProperties = { ["t"] = token } };
            Assert.That(WireJson.TryWrite(output, message), Is.False, token.Type.ToString());
            Assert.That(output.Count, Is.Zero);
        }
    }

    [Test]
    public void SerializeToUtf8Bytes_RequestAndAValueLeftToNewtonsoft_AreTheUtf8OfSerialize()
    {
        // Arrange
        var request = new ChatCompletionRequest { Model = "m", Messages = [new UserMessage { Content = "é \ud83d\ude00" }], Temperature = 0.5 };
        var leftToNewtonsoft = new ChatCompletionRequest { Model = "m", AdditionalProperties = { ["when"] = new DateTime(2026, 11, 30, 0, 0, 0, DateTimeKind.Utc) } };

        // Act
        byte[] fast = OpenPipeJson.SerializeToUtf8Bytes(request);
        byte[] slow = OpenPipeJson.SerializeToUtf8Bytes(leftToNewtonsoft);

        // Assert
        Assert.That(fast, Is.EqualTo(Encoding.UTF8.GetBytes(JsonConvert.SerializeObject(request, OpenPipeJson.Settings))));
        Assert.That(slow, Is.EqualTo(Encoding.UTF8.GetBytes(JsonConvert.SerializeObject(leftToNewtonsoft, OpenPipeJson.Settings))));
        Assert.That(Encoding.UTF8.GetString(slow), Does.Contain("\"when\":\"2026-11-30T00:00:00Z\""));
    }

    [Test]
    public void Serialize_TextWithAnUnpairedSurrogate_IsNewtonsoftsStringUnchanged()
    {
        // Arrange: UTF-8 cannot carry the surrogate, so the fast writer's bytes would hold U+FFFD
        // instead. (Built from code units: an attribute argument would store U+FFFD already.)
        string[] texts = [new string((char)0xD800, 1), "a" + (char)0xDFFF + "b", new string([(char)0xDE00, (char)0xD83D])];
        foreach (string text in texts)
        {
            var message = new UserMessage { Content = text, AdditionalProperties = { [text] = text } };

            // Act
            string json = OpenPipeJson.Serialize(message);

            // Assert
            Assert.That(json, Is.EqualTo(JsonConvert.SerializeObject(message, OpenPipeJson.Settings)));
            Assert.That(json.Contains(text, StringComparison.Ordinal), Is.True, "the surrogate is kept");
            Assert.That(json.Contains('\ufffd'), Is.False, "no replacement character");
        }
    }

    /// <summary>Each document read (by Newtonsoft) as each wire type it reads as.</summary>
    private static IEnumerable<object> Values(IEnumerable<string> documents)
    {
        var serializer = JsonSerializer.Create(OpenPipeJson.Settings);
        foreach (string json in documents)
        {
            foreach (Type type in Utf8DtoReaderTests.WireTypes)
            {
                object? value;
                try
                {
                    value = serializer.Deserialize(new JsonTextReader(new System.IO.StringReader(json)), type);
                }
                catch (Exception)
                {
                    continue;
                }

                if (value is not null)
                {
                    yield return value;
                }
            }
        }
    }

    private static (List<string> Failures, int Fast) Compare(IEnumerable<object> values)
    {
        var failures = new List<string>();
        int fast = 0;
        using var output = new JsonBytes();
        foreach (object value in values)
        {
            string expected;
            try
            {
                expected = JsonConvert.SerializeObject(value, OpenPipeJson.Settings);
            }
            catch (JsonException)
            {
                continue;
            }

            // OpenPipeJson.Serialize takes the fast path too (or leaves the value to Newtonsoft): its string must be Newtonsoft's.
            string serialized = OpenPipeJson.Serialize(value);
            if (serialized != expected)
            {
                failures.Add($"Serialize, {value.GetType().Name}:\n  newtonsoft {Shorten(expected)}\n  serialize  {Shorten(serialized)}");
            }

            output.Rewind((0, false, 0));
            if (!WireJson.TryWrite(output, value))
            {
                continue;
            }

            fast++;
            byte[] expectedBytes = Encoding.UTF8.GetBytes(expected);
            if (!output.Written.SequenceEqual(expectedBytes))
            {
                failures.Add($"{value.GetType().Name}:\n  newtonsoft {Shorten(expected)}\n  fast       {Shorten(Encoding.UTF8.GetString(output.Written))}");
                if (failures.Count > 10)
                {
                    break;
                }
            }
        }

        return (failures, fast);
    }

    private static string Shorten(string text) => text.Length <= 400 ? text : text[..400] + "...";

    /// <summary>The generated field behind AdditionalProperties, read without its getter (which would create the dictionary).</summary>
    private static object? StoredExtensionData(object dto) =>
        dto.GetType().GetField("_additionalProperties", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!.GetValue(dto);
}
