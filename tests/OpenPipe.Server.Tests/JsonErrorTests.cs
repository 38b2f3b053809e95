using System.IO;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using NUnit.Framework;
using OpenPipe.Client;

namespace OpenPipe.Server.Tests;

/// <summary>
/// A body that is not well-formed JSON: one test per kind of mistake, each answered 400
/// in the API's error shape with a message that says what is wrong in the API's terms and where
/// (line, byte, JSON path), never System.Text.Json's or Newtonsoft's own wording.
/// </summary>
[TestFixture(Mapping.MinimalApi)]
[TestFixture(Mapping.HandlerController)]
[TestFixture(Mapping.DerivedController)]
public sealed class JsonErrorTests(Mapping mapping)
{
    private const string Escapes = """the escapes JSON allows are \", \\, \/, \b, \f, \n, \r, \t and \u with 4 hex digits""";
    private const string AValue = "expected a value (a string, number, object, array, true, false or null)";

    private TestApp app = null!;
    private HttpClient http = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        app = await TestApp.StartAsync(mapping);
        http = app.CreateTestClient();
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        http.Dispose();
        await app.DisposeAsync();
    }

    [Test]
    public async Task Post_EmptyBody_Answers400SayingItIsEmpty()
    {
        // Act
        var (status, error) = await PostAsync(string.Empty);

        // Assert
        AssertBadRequest(status, error, "The request body is empty: send a JSON chat completion request.");
    }

    [Test]
    public async Task Post_OnlyWhitespace_Answers400SayingItIsEmpty()
    {
        // Act
        var (status, error) = await PostAsync(" \r\n\t ");

        // Assert
        AssertBadRequest(status, error, "The request body is empty (only whitespace): send a JSON chat completion request.", "[]");
    }

    [TestCase("{", "inside an object (at $)", "[]")]
    [TestCase("""{"model":"m","messages":[{"role":"user","content":"hi"}]""", "inside an object (at $)", "[]")]
    [TestCase("""{"model":"m","messages":[{"role":"user","content":"hi"}""", "inside an array (at $.messages)", """["messages"]""")]
    [TestCase("{\"model\":\"m\",\"messages\":[{\"role\":\"user\"", "inside an object (at $.messages[0])", """["messages",0]""")]
    [TestCase("""{"model":"m","messages":[{"role":"user","content":"hel""", "inside a string (at $.messages[0].content)", """["messages",0,"content"]""")]
    [TestCase("{\"model\":\"m\",\"messages\"", "after the key 'messages' (at $.messages)", """["messages"]""")]
    [TestCase("""{"model":"m","messages":""", "after the key 'messages' (at $.messages)", """["messages"]""")]
    [TestCase("""{"model":"m","mess""", "inside a key (at $)", "[]")]
    [TestCase("""{"model":"m","n":1.""", "inside a number (at $.n)", """["n"]""")]
    [TestCase("""{"model":"m","stream":tr""", "inside a value (at $.stream)", """["stream"]""")]
    public async Task Post_TruncatedJson_Answers400SayingWhereItEnds(string body, string where, string path)
    {
        // Act
        var (status, error) = await PostAsync(body);

        // Assert
        AssertBadRequest(status, error, $"The request body is not complete JSON: it ends {where}; was it cut off?", path);
    }

    [Test]
    public async Task Post_TrailingCommaInAnObject_Answers400NamingTheCommaAndTheMemberBeforeIt()
    {
        // Act
        var (status, error) = await PostAsync("""{"model":"m","messages":[{"role":"user","content":"hi"}],}""");

        // Assert
        AssertBadRequest(status, error, "The JSON has a trailing comma before '}' at line 1, byte 57 (at $.messages).", """["messages"]""");
    }

    [Test]
    public async Task Post_TrailingCommaInAnArray_Answers400NamingTheCommaAndTheElementBeforeIt()
    {
        // Act
        var (status, error) = await PostAsync("""{"model":"m","messages":[{"role":"user","content":"hi"},]}""");

        // Assert
        AssertBadRequest(status, error, "The JSON has a trailing comma before ']' at line 1, byte 56 (at $.messages[0]).", """["messages",0]""");
    }

    [Test]
    public async Task Post_NestingPastTheDepthLimit_Answers400NamingTheLimitAndWhereItIsPassed()
    {
        // Arrange: the object is level 1, so the 128th '[' opens level 129.
        string body = """{"model":"m","messages":[{"role":"user","content":"hi"}],"x":""" + new string('[', 128) + new string(']', 128) + "}";

        // Act
        var (status, error) = await PostAsync(body);

        // Assert: the 128th '[' is at index 61 + 127.
        AssertBadRequest(status, error, "The JSON nests deeper than the depth limit of 128 at line 1, byte 189 (at $.x[0][0][0][0][0][0][0]...[0][0]).");
        Assert.That(error["issues"]![0]!["path"]!.Select(p => p.ToString()), Is.EqualTo(new[] { "x" }.Concat(Enumerable.Repeat("0", 127))));
    }

    [Test]
    public async Task Post_NestingAtTheDepthLimit_IsNotADepthError()
    {
        // Arrange: 128 levels, the object and 127 arrays.
        string body = """{"model":"m","messages":[{"role":"user","content":"hi"}],"x":""" + new string('[', 127) + new string(']', 127) + "}";

        // Act
        var (status, answer) = await PostAsync(body);

        // Assert
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), answer.ToString());
    }

    [TestCase("""{"model":"m","stream":tru}""", "The JSON has an invalid literal 'tru' at line 1, byte 23 (at $.stream): expected true, false or null.")]
    [TestCase("""{"model":"m","stream":True}""", "The JSON has an invalid literal 'True' at line 1, byte 23 (at $.stream): expected true, false or null.")]
    [TestCase("""{"model":"m","stream": x}""", "The JSON has an unexpected 'x' at line 1, byte 24 (at $.stream): " + AValue + ".")]
    [TestCase("{\n  \"model\": \"m\",\n  \"stream\": tru\n}", "The JSON has an invalid literal 'tru' at line 3, byte 13 (at $.stream): expected true, false or null.")]
    public async Task Post_InvalidLiteralOrUnexpectedCharacter_Answers400NamingItAndItsPlace(string body, string message)
    {
        // Act
        var (status, error) = await PostAsync(body);

        // Assert
        AssertBadRequest(status, error, message, """["stream"]""");
    }

    [Test]
    public async Task Post_LongInvalidLiteral_IsQuotedCutShort()
    {
        // Arrange
        string body = """{"model":"m","stream":""" + new string('t', 5000) + "}";

        // Act
        var (status, error) = await PostAsync(body);

        // Assert
        AssertBadRequest(status, error, $"The JSON has an invalid literal '{new string('t', 37)}...' at line 1, byte 23 (at $.stream): expected true, false or null.", """["stream"]""");
    }

    [Test]
    public async Task Post_MistakeUnderAKeyThatIsNotAnIdentifier_NamesThePathWithBrackets()
    {
        // Act
        var (status, error) = await PostAsync("""{"model":"m","metadata":{"a b":tru}}""");

        // Assert
        AssertBadRequest(status, error, "The JSON has an invalid literal 'tru' at line 1, byte 32 (at $.metadata['a b']): expected true, false or null.", """["metadata","a b"]""");
    }

    [TestCase("""{model:"m"}""", "The JSON has the key model without double quotes at line 1, byte 2 (at $): write it as \"model\".")]
    [TestCase("""{'model':"m"}""", "The JSON has the key 'model' in single quotes at line 1, byte 2 (at $): JSON keys need double quotes.")]
    public async Task Post_KeyNotInDoubleQuotes_Answers400NamingTheKey(string body, string message)
    {
        // Act
        var (status, error) = await PostAsync(body);

        // Assert
        AssertBadRequest(status, error, message, "[]");
    }

    [Test]
    public async Task Post_StringInSingleQuotes_Answers400SayingStringsNeedDoubleQuotes()
    {
        // Act
        var (status, error) = await PostAsync("""{"model":'m'}""");

        // Assert
        AssertBadRequest(status, error, "The JSON has a string in single quotes at line 1, byte 10 (at $.model): JSON strings need double quotes.", """["model"]""");
    }

    [TestCase("{\"model\":\"m\", // the model\n\"messages\":[]}", 15)]
    [TestCase("""{"model":"m",/* the model */"messages":[]}""", 14)]
    public async Task Post_Comment_Answers400SayingJsonHasNoComments(string body, int at)
    {
        // Act
        var (status, error) = await PostAsync(body);

        // Assert
        AssertBadRequest(status, error, $"The JSON has a comment at line 1, byte {at} (at $): JSON does not allow comments.", "[]");
    }

    [TestCase("""{"model":"m","messages":[{"role":"user","content":"a\qb"}]}""", @"\q")]
    [TestCase("""{"model":"m","messages":[{"role":"user","content":"a\u00G1"}]}""", @"\u00G")]
    public async Task Post_InvalidEscapeInAString_Answers400NamingTheEscape(string body, string escape)
    {
        // Act
        var (status, error) = await PostAsync(body);

        // Assert
        AssertBadRequest(status, error, $"The JSON has an invalid escape '{escape}' in a string at line 1, byte 53 (at $.messages[0].content): {Escapes}.", """["messages",0,"content"]""");
    }

    [TestCase("\t", "U+0009", @"\t")]
    [TestCase("\n", "U+000A", @"\n")]
    [TestCase("\u0001", "U+0001", @"\u0001")]
    public async Task Post_ControlCharacterInAString_Answers400NamingItAndItsEscape(string character, string named, string escape)
    {
        // Arrange
        string body = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"a" + character + "b\"}]}";

        // Act
        var (status, error) = await PostAsync(body);

        // Assert
        AssertBadRequest(status, error, $"The JSON has a control character ({named}) in a string at line 1, byte 53 (at $.messages[0].content): write it escaped, as {escape}.", """["messages",0,"content"]""");
    }

    [TestCase("01", "a number cannot start with 0 followed by more digits")]
    [TestCase("1.", "'.' must be followed by a digit")]
    [TestCase("-", "'-' must be followed by a digit")]
    [TestCase("1e", "an exponent needs at least one digit")]
    [TestCase(".5", "a number starts with a digit or '-'")]
    public async Task Post_InvalidNumber_Answers400NamingTheNumberAndWhatIsWrong(string number, string wrong)
    {
        // Act
        var (status, error) = await PostAsync($$"""{"model":"m","n":{{number}}}""");

        // Assert
        AssertBadRequest(status, error, $"The JSON has an invalid number '{number}' at line 1, byte 18 (at $.n): {wrong}.", """["n"]""");
    }

    [TestCase("""{"model":"m"} {}""", 15)]
    [TestCase("""{"model":"m"}x""", 14)]
    [TestCase("""{"model":"m"},""", 14)]
    public async Task Post_ContentAfterTheObject_Answers400SayingWhereItStarts(string body, int at)
    {
        // Act
        var (status, error) = await PostAsync(body);

        // Assert
        AssertBadRequest(status, error, $"The JSON has content after the end of the object at line 1, byte {at} (at $): send one JSON object.", "[]");
    }

    [TestCase("""{"model" "m"}""", "The JSON has an unexpected '\"' at line 1, byte 10 (at $.model): expected ':' after the key 'model'.")]
    [TestCase("""{"model":"m" "n":1}""", "The JSON has an unexpected '\"' at line 1, byte 14 (at $.model): expected ',' or '}' after a value.")]
    [TestCase("""{"model":"m"]""", "The JSON has an unexpected ']' at line 1, byte 13 (at $.model): expected ',' or '}' after a value.")]
    [TestCase("""{"model":}""", "The JSON has no value for the key 'model' at line 1, byte 10 (at $.model).")]
    public async Task Post_MissingColonCommaOrValue_Answers400NamingWhatWasExpected(string body, string message)
    {
        // Act
        var (status, error) = await PostAsync(body);

        // Assert
        AssertBadRequest(status, error, message, """["model"]""");
    }

    [Test]
    public async Task Post_DuplicateKey_Answers400NamingTheKeyAndItsSecondPlace()
    {
        // Act
        var (status, error) = await PostAsync("""{"model":"m","messages":[{"role":"user","role":"tool","content":"hi"}]}""");

        // Assert
        AssertBadRequest(status, error, "The JSON has the key 'role' twice in one object, the second time at line 1, byte 41 (at $.messages[0].role).", """["messages",0,"role"]""");
    }

    [TestCase("""{"model":"m","metadata":{"\ud800":"x"}}""", 26, """["metadata"]""")]
    [TestCase("""{"\uDC00":1,"model":"m"}""", 2, "[]")]
    public async Task Post_KeyWithAnUnpairedSurrogateEscape_Answers400NamingTheKey(string body, int at, string path)
    {
        // Arrange: System.Text.Json's duplicate-key check cannot read such a key (it threw, a 500).
        string key = body.Substring(at, 6);

        // Act
        var (status, error) = await PostAsync(body);

        // Assert
        AssertBadRequest(status, error, $"The JSON has the key '{key}' with an unpaired surrogate escape at line 1, byte {at} (at {(path == "[]" ? "$" : "$.metadata")}): a key must be valid Unicode text.", path);
    }

    [TestCase("[]", "an array")]
    [TestCase("\"model\"", "a string")]
    [TestCase("1", "a number")]
    [TestCase("true", "a boolean")]
    [TestCase("null", "null")]
    public async Task Post_TopLevelValueNotAnObject_Answers400NamingWhatItIs(string body, string what)
    {
        // Act
        var (status, error) = await PostAsync(body);

        // Assert
        AssertBadRequest(status, error, $"The request body must be a JSON object, not {what}.", "[]");
    }

    [Test]
    public async Task Post_InvalidUtf8_Answers400NamingTheByte()
    {
        // Arrange
        byte[] body = [.. Encoding.UTF8.GetBytes("""{"model":"m"""), 0xC3, 0x28, .. Encoding.UTF8.GetBytes("\"}")];

        // Act
        var (status, error) = await PostAsync(body);

        // Assert
        AssertBadRequest(status, error, "The request body is not valid UTF-8 (byte 0xC3 at offset 11): JSON bodies must be UTF-8.", "[]");
    }

    [Test]
    public async Task Post_ByteOrderMarkBeforeMalformedJson_CountsItsBytesInThePlace()
    {
        // Arrange
        byte[] body = [0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes("""{"model":"m",}""")];

        // Act
        var (status, error) = await PostAsync(body);

        // Assert: the comma is the 13th character and the 16th byte.
        AssertBadRequest(status, error, "The JSON has a trailing comma before '}' at line 1, byte 16 (at $.model).", """["model"]""");
    }

    [TestCase("{")]
    [TestCase("""{"model":"m","messages":[{"role":"user","content":"hi"}],}""")]
    [TestCase("""{"model":"m","stream":tru}""")]
    [TestCase("""{"model":"m","n":01}""")]
    [TestCase("""{"model":"m"} {}""")]
    [TestCase("""{"model":"m","model":"n"}""")]
    public async Task ReadAsync_MalformedJson_FastAndFullPathsAnswerTheSame(string body)
    {
        // Act
        var fast = await ReadAsync(body, fastPath: true);
        var full = await ReadAsync(body, fastPath: false);

        // Assert
        Assert.That(fast.Status, Is.EqualTo(400));
        Assert.That(fast, Is.EqualTo(full));
    }

    private static void AssertBadRequest(HttpStatusCode status, JObject error, string message, string? path = null)
    {
        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest), error.ToString());
        Assert.That((string?)error["message"], Is.EqualTo(message));
        Assert.That((string?)error["code"], Is.EqualTo("BAD_REQUEST"));
        Assert.That((string?)error["error"]?["message"], Is.EqualTo(message), "the OpenAI-style error object says the same");
        Assert.That((string?)error["error"]?["code"], Is.EqualTo("BAD_REQUEST"));
        Assert.That((string?)error["error"]?["type"], Is.EqualTo("invalid_request_error"));
        if (path is not null)
        {
            Assert.That(error["issues"]?.Count(), Is.EqualTo(1), error.ToString());
            Assert.That((string?)error["issues"]![0]!["message"], Is.EqualTo(message));
            Assert.That(error["issues"]![0]!["path"]!.ToString(Formatting.None), Is.EqualTo(path));
        }
    }

    private Task<(HttpStatusCode Status, JObject Body)> PostAsync(string body) => PostAsync(Encoding.UTF8.GetBytes(body));

    private async Task<(HttpStatusCode Status, JObject Body)> PostAsync(byte[] body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/chat/completions") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + TestApp.GoodKey);
        using var response = await http.SendAsync(request);
        return (response.StatusCode, JObject.Parse(await response.Content.ReadAsStringAsync()));
    }

    private static async Task<(int Status, string? Error)> ReadAsync(string body, bool fastPath)
    {
        await using var services = new ServiceCollection().AddLogging().AddRequestDecompression().BuildServiceProvider();
        var context = new DefaultHttpContext { RequestServices = services };
        context.Request.Method = "POST";
        context.Request.ContentType = "application/json";
        byte[] bytes = Encoding.UTF8.GetBytes(body);
        context.Request.Body = new MemoryStream(bytes, writable: false);
        context.Request.ContentLength = bytes.Length;
        var result = await ChatCompletionRequestReader.ReadAsync(context.Request, new OpenPipeServerOptions(), fastPath, CancellationToken.None);
        return (result.Status, result.Error is null ? null : OpenPipeJson.Serialize(result.Error));
    }
}
