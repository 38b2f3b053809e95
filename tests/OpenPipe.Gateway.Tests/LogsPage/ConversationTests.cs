using System.Linq;
using NUnit.Framework;
using OpenPipe.Gateway.LogsPage;

namespace OpenPipe.Gateway.Tests.LogsPage;

/// <summary>Reading a logged call into bubbles: content parts, legacy function calls, several choices, and bodies that are not chat JSON.</summary>
public sealed class ConversationTests
{
    [Test]
    public void Read_ContentParts_ShowsTextImagesAndAudio()
    {
        // Arrange
        string request = """
            {"messages":[{"role":"user","content":[{"type":"text","text":"What is this?"},
              {"type":"image_url","image_url":{"url":"data:image/png;base64,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}},
              {"type":"input_audio","input_audio":{"data":"...","format":"wav"}},{"type":"unknown_part","x":1}]}]}
            """;

        // Act
        var conversation = Conversation.Read(request, null, 200, null);

        // Assert
        var parts = conversation.Bubbles[0].Parts;
        Assert.That(parts.Select(p => p.Kind), Is.EqualTo(new[] { PartKind.Text, PartKind.Image, PartKind.Audio, PartKind.Other }));
        Assert.That(parts[1].Text, Does.StartWith("data:image/png;base64,AAAA").And.EndWith("… (98 characters)"), "a data URL is cut, with its length");
        Assert.That(parts[1].Text, Has.Length.LessThan(98));
        Assert.That(parts[2].Text, Is.EqualTo("audio (wav)"));
        Assert.That(parts[3].Text, Does.Contain("\"unknown_part\""));
    }

    [Test]
    public void Read_LegacyFunctionCallAndResult_ShowsThem()
    {
        // Arrange
        string request = """
            {"messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":null,"function_call":{"name":"lookup","arguments":"{\"q\":1}"}},
              {"role":"function","name":"lookup","content":"found"}],"functions":[{"name":"lookup","description":"Looks up."}]}
            """;

        // Act
        var conversation = Conversation.Read(request, null, 200, null);

        // Assert
        Assert.That(conversation.Bubbles.Select(b => b.Style), Is.EqualTo(new[] { "user", "assistant", "tool", "error" }));
        Assert.That(conversation.Bubbles[1].ToolCalls.Single(), Is.EqualTo(new ToolCallView(null, "lookup", "{\n  \"q\": 1\n}")));
        Assert.That(conversation.Bubbles[2].Name, Is.EqualTo("lookup"));
        Assert.That(conversation.Tools.Single(), Is.EqualTo(new ToolView("lookup", "Looks up.")));
    }

    [Test]
    public void Read_SeveralChoices_ShowsEachAsAResponse()
    {
        // Arrange
        string response = """
            {"choices":[{"index":0,"message":{"role":"assistant","content":"A"},"finish_reason":"stop"},
                        {"index":1,"message":{"role":"assistant","content":"B","refusal":"no"},"finish_reason":"length"}]}
            """;

        // Act
        var conversation = Conversation.Read("""{"messages":[{"role":"developer","content":"Be brief."}]}""", response, 200, null);

        // Assert
        Assert.That(conversation.Bubbles.Select(b => b.Label), Is.EqualTo(new[] { "developer", "assistant, response, choice 0 (stop)", "assistant, response, choice 1 (length)" }));
        Assert.That(conversation.Bubbles[0].Style, Is.EqualTo("system"));
        Assert.That(conversation.Bubbles[2].Parts.Select(p => p.Kind), Is.EqualTo(new[] { PartKind.Text, PartKind.Refusal }));
    }

    [TestCase("""{"unparsed_body":{"bytes":3,"complete":true,"text":"abc"}}""", "not JSON")]
    [TestCase("""{"model":"x"}""", "no messages")]
    [TestCase("not json at all", "no messages")]
    public void Read_BodyWithoutMessages_SaysWhyAndShowsNoRequestBubbles(string request, string note)
    {
        // Act
        var conversation = Conversation.Read(request, null, 400, "bad request");

        // Assert
        Assert.That(conversation.Note, Does.Contain(note));
        Assert.That(conversation.Bubbles.Single().Style, Is.EqualTo("error"));
        Assert.That(conversation.Bubbles.Single().Parts.Single().Text, Is.EqualTo("bad request"));
    }

    [Test]
    public void Read_UnknownRole_GetsTheNeutralStyle()
    {
        // Act
        var conversation = Conversation.Read("""{"messages":[{"role":"\" onclick=\"x","content":"hi"}]}""", null, 200, null);

        // Assert
        Assert.That(conversation.Bubbles[0].Style, Is.EqualTo("other"));
        Assert.That(conversation.Bubbles[0].Label, Is.EqualTo("\" onclick=\"x"));
    }
}
