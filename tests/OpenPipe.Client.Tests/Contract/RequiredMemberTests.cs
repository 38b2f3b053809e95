using System.Threading;
using System.Threading.Tasks;
using Newtonsoft.Json;
using NUnit.Framework;

namespace OpenPipe.Client.Tests.Contract;

/// <summary>
/// The spec's required members are enforced while reading (the kit's own presence bits in place of
/// Newtonsoft's per-object dictionary): missing or null where the spec forbids it is an error,
/// at any depth, and a failed read leaves nothing behind for the next one.
/// </summary>
[TestFixture]
public sealed class RequiredMemberTests
{
    private const string Completion = """
        {"id":"c1","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"finish_reason":"stop","logprobs":null,
        "message":{"role":"assistant","content":"hi"}}]}
        """;

    private const string TokenWithoutLogprob = """
        {"id":"c1","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"finish_reason":"stop",
        "logprobs":{"content":[{"token":"a","bytes":[97],"logprob":-0.1,"top_logprobs":[]},{"token":"b","bytes":null,"top_logprobs":[]}]},
        "message":{"role":"assistant","content":"hi"}}]}
        """;

    [Test]
    public void Deserialize_CompleteCompletion_ReadsEveryRequiredMember()
    {
        // Act
        var completion = OpenPipeJson.Deserialize<ChatCompletion>(Completion)!;

        // Assert
        Assert.That((completion.Id, completion.Created, completion.Choices[0].Message.Content?.ToString()), Is.EqualTo(("c1", 1L, "hi")));
    }

    [TestCase("\"created\":1,", "created")]
    [TestCase("\"id\":\"c1\",", "id")]
    [TestCase("\"index\":0,", "index")]
    public void Deserialize_MissingRequiredMember_ThrowsNamingIt(string removed, string name)
    {
        // Arrange
        string json = Completion.Replace(removed, string.Empty, System.StringComparison.Ordinal);

        // Act
        var error = Assert.Catch<JsonSerializationException>(() => OpenPipeJson.Deserialize<ChatCompletion>(json));

        // Assert
        Assert.That(error!.Message, Does.Contain($"Required property '{name}' not found in JSON"));
    }

    [Test]
    public void Deserialize_MissingRequiredMemberDeepInAnArray_ThrowsNamingIt()
    {
        // Act
        var error = Assert.Catch<JsonSerializationException>(() => OpenPipeJson.Deserialize<ChatCompletion>(TokenWithoutLogprob));

        // Assert
        Assert.That(error!.Message, Does.Contain("Required property 'logprob' not found in JSON"));
    }

    [Test]
    public void Deserialize_RequiredMemberNull_ThrowsNamingIt()
    {
        // Arrange
        string json = Completion.Replace("\"id\":\"c1\"", "\"id\":null", System.StringComparison.Ordinal);

        // Act
        var error = Assert.Catch<JsonSerializationException>(() => OpenPipeJson.Deserialize<ChatCompletion>(json));

        // Assert
        Assert.That(error!.Message, Does.Contain("Required property 'id' expects a value but got null"));
    }

    [Test]
    public void Deserialize_RequiredButNullableMemberNull_IsAccepted()
    {
        // Arrange: a token's `bytes` is required but may be null.
        string json = TokenWithoutLogprob.Replace("{\"token\":\"b\",\"bytes\":null,\"top_logprobs\":[]}", "{\"token\":\"b\",\"bytes\":null,\"logprob\":-2,\"top_logprobs\":[]}", System.StringComparison.Ordinal);

        // Act
        var completion = OpenPipeJson.Deserialize<ChatCompletion>(json)!;

        // Assert
        Assert.That(completion.Choices[0].Logprobs!.Content![1].Bytes, Is.Null);
    }

    [Test]
    public void Deserialize_RequiredButNullableMemberMissing_Throws()
    {
        // Arrange
        string json = TokenWithoutLogprob.Replace("\"bytes\":[97],", string.Empty, System.StringComparison.Ordinal);

        // Act
        var error = Assert.Catch<JsonSerializationException>(() => OpenPipeJson.Deserialize<ChatCompletion>(json));

        // Assert
        Assert.That(error!.Message, Does.Contain("Required property 'bytes' not found in JSON"));
    }

    [Test]
    public void Deserialize_AfterManyFailedReadsOnOneThread_StillChecksAndReads()
    {
        // Arrange: failures abandon objects half read; the next reads must not be confused by them.
        for (int i = 0; i < 2000; i++)
        {
            Assert.Catch<JsonSerializationException>(() => OpenPipeJson.Deserialize<ChatCompletion>(TokenWithoutLogprob));
        }

        // Act
        var completion = OpenPipeJson.Deserialize<ChatCompletion>(Completion);
        var error = Assert.Catch<JsonSerializationException>(() => OpenPipeJson.Deserialize<ChatCompletion>(Completion.Replace("\"model\":\"m\",", string.Empty, System.StringComparison.Ordinal)));

        // Assert
        Assert.That(completion!.Model, Is.EqualTo("m"));
        Assert.That(error!.Message, Does.Contain("'model'"));
    }

    [Test]
    public async Task Deserialize_OnManyThreadsAtOnce_EachReadIsCheckedAlone()
    {
        // Arrange
        string missing = Completion.Replace("\"created\":1,", string.Empty, System.StringComparison.Ordinal);
        int wrong = 0;

        // Act
        var tasks = new Task[8];
        for (int t = 0; t < tasks.Length; t++)
        {
            bool good = t % 2 == 0;
            tasks[t] = Task.Run(() =>
            {
                for (int i = 0; i < 500; i++)
                {
                    try
                    {
                        OpenPipeJson.Deserialize<ChatCompletion>(good ? Completion : missing);
                        if (!good)
                        {
                            Interlocked.Increment(ref wrong);
                        }
                    }
                    catch (JsonSerializationException)
                    {
                        if (good)
                        {
                            Interlocked.Increment(ref wrong);
                        }
                    }
                }
            });
        }

        await Task.WhenAll(tasks);

        // Assert
        Assert.That(wrong, Is.Zero);
    }
}
