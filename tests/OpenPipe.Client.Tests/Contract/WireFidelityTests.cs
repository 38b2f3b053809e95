using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net.ServerSentEvents;
using System.Text;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using NUnit.Framework;
using OpenPipe.Client.Tests.Support;

namespace OpenPipe.Client.Tests.Contract;

/// <summary>
/// OpenAI/OpenPipe-shaped samples (Contract/Fixtures/wire) read, write back and read again without
/// losing a value: nulls, unknown fields and enum values, every union variant, metadata-looking keys.
/// </summary>
[TestFixture]
public sealed class WireFidelityTests
{
    [TestCase("request-every-variant.json", typeof(ChatCompletionRequest))]
    [TestCase("completion-openai.json", typeof(ChatCompletion))]
    public void Fixture_ReadWrittenAndReadAgain_IsEqualJson(string fixture, System.Type type)
    {
        // Arrange
        string json = Read(fixture);

        // Act
        object first = JsonConvert.DeserializeObject(json, type, OpenPipeJson.Settings)!;
        string once = OpenPipeJson.Serialize(first);
        string twice = OpenPipeJson.Serialize(JsonConvert.DeserializeObject(once, type, OpenPipeJson.Settings));

        // Assert
        RoundTripTests.AssertEqualJson(once, json);
        Assert.That(twice, Is.EqualTo(once), "a second trip changes nothing");
    }

    [Test]
    public void Request_MetadataLikeKeys_AreKeptAsPlainData()
    {
        // Arrange
        string json = Read("request-every-variant.json");

        // Act
        var request = OpenPipeJson.Deserialize<ChatCompletionRequest>(json)!;
        var back = JObject.Parse(OpenPipeJson.Serialize(request));

        // Assert
        var parameters = back.SelectToken("tools[0].function.parameters")!;
        Assert.Multiple(() =>
        {
            Assert.That((string?)parameters["$id"], Is.EqualTo("https://example.com/weather.json"));
            Assert.That((string?)parameters.SelectToken("properties.city")!["$ref"], Is.EqualTo("#/$defs/city"));
            Assert.That(parameters.SelectToken("properties")!["$type"], Is.Not.Null);
            Assert.That((string?)back.SelectToken("functions[0].parameters")!["$ref"], Is.EqualTo("#/definitions/x"));
            Assert.That((string?)back.SelectToken("response_format.json_schema.schema")!["$id"], Is.EqualTo("answer"));
            Assert.That((string?)back.SelectToken("response_format.json_schema.schema.$comment")!["$type"], Is.EqualTo("kept"));
            Assert.That((string?)back["metadata"]!["$ref"], Is.EqualTo("not-a-reference"));
            Assert.That((string?)back["$id"], Is.EqualTo("req-1"));
            Assert.That(request.AdditionalProperties.ContainsKey("$type"), Is.True, "a top-level \"$type\": null is data too");
        });
    }

    [Test]
    public void Request_EveryVariant_ReadsEachUnionMemberAsItsType()
    {
        // Arrange
        string json = Read("request-every-variant.json");

        // Act
        var request = OpenPipeJson.Deserialize<ChatCompletionRequest>(json)!;

        // Assert
        var m = request.Messages;
        var user = (UserMessage)m[2];
        var assistant = (AssistantMessage)m[3];
        Assert.Multiple(() =>
        {
            Assert.That(m.Select(x => x.GetType().Name), Is.EqualTo(new[]
            {
                nameof(SystemMessage), nameof(DeveloperMessage), nameof(UserMessage), nameof(AssistantMessage), nameof(ToolMessage),
                nameof(ToolMessage), nameof(AssistantMessage), nameof(FunctionMessage), nameof(ChatCompletionMessage),
            }));
            Assert.That(user.Content!.Parts!.Select(p => p.GetType().Name), Is.EqualTo(new[]
            {
                nameof(TextContentPart), nameof(ImageContentPart), nameof(ImageContentPart), nameof(InputAudioContentPart), nameof(ChatMessageContentPart),
            }));
            Assert.That(((ImageContentPart)user.Content.Parts![2]).ImageUrl.Detail!.Value.Value, Is.EqualTo("original"));
            Assert.That(((InputAudioContentPart)user.Content.Parts![3]).InputAudio.Format.Value, Is.EqualTo("flac"));
            Assert.That(assistant.ToolCalls![0].IsFunction, Is.True);
            Assert.That(assistant.ToolCalls[1].Type.Value, Is.EqualTo("custom"));
            Assert.That(assistant.ToolCalls[1].Function, Is.Null, "a custom call has no function");
            Assert.That(((JObject)assistant.ToolCalls[1].AdditionalProperties["custom"])["input"]!.ToString(), Is.EqualTo("SELECT 1"));
            Assert.That(request.Tools!.Select(t => t.Type.Value), Is.EqualTo(new[] { "function", "custom", "web_search_preview" }));
            Assert.That(request.Tools![1].Function, Is.Null);
            Assert.That(request.Tools![2].AdditionalProperties["search_context_size"], Is.EqualTo("low"));
            Assert.That(request.ToolChoice!.Object!.Type!.Value.Value, Is.EqualTo("custom"));
            Assert.That(request.Audio!.Voice.Value, Is.EqualTo("marin"));
            Assert.That(((FunctionMessage)m[7]).Content, Is.Null);
        });
    }

    [Test]
    public void Completion_OpenAIFields_AreTyped()
    {
        // Arrange
        string json = Read("completion-openai.json");

        // Act
        var completion = OpenPipeJson.Deserialize<ChatCompletion>(json)!;

        // Assert
        var message = completion.Choices[0].Message;
        Assert.Multiple(() =>
        {
            Assert.That(completion.ServiceTier, Is.EqualTo("default"));
            Assert.That(completion.SystemFingerprint, Is.EqualTo("fp_fc9f1d7035"));
            Assert.That(message.Annotations![0].UrlCitation.Title, Is.EqualTo("Paris weather"));
            Assert.That(message.Audio!.Transcript, Is.EqualTo("Hi! Paris is sunny."));
            Assert.That(message.Audio.ExpiresAt, Is.EqualTo(1741573883));
            Assert.That(message.ToolCalls![1].Type.Value, Is.EqualTo("custom"));
            Assert.That(completion.Choices[1].FinishReason.Value, Is.EqualTo("safety_stop"));
            Assert.That(completion.Choices[0].Logprobs!.Content![1].Bytes, Is.Null);
        });
    }

    [Test]
    public void Serialize_RequiredNullableMembers_WritesTheKeyWithNull()
    {
        // Arrange
        var message = new FunctionMessage { Name = "legacy", Content = null };
        var logprob = new TokenLogprob { Token = "x", Logprob = -1, Bytes = null, TopLogprobs = [new TopLogprob { Token = "y", Logprob = -2, Bytes = null }] };

        // Act
        var messageJson = JObject.Parse(OpenPipeJson.Serialize(message));
        var logprobJson = JObject.Parse(OpenPipeJson.Serialize(logprob));

        // Assert
        Assert.Multiple(() =>
        {
            Assert.That(messageJson.Property("content")?.Value.Type, Is.EqualTo(JTokenType.Null), messageJson.ToString());
            Assert.That(logprobJson.Property("bytes")?.Value.Type, Is.EqualTo(JTokenType.Null), logprobJson.ToString());
            Assert.That(((JObject)logprobJson["top_logprobs"]![0]!).Property("bytes")?.Value.Type, Is.EqualTo(JTokenType.Null));
            Assert.That(messageJson.Property("name"), Is.Not.Null);
        });
    }

    [Test]
    public void Serialize_FixtureWithRequiredNulls_KeepsThemThroughARoundTrip()
    {
        // Arrange
        string json = Read("completion-openai.json");

        // Act
        var back = JObject.Parse(OpenPipeJson.Serialize(OpenPipeJson.Deserialize<ChatCompletion>(json)));
        var request = JObject.Parse(OpenPipeJson.Serialize(OpenPipeJson.Deserialize<ChatCompletionRequest>(Read("request-every-variant.json"))));

        // Assert
        Assert.Multiple(() =>
        {
            Assert.That(back.SelectToken("choices[0].logprobs.content[1]")!["bytes"]?.Type, Is.EqualTo(JTokenType.Null));
            Assert.That(back.SelectToken("choices[0].logprobs.content[0].top_logprobs[1]")!["bytes"]?.Type, Is.EqualTo(JTokenType.Null));
            Assert.That(request.SelectToken("messages[7]")!["content"]?.Type, Is.EqualTo(JTokenType.Null));
        });
    }

    [Test]
    public void Accumulator_OpenAIStream_MergesToTheExpectedCompletion()
    {
        // Arrange
        var chunks = ReadChunks("stream-openai.sse");
        var accumulator = new ChatCompletionAccumulator();

        // Act
        foreach (var chunk in chunks)
        {
            accumulator.Append(chunk);
        }

        string merged = OpenPipeJson.Serialize(accumulator.ToChatCompletion());

        // Assert
        RoundTripTests.AssertEqualJson(merged, Read("stream-openai-merged.json"));
        Assert.That(accumulator.IsComplete, Is.False, "choice 1 never said why it stopped");
    }

    [Test]
    public void Accumulator_MergedCompletion_ReadsBackWithItsOwnReader()
    {
        // Arrange: a stream whose only choice is cut short, the case that used to write finish_reason: null.
        var accumulator = new ChatCompletionAccumulator();
        accumulator.Append(OpenPipeJson.Deserialize<ChatCompletionChunk>(
            """{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}]}""")!);

        // Act
        string json = OpenPipeJson.Serialize(accumulator.ToChatCompletion());
        var again = OpenPipeJson.Deserialize<ChatCompletion>(json)!;

        // Assert
        Assert.That(JObject.Parse(json).SelectToken("choices[0].finish_reason")!.Type, Is.EqualTo(JTokenType.String));
        Assert.That(again.Choices[0].FinishReason, Is.EqualTo(ChatCompletionAccumulator.Incomplete));
    }

    [Test]
    public void Chunk_OpenAIFields_AreTypedAndWrittenBack()
    {
        // Arrange
        string json = """{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","service_tier":"priority","system_fingerprint":"fp","obfuscation":"x1","choices":[{"index":0,"delta":{"audio":{"data":"AA"},"annotations":[]}}]}""";

        // Act
        var chunk = OpenPipeJson.Deserialize<ChatCompletionChunk>(json)!;
        string back = OpenPipeJson.Serialize(chunk);

        // Assert
        Assert.That((chunk.ServiceTier, chunk.SystemFingerprint, chunk.Obfuscation, chunk.Choices[0].Delta.Audio!.Data), Is.EqualTo(("priority", "fp", "x1", "AA")));
        RoundTripTests.AssertEqualJson(back, json);
    }

    private static string Read(string fixture) => File.ReadAllText(Repo.TestFile("Contract", "Fixtures", "wire", fixture));

    private static List<ChatCompletionChunk> ReadChunks(string fixture)
    {
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(Read(fixture)));
        return SseParser.Create(stream).Enumerate()
            .Select(e => e.Data)
            .Where(d => d.Length > 0 && d != "[DONE]")
            .Select(d => OpenPipeJson.Deserialize<ChatCompletionChunk>(d)!)
            .ToList();
    }
}
