using System.Collections.Generic;
using System.Linq;
using NUnit.Framework;

namespace OpenPipe.Client.Tests.Contract;

/// <summary>The generated validation: the spec's constraints, each reported with its JSON path and DataAnnotations' message.</summary>
[TestFixture]
public sealed class ValidationTests
{
    private static IEnumerable<string> Describe(IReadOnlyList<ErrorIssue> issues) =>
        issues.Select(i => string.Join('.', (i.Path ?? []).Select(p => p.ToString())) + ": " + i.Message);

    [Test]
    public void Validate_ValidRequest_HasNoIssues()
    {
        var request = new ChatCompletionRequest { Model = "m", Temperature = 1, N = 2, Messages = [new UserMessage { Content = "hi" }] };

        Assert.That(OpenPipeValidation.Validate(request), Is.Empty);
    }

    [Test]
    public void Validate_OutOfRangeAndMissing_ReportsEachWithItsPathInMemberOrder()
    {
        // Arrange
        var request = new ChatCompletionRequest { Model = null!, Messages = [], Temperature = 9, TopP = -0.5, N = 0 };

        // Act
        var issues = Describe(OpenPipeValidation.Validate(request)).ToList();

        // Assert
        Assert.That(issues, Is.EqualTo(new[]
        {
            "messages: The field messages must be a string or array type with a minimum length of '1'.",
            "model: The model field is required.",
            "n: The field n must be between 1 and 128.",
            "temperature: The field temperature must be between 0 and 2.",
            "top_p: The field top_p must be between 0 and 1.",
        }));
    }

    [Test]
    public void Validate_NestedObjectsAndUnions_ReportAtTheirJsonPath()
    {
        // Arrange: an unknown role at messages.1, a content part and a named tool choice missing members.
        var unknown = new ChatCompletionMessage();
        unknown.AdditionalProperties["role"] = "narrator";
        var request = new ChatCompletionRequest
        {
            Model = "m",
            Messages = [new UserMessage { Content = new ChatMessageContent([new TextContentPart { Text = null! }]) }, unknown],
            ToolChoice = ToolChoiceOption.FromObject(new NamedToolChoice { Function = new NamedToolChoiceFunction { Name = null! } }),
            Tools = [new ChatCompletionTool { Type = ToolType.Function, Function = null! }, new ChatCompletionTool { Type = ToolType.FromValue("custom"), Function = null! }],
        };

        // Act
        var issues = Describe(OpenPipeValidation.Validate(request)).ToList();

        // Assert: paths as in the JSON (no union wrapper in them); a tool of another kind has no required function.
        Assert.That(issues, Is.EqualTo(new[]
        {
            "messages.0.content.0.text: The text field is required.",
            "messages.1.role: Unknown message role 'narrator': expected system, developer, user, assistant, tool or function.",
            "tool_choice.function.name: The name field is required.",
            "tools.0.function: The function field is required.",
        }));
    }
}
