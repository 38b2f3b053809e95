using System.Collections.Generic;
using System.Linq;
using Newtonsoft.Json;
using NUnit.Framework;

namespace OpenPipe.Client.Tests.Contract;

/// <summary>OpenPipe tags as OpenPipe's SDKs type them: string, number, boolean or null, each kept with its JSON type.</summary>
[TestFixture]
public sealed class TagValueTests
{
    private const string SdkTags = """{"prompt_id":"a","attempt":2,"cached":false,"ratio":2.50,"big":12345678901234567890,"none":null,"text":"2"}""";

    [Test]
    public void TryParse_SdkTagShapes_KeepsEachJsonTypeAndNumberText()
    {
        // Act
        bool ok = OpenPipeTags.TryParse(SdkTags, out var parsed, out string? error);

        // Assert
        Assert.That(ok, Is.True, error);
        var tags = parsed!;
        Assert.That(tags.Select(t => (t.Key, t.Value.Kind)), Is.EqualTo(new[]
        {
            ("prompt_id", TagValueKind.String), ("attempt", TagValueKind.Number), ("cached", TagValueKind.Boolean),
            ("ratio", TagValueKind.Number), ("big", TagValueKind.Number), ("none", TagValueKind.Null), ("text", TagValueKind.String),
        }));
        Assert.That(tags["ratio"].ToJson(), Is.EqualTo("2.50"));
        Assert.That(tags["big"].ToJson(), Is.EqualTo("12345678901234567890"), "beyond long, the text is kept");
        Assert.That(tags["cached"].TryGetBoolean(out bool cached) && !cached, Is.True);
    }

    [Test]
    public void ToJson_ParsedTags_WritesTheSameJson()
    {
        // Arrange
        OpenPipeTags.TryParse(SdkTags, out var tags, out _);

        // Act
        string json = OpenPipeTags.ToJson(tags!);
        string withoutNulls = OpenPipeTags.ToJson(tags!, omitNulls: true);

        // Assert
        Assert.That(json, Is.EqualTo(SdkTags));
        Assert.That(withoutNulls, Does.Not.Contain("none"));
    }

    [Test]
    public void ToJson_AsciiOnly_EscapesEverythingOutsideAscii()
    {
        // Act
        string json = OpenPipeTags.ToJson(new Dictionary<string, TagValue> { ["café"] = "naïve ☕" }, asciiOnly: true);

        // Assert
        Assert.That(json.All(c => c < 128), Is.True, json);
        OpenPipeTags.TryParse(json, out var back, out _);
        Assert.That(back!["café"], Is.EqualTo(TagValue.FromString("naïve ☕")));
    }

    [TestCase("""{"a":{"b":1}}""", "\"a\" is an object")]
    [TestCase("""{"a":[1]}""", "\"a\" is an array")]
    [TestCase("""{"a":"1","a":"2"}""", "\"a\" is sent twice")]
    [TestCase("""["a"]""", "not a JSON object")]
    [TestCase("""{"a":""", "not valid JSON")]
    public void TryParse_NotATagObject_FailsSayingWhy(string json, string expected)
    {
        // Act
        bool ok = OpenPipeTags.TryParse(json, out var tags, out string? error);

        // Assert
        Assert.That(ok, Is.False);
        Assert.That(tags, Is.Null);
        Assert.That(error, Does.Contain(expected));
    }

    [Test]
    public void NewtonsoftRoundTrip_TypedTags_KeepTheirJsonTypes()
    {
        // Arrange
        var tags = new Dictionary<string, TagValue> { ["s"] = "x", ["n"] = 2, ["d"] = 0.1, ["m"] = 2.50m, ["b"] = true, ["z"] = TagValue.Null };

        // Act
        string json = JsonConvert.SerializeObject(tags);
        var back = JsonConvert.DeserializeObject<Dictionary<string, TagValue>>(json)!;

        // Assert
        Assert.That(json, Is.EqualTo("""{"s":"x","n":2,"d":0.1,"m":2.50,"b":true,"z":null}"""));
        Assert.That(back, Is.EqualTo(tags));
    }

    [Test]
    public void Equals_NumbersByValueStringsAndNumbersApart()
    {
        Assert.That(TagValue.FromJsonNumber("2.0"), Is.EqualTo((TagValue)2));
        Assert.That(TagValue.FromJsonNumber("2.0").GetHashCode(), Is.EqualTo(((TagValue)2).GetHashCode()));
        Assert.That((TagValue)"2", Is.Not.EqualTo((TagValue)2));
        Assert.That((TagValue)(string?)null, Is.EqualTo(TagValue.Null));
        Assert.That(TagValue.FromBoolean(false), Is.Not.EqualTo(TagValue.Null));
    }

    [TestCase("01")]
    [TestCase("1.")]
    [TestCase("-")]
    [TestCase("NaN")]
    [TestCase("1e")]
    [TestCase(" 1")]
    public void FromJsonNumber_NotAJsonNumber_Throws(string text)
    {
        Assert.Throws<System.FormatException>(() => TagValue.FromJsonNumber(text));
    }

    [Test]
    public void FromNumber_NotFinite_Throws()
    {
        Assert.Throws<System.ArgumentOutOfRangeException>(() => TagValue.FromNumber(double.NaN));
    }
}
