using System;
using System.IO;
using System.Text;
using Microsoft.AspNetCore.Http;
using NUnit.Framework;
using OpenPipe.Server;

namespace OpenPipe.Server.Tests;

/// <summary>What each failure while reading a body means for the caller (the cases a Kestrel test cannot make on demand).</summary>
[TestFixture]
public sealed class RequestInputTests
{
    [Test]
    public void Describe_BodyTimeout_Is408SayingTheBodyWasTooSlow()
    {
        // Arrange: what Kestrel throws when MinRequestBodyDataRate is not met.
        var e = new IOException("wrapped", new BadHttpRequestException("Reading the request body timed out due to data arriving too slowly.", StatusCodes.Status408RequestTimeout));

        // Act
        var failure = RequestInput.Describe(e, new DefaultHttpContext().Request);

        // Assert
        Assert.That(failure?.Status, Is.EqualTo(408));
        Assert.That(failure?.Message, Does.Contain("did not arrive in time"));
        Assert.That(failure?.Message, Does.Not.Contain("malformed"));
    }

    [Test]
    public void Describe_ChunkSizeOverflow_Is400NamingTheChunk()
    {
        // Act
        var failure = RequestInput.Describe(new OverflowException(), new DefaultHttpContext().Request);

        // Assert
        Assert.That(failure?.Status, Is.EqualTo(400));
        Assert.That(failure?.Message, Does.Contain("chunk"));
    }

    [Test]
    public void Describe_AnUnrelatedException_IsNotTheCallersFault()
    {
        // Act
        var failure = RequestInput.Describe(new InvalidOperationException("a bug"), new DefaultHttpContext().Request);

        // Assert
        Assert.That(failure, Is.Null);
    }

    [TestCase(new byte[] { 0x7B, 0x7D }, null)]
    [TestCase(new byte[] { 0xEF, 0xBB, 0xBF, 0x7B, 0x7D }, null)]
    [TestCase(new byte[] { 0x7B, 0x22, 0xC3, 0x28, 0x22, 0x3A, 0x31, 0x7D }, "UTF-8")]
    [TestCase(new byte[] { 0x5B, 0x5D }, "JSON object")]
    public void CheckJsonText_Bytes_NamesWhatIsWrong(byte[] body, string? expected)
    {
        // Act
        var problem = RequestInput.CheckJsonText(body);

        // Assert
        if (expected is null)
        {
            Assert.That(problem, Is.Null);
        }
        else
        {
            Assert.That(problem?.Message, Does.Contain(expected));
        }
    }

    [Test]
    public void CheckJsonText_DuplicateKey_IsReportedByName()
    {
        // Act
        var problem = RequestInput.CheckJsonText(Encoding.UTF8.GetBytes("""{"model":"a","messages":[{"role":"user","role":"tool"}]}"""));

        // Assert
        Assert.That(problem?.Message, Does.Contain("'role'"));
    }
}
