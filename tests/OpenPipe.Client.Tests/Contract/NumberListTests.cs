using Newtonsoft.Json;
using NUnit.Framework;

namespace OpenPipe.Client.Tests.Contract;

/// <summary>The spec's arrays of numbers (a log probability's <c>bytes</c>) read directly, accepting what Newtonsoft's list reader accepts.</summary>
[TestFixture]
public sealed class NumberListTests
{
    private static TokenLogprob Read(string bytes) =>
        OpenPipeJson.Deserialize<TokenLogprob>($$"""{"token":"a","bytes":{{bytes}},"logprob":-0.5,"top_logprobs":[]}""")!;

    [Test]
    public void Deserialize_IntegersFractionsAndExponents_ReadsEachAsADouble()
    {
        // Act
        var token = Read("[104, 105.5, -3, 1e3, 18446744073709551616]");

        // Assert
        Assert.That(token.Bytes, Is.EqualTo(new[] { 104d, 105.5d, -3d, 1000d, 18446744073709551616d }));
    }

    [Test]
    public void Deserialize_NullOrEmptyArray_KeepsNullAndEmptyApart()
    {
        // Act
        var none = Read("null");
        var empty = Read("[]");

        // Assert
        Assert.That(none.Bytes, Is.Null);
        Assert.That(empty.Bytes, Is.Empty);
    }

    [Test]
    public void Deserialize_NumberInAString_IsReadAsNewtonsoftWould()
    {
        // Act
        var token = Read("""["97", 98]""");

        // Assert
        Assert.That(token.Bytes, Is.EqualTo(new[] { 97d, 98d }));
    }

    [TestCase("""[1, "x"]""", "bytes[1]")]
    [TestCase("[1, null]", "bytes[1]")]
    [TestCase("[1, [2]]", "bytes[1]")]
    [TestCase("\"abc\"", "bytes")]
    public void Deserialize_SomethingElseThanANumber_ThrowsWithItsPath(string bytes, string path)
    {
        // Act
        var error = Assert.Catch<JsonException>(() => Read(bytes));

        // Assert
        Assert.That(error!.Message, Does.Contain(path));
    }

    [Test]
    public void Serialize_ReadBytes_WritesWholeNumbersWithoutAFraction()
    {
        // Arrange
        var token = Read("[104, 105]");

        // Act
        string json = OpenPipeJson.Serialize(token);

        // Assert
        Assert.That(json, Does.Contain("\"bytes\":[104,105]"));
    }
}
