using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Newtonsoft.Json;
using NUnit.Framework;

namespace OpenPipe.Client.Tests.Contract;

/// <summary>
/// Wrong shapes in a request are reported as JSON errors at their full path, by every union reader,
/// both when errors throw and when a handler collects them as the server's model binding does.
/// </summary>
[TestFixture]
public sealed class MalformedJsonTests
{
    private const string Head = """{"model":"m","messages":[{"role":"user","content":"hi"}]""";

    private static IEnumerable<TestCaseData> WrongShapes()
    {
        yield return Case("""{"model":"m","messages":[{"role":"user","content":5}]}""", "messages[0].content", "content a number");
        yield return Case("""{"model":"m","messages":[{"role":"user","content":"a"},{"role":"user","content":[{"type":"text","text":[]}]}]}""", "messages[1].content[0].text", "text part's text an array");
        yield return Case("""{"model":"m","messages":[{"role":"tool","content":"x"}]}""", "messages[0]", "tool message without tool_call_id");
        yield return Case("""{"model":"m","messages":[{"role":"user","content":[null]}]}""", "messages[0].content[0]", "null content part");
        yield return Case("""{"model":"m","messages":[null]}""", "messages[0]", "null message");
        yield return Case("""{"model":"m","messages":[5]}""", "messages[0]", "message a number");
        yield return Case("""{"model":"m","messages":{"role":"user"}}""", "messages.role", "messages an object");
        yield return Case(Head + ""","function_call":{"name":[[[]]]}}""", "function_call.name", "function_call name nested arrays");
        yield return Case(Head + ""","function_call":true}""", "function_call", "function_call a boolean");
        yield return Case(Head + ""","tool_choice":{"type":"function","function":{"name":{}}}}""", "tool_choice.function.name", "tool_choice name an object");
        yield return Case(Head + ""","tool_choice":[]}""", "tool_choice", "tool_choice an array");
        yield return Case(Head + ""","stop":{}}""", "stop", "stop an object");
        yield return Case(Head + ""","stop":["a",1]}""", "stop[1]", "stop item a number");
        yield return Case(Head + ""","tools":[null]}""", "tools[0]", "null tool");
        yield return Case(Head + ""","tools":[{"type":"function","function":{"name":[]}}]}""", "tools[0].function.name", "tool name an array");
        yield return Case(Head + ""","tools":[{"type":"custom","custom":5,"function":7}]}""", "tools[0].function", "custom tool with a mistyped function");
        yield return Case(Head + ""","response_format":[]}""", "response_format", "response_format an array");
        yield return Case(Head + ""","response_format":{"type":"json_schema","json_schema":{"name":[]}}}""", "response_format.json_schema.name", "json_schema name an array");
        yield return Case(Head + ""","audio":{"voice":{},"format":"mp3"}}""", "audio.voice", "voice an object");
        yield return Case(Head + ""","n":"x"}""", "n", "n a word");
    }

    [TestCaseSource(nameof(WrongShapes))]
    public void Deserialize_WrongShapeWithErrorHandler_RecordsOnlyJsonErrorsAtTheFullPath(string json, string path)
    {
        // Arrange: collect errors as ASP.NET Core's Newtonsoft input formatter does.
        var serializer = JsonSerializer.Create(OpenPipeJson.Settings);
        var errors = new List<(string Path, Exception Error)>();
        serializer.Error += (_, e) =>
        {
            errors.Add((e.ErrorContext.Path, e.ErrorContext.Error));
            e.ErrorContext.Handled = true;
        };

        // Act
        using var reader = new JsonTextReader(new StringReader(json));
        TestDelegate read = () => serializer.Deserialize<ChatCompletionRequest>(reader);

        // Assert
        Assert.That(read, Throws.Nothing);
        Assert.That(errors, Is.Not.Empty);
        Assert.Multiple(() =>
        {
            Assert.That(errors.Select(e => e.Error), Has.All.InstanceOf<JsonException>(), string.Join("\n", errors.Select(e => e.Error.ToString())));
            Assert.That(errors.Select(e => e.Path), Has.Some.EqualTo(path), string.Join(", ", errors.Select(e => e.Path)));
        });
    }

    [TestCaseSource(nameof(WrongShapes))]
    public void Deserialize_WrongShape_ThrowsAJsonException(string json, string path)
    {
        // Act
        TestDelegate read = () => OpenPipeJson.Deserialize<ChatCompletionRequest>(json);

        // Assert
        Assert.That(read, Throws.InstanceOf<JsonException>());
        Assert.That(path, Is.Not.Empty);
    }

    private static TestCaseData Case(string json, string path, string name) => new TestCaseData(json, path).SetArgDisplayNames(name);
}
