using System.IO;
using System.Linq;
using Newtonsoft.Json.Linq;
using NUnit.Framework;
using OpenPipe.Client.Tests.Support;

namespace OpenPipe.Client.Tests.Contract;

/// <summary>Vendor-shaped bodies survive a trip through the generated DTOs unchanged.</summary>
[TestFixture]
public sealed class RoundTripTests
{
    [TestCase("full-request.json")]
    [TestCase("variants-request.json")]
    [TestCase("variants-request-2.json")]
    [TestCase("variants-request-3.json")]
    public void Request_DeserializedAndSerialized_IsEqualJson(string fixture)
    {
        // Arrange
        string json = File.ReadAllText(Repo.TestFile("Contract", "Fixtures", fixture));

        // Act
        var request = OpenPipeJson.Deserialize<ChatCompletionRequest>(json);
        string back = OpenPipeJson.Serialize(request);

        // Assert
        AssertEqualJson(back, json);
    }

    [Test]
    public void Response_DeserializedAndSerialized_IsEqualJson()
    {
        // Arrange
        string json = File.ReadAllText(Repo.TestFile("Contract", "Fixtures", "full-response.json"));

        // Act
        var completion = OpenPipeJson.Deserialize<ChatCompletion>(json);
        string back = OpenPipeJson.Serialize(completion);

        // Assert
        AssertEqualJson(back, json);
    }

    [Test]
    public void Request_FullFixture_ReadsEveryUnionVariantAsItsType()
    {
        // Arrange
        string json = File.ReadAllText(Repo.TestFile("Contract", "Fixtures", "full-request.json"));

        // Act
        var request = OpenPipeJson.Deserialize<ChatCompletionRequest>(json)!;

        // Assert
        var m = request.Messages;
        Assert.Multiple(() =>
        {
            Assert.That(m[0], Is.TypeOf<SystemMessage>());
            Assert.That(((SystemMessage)m[0]).Content!.Text, Is.EqualTo("You are terse."));
            Assert.That(((SystemMessage)m[1]).Content!.Parts![0], Is.TypeOf<TextContentPart>());
            Assert.That(m[2], Is.TypeOf<DeveloperMessage>());
            var user = (UserMessage)m[4];
            Assert.That(user.Content!.Parts!.Select(p => p.GetType().Name), Is.EqualTo(new[]
            {
                nameof(TextContentPart), nameof(ImageContentPart), nameof(ImageContentPart), nameof(InputAudioContentPart), nameof(ChatMessageContentPart),
            }));
            Assert.That(((ImageContentPart)user.Content.Parts![1]).ImageUrl.Detail, Is.EqualTo(ImageDetail.High));
            Assert.That(((ImageContentPart)user.Content.Parts[2]).ImageUrl.Detail!.Value.Value, Is.EqualTo("ultra"), "an unknown detail is kept");
            Assert.That(((InputAudioContentPart)user.Content.Parts[3]).InputAudio.Format, Is.EqualTo(InputAudioFormat.Wav));
            Assert.That(user.Content.Parts[4].AdditionalProperties["type"], Is.EqualTo("input_video"), "an unknown part type is kept");
            var assistant = (AssistantMessage)m[5];
            Assert.That(assistant.ToolCalls![0].Function.Name, Is.EqualTo("get_weather"));
            Assert.That(assistant.Annotations![0].UrlCitation.EndIndex, Is.EqualTo(5));
            Assert.That(((AssistantMessage)m[6]).Content!.Parts![1], Is.TypeOf<RefusalContentPart>());
            Assert.That(((ToolMessage)m[7]).ToolCallId, Is.EqualTo("call_1"));
            Assert.That(((FunctionMessage)m[10]).Content, Is.Null);
            Assert.That(m[11].GetType(), Is.EqualTo(typeof(ChatCompletionMessage)), "an unknown role reads into the base class");
            Assert.That(m[11].AdditionalProperties["role"], Is.EqualTo("moderator"));
            Assert.That(request.ToolChoice!.Object!.Function!.Name, Is.EqualTo("get_weather"));
            Assert.That(request.FunctionCall!.Object!.Name, Is.EqualTo("legacy"));
            Assert.That(request.Stop!.Values, Is.EqualTo(new[] { "\n\n", "END" }));
            Assert.That(request.ResponseFormat, Is.TypeOf<ResponseFormatJsonSchema>());
            Assert.That(request.Audio!.Voice, Is.EqualTo(AudioVoice.Coral));
            Assert.That(request.Audio!.Format, Is.EqualTo(AudioFormat.Pcm16));
            Assert.That(request.AdditionalProperties["seed"], Is.EqualTo(42L), "an unknown property is kept");
        });
    }

    [Test]
    public void Response_FullFixture_KeepsUnknownValuesReadable()
    {
        // Arrange
        string json = File.ReadAllText(Repo.TestFile("Contract", "Fixtures", "full-response.json"));

        // Act
        var completion = OpenPipeJson.Deserialize<ChatCompletion>(json)!;

        // Assert
        var choice = completion.Choices[0];
        Assert.Multiple(() =>
        {
            Assert.That(choice.FinishReason, Is.EqualTo(FinishReason.ToolCalls));
            Assert.That(completion.Choices[1].FinishReason.Value, Is.EqualTo("guardrail"));
            Assert.That(completion.Choices[1].FinishReason == FinishReason.Stop, Is.False);
            Assert.That(choice.Message.ReasoningContent, Is.EqualTo("The user wants the weather."));
            Assert.That(choice.Logprobs!.Content![0].TopLogprobs[1].Bytes, Is.EqualTo(new double[] { 73 }));
            Assert.That(choice.CriteriaResults!["is-helpful@v1"], Is.TypeOf<CriterionSuccessResult>());
            Assert.That(choice.CriteriaResults["is-helpful@v1"].Score, Is.EqualTo(0.9));
            Assert.That(choice.CriteriaResults["is-safe@v2"], Is.TypeOf<CriterionErrorResult>());
            Assert.That(choice.CriteriaResults["is-safe@v2"].ErrorCode, Is.EqualTo(500));
            Assert.That(choice.CriteriaResults["is-new@v1"].AdditionalProperties["status"], Is.EqualTo("pending"));
            Assert.That(completion.Usage!.CompletionTokensDetails!.ReasoningTokens, Is.EqualTo(10));
            Assert.That(completion.Usage.Criteria!["is-helpful@v1"].TotalTokens, Is.EqualTo(42));
            Assert.That(completion.SystemFingerprint, Is.EqualTo("fp_unknown_property"));
        });
    }

    /// <summary>Equal JSON, where an explicit null and an absent optional property are the same value.</summary>
    internal static void AssertEqualJson(string actual, string expected)
    {
        var a = WithoutNulls(JToken.Parse(actual));
        var e = WithoutNulls(JToken.Parse(expected));
        Assert.That(JToken.DeepEquals(a, e), Is.True, $"expected:\n{e}\nactual:\n{a}");
    }

    private static JToken WithoutNulls(JToken token)
    {
        if (token is JObject o)
        {
            foreach (var p in o.Properties().Where(p => p.Value.Type == JTokenType.Null).ToList())
            {
                p.Remove();
            }

            foreach (var p in o.Properties())
            {
                WithoutNulls(p.Value);
            }
        }
        else if (token is JArray a)
        {
            foreach (var item in a)
            {
                WithoutNulls(item);
            }
        }

        return token;
    }
}
