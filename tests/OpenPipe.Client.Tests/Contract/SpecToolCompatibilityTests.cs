using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json.Nodes;
using Json.Schema;
using NUnit.Framework;
using OpenPipe.Client.Tests.Support;
using static OpenPipe.Client.Tests.Contract.OpenApiToJsonSchema;

namespace OpenPipe.Client.Tests.Contract;

/// <summary>
/// openapi/openpipe.yaml as Stoplight Prism and other JavaScript tools read it: every schema,
/// converted to JSON Schema as openapi-schema-to-json-schema does, passes draft-04's meta-schema (so
/// Ajv compiles it and requests are validated at all), the fixtures' requests and responses
/// validate, and <c>null</c> is valid wherever the spec calls a property nullable.
/// </summary>
[TestFixture]
public sealed class SpecToolCompatibilityTests
{
    private const string ChatCompletions = "/chat/completions";

    /// <summary>The nullable union as the spec wrote it before: Prism's conversion makes its enum [null, null].</summary>
    private const string OldStopSpelling =
        "            - $ref: '#/components/schemas/StopSequences'\n" +
        "            - type: string\n" +
        "              nullable: true\n" +
        "              enum: [null]\n";

    private const string NewStopSpelling =
        "            - $ref: '#/components/schemas/StopSequences'\n" +
        "            - enum: [null]\n";

    private static string SpecText => File.ReadAllText(Repo.PathOf("openapi", "openpipe.yaml"));

    [Test]
    public void Spec_EverySchemaConvertedAsPrismDoes_PassesTheDraft04MetaSchema()
    {
        // Arrange
        var spec = LoadYaml(SpecText);

        // Act
        var uses = SchemaUses(spec).ToList();
        var failures = CompileFailures(spec);

        // Assert: request and response bodies, parameters, the stream's events and every component schema.
        Assert.That(uses.Select(u => u.Name), Has.Some.StartsWith("request ").And.Some.StartsWith("response ").And.Some.StartsWith("parameter ")
            .And.Some.StartsWith("events ").And.Some.EqualTo("components/schemas/ChatCompletionRequest"));
        Assert.That(failures, Is.Empty);
    }

    [Test]
    public void Compile_SpecWithStopInTheOldNullableUnionSpelling_IsRejectedForDuplicateEnumItems()
    {
        // Arrange: the spec as it was, `stop`'s "or null" branch typed and nullable.
        string spec = SpecText;
        Assert.That(spec, Does.Contain(NewStopSpelling), "the spec spells stop's null branch as {enum: [null]}");
        var old = LoadYaml(spec.Replace(NewStopSpelling, OldStopSpelling, StringComparison.Ordinal));

        // Act: the same check as above.
        var failures = CompileFailures(old);

        // Assert: the request body and every schema holding `stop` no longer compile, so Prism validates no request.
        Assert.That(failures, Has.Some.StartsWith("request POST /chat/completions").And.Some.StartsWith("components/schemas/ChatCompletionRequest"));
        Assert.That(failures, Has.All.Contains("/stop/anyOf/1/enum").And.All.Contains("uniqueItems"));
    }

    [TestCase("New", null, true)]
    [TestCase("New", "stop", true)]
    [TestCase("New", "max_turns", true)]
    [TestCase("Old", null, false)]
    [TestCase("Old", "stop", true)]
    public void Validate_NullableReferenceSpelling_AcceptsNullOnlyInTheNewSpelling(string spelling, string? value, bool valid)
    {
        // Arrange: `type + nullable + allOf: [$ref]` (the spec's nullable reference before) converts to
        // type [string, null] AND the referenced schema, which rejects null; `anyOf: [$ref, {enum: [null]}]` does not.
        var spec = LoadYaml("""
            openapi: 3.0.3
            components:
              schemas:
                FinishReason:
                  anyOf:
                    - type: string
                      enum: [stop, length]
                    - type: string
                Old:
                  type: string
                  nullable: true
                  allOf:
                    - $ref: '#/components/schemas/FinishReason'
                New:
                  anyOf:
                    - $ref: '#/components/schemas/FinishReason'
                    - enum: [null]
            """);
        var schema = CompileComponent(spec, spelling);

        // Act
        var errors = Validate(schema, value is null ? null : JsonValue.Create(value));

        // Assert
        Assert.That(errors, valid ? Is.Empty : Is.Not.Empty);
    }

    /// <summary>
    /// What some fixtures send on purpose beyond the spec, to show that the client keeps it (values
    /// and shapes the service may add later): each must still be rejected exactly here, and nothing
    /// else may be.
    /// </summary>
    private static readonly (string Source, string Location, string Keyword, string Why)[] BeyondTheSpec =
    [
        ("Contract/Fixtures/full-request.json", "/messages/11/role", "enum", "an unknown role (moderator) is kept"),
        ("Contract/Fixtures/variants-request-3.json", "/response_format/type", "enum", "an unknown response format (xml) is kept"),
        ("Contract/Fixtures/wire/request-every-variant.json", "/messages/8/role", "enum", "an unknown role (critic) is kept"),
        ("Contract/Fixtures/wire/request-every-variant.json", "/tools/1", "required", "a custom tool has no function"),
        ("Contract/Fixtures/wire/request-every-variant.json", "/tools/2", "required", "a web search tool has no function"),
        ("Contract/Fixtures/wire/completion-openai.json", "/choices/0/message/tool_calls/1", "required", "a custom tool call has no function"),
        ("Contract/Fixtures/wire/stream-openai-merged.json", "/choices/0/message/tool_calls/0", "required", "a custom tool call has no function"),
        ("Mappings/errors.json #1 response 401", "", "required", "OpenAI's error shape alone, which the client reads too"),
    ];

    [Test]
    public void Fixtures_RequestsResponsesAndStreamEvents_ValidateAgainstTheConvertedSpec()
    {
        // Arrange
        var spec = LoadYaml(SpecText);
        var samples = Samples(spec).ToList();

        // Act
        var failures = samples
            .SelectMany(s => Validate(s.Schema, s.Body).Select(f => (s.Source, Failure: f)))
            .ToList();

        // Assert: every kind of sample was found and checked, and each failure is one the fixtures intend.
        Assert.That(samples.Select(s => s.Source), Has.Some.Contains("Fixtures/full-request.json").And.Some.Contains("Fixtures/full-response.json")
            .And.Some.Contains("Mappings/errors.json").And.Some.Contains("Mappings/request-contract.json #0 request")
            .And.Some.Contains("streams/error-event.sse event 2").And.Some.Contains("wire/stream-openai.sse event"));
        Assert.That(failures.Where(f => !BeyondTheSpec.Any(b => Intended(b, f.Source, f.Failure))).Select(f => $"{f.Source} {f.Failure}"),
            Is.Empty, "fixtures that do not validate");
        Assert.That(BeyondTheSpec.Where(b => !failures.Any(f => Intended(b, f.Source, f.Failure))).Select(b => $"{b.Source} {b.Location}: {b.Why}"),
            Is.Empty, "fixtures that go beyond the spec on purpose, but were not rejected there");

        static bool Intended((string Source, string Location, string Keyword, string Why) expected, string source, Failure failure) =>
            expected.Source == source && expected.Location == failure.InstanceLocation && expected.Keyword == failure.Keyword;
    }

    [Test]
    public void Spec_EveryPropertyItCallsNullable_AcceptsNullOnceConverted()
    {
        // Arrange
        var spec = LoadYaml(SpecText);
        var nullable = NullableProperties(spec).ToList();

        // Act
        var rejecting = nullable
            .Where(p => Validate(Compile(Convert((JsonObject)Dereference(p.Schema, spec)!, Direction.Response), p.Path), null).Count > 0)
            .Select(p => p.Path)
            .ToList();

        // Assert
        Assert.That(nullable.Select(p => p.Path), Does.Contain("components/schemas/ChatCompletionRequest/properties/stop")
            .And.Contain("components/schemas/ChatCompletionChunkChoice/properties/finish_reason")
            .And.Contain("components/schemas/AssistantMessage/allOf/1/properties/content"));
        Assert.That(rejecting, Is.Empty);
    }

    [TestCase("CriterionSuccessResult", """{ "status": "success", "score": 0.9 }""", true)]
    [TestCase("CriterionSuccessResult", """{ "status": "error", "score": 0.9 }""", false)]
    [TestCase("CriterionSuccessResult", """{ "status": "success" }""", false)]
    [TestCase("CriterionErrorResult", """{ "status": "error", "errorCode": 500, "errorMessage": "judge failed" }""", true)]
    [TestCase("CriterionErrorResult", """{ "status": "success", "errorCode": 500, "errorMessage": "judge failed" }""", false)]
    [TestCase("CriterionResult", """{ "status": "pending", "eta": 3 }""", true)]
    public void Validate_CriterionResult_EachVariantFixesItsStatusAndTheBaseTakesAny(string schema, string body, bool valid)
    {
        // Arrange
        var spec = LoadYaml(SpecText);

        // Act
        var errors = Validate(CompileComponent(spec, schema), JsonNode.Parse(body));

        // Assert
        Assert.That(errors, valid ? Is.Empty : Is.Not.Empty);
    }

    [Test]
    public void Validate_RequestWithNullInEveryNullableField_IsValid()
    {
        // Arrange
        var spec = LoadYaml(SpecText);
        var request = JsonNode.Parse("""
            {
              "model": "openpipe:m",
              "messages": [ { "role": "user", "content": "Hi" }, { "role": "assistant", "content": null, "audio": null, "function_call": null, "tool_calls": null, "refusal": null } ],
              "stop": null, "audio": null, "max_tokens": null, "max_completion_tokens": null, "top_p": null,
              "presence_penalty": null, "frequency_penalty": null, "top_logprobs": null, "metadata": null
            }
            """);

        // Act
        var errors = Validate(RequestSchema(spec), request);

        // Assert
        Assert.That(errors, Is.Empty);
    }

    [TestCase("""{ "model": null, "messages": [ { "role": "user", "content": "Hi" } ] }""", "/model")]
    [TestCase("""{ "model": "m", "messages": [ { "role": "user", "content": "Hi" } ], "stop": 5 }""", "/stop")]
    [TestCase("""{ "model": "m", "messages": [ { "role": "user", "content": "Hi" } ], "temperature": null }""", "/temperature")]
    [TestCase("""{ "model": "m", "messages": [] }""", "/messages")]
    public void Validate_RequestTheSpecForbids_IsInvalidAtThatField(string body, string location)
    {
        // Arrange: the same validator rejects what the spec forbids, so the tests above can fail.
        var spec = LoadYaml(SpecText);

        // Act
        var errors = Validate(RequestSchema(spec), JsonNode.Parse(body));

        // Assert
        Assert.That(errors.Select(e => e.InstanceLocation), Has.Some.EqualTo(location));
    }

    /// <summary>Every schema a tool converts: operations' request bodies, responses and parameters, the stream's events, and every component schema.</summary>
    private static IEnumerable<(string Name, JsonObject Schema, Direction Direction)> SchemaUses(JsonObject spec)
    {
        foreach (var (path, item) in (JsonObject)spec["paths"]!)
        {
            foreach (var (method, operationNode) in (JsonObject)item!)
            {
                var operation = (JsonObject)operationNode!;
                string at = $"{method.ToUpperInvariant()} {path}";
                foreach (var (index, parameter) in (operation["parameters"] as JsonArray ?? []).Select((p, i) => (i, (JsonObject)Dereference(p, spec)!)))
                {
                    yield return ($"parameter {at} {parameter["name"]}", (JsonObject)parameter["schema"]!, Direction.Request);
                }

                if (Dereference(operation["requestBody"], spec) is JsonObject body)
                {
                    foreach (var (type, media) in (JsonObject)body["content"]!)
                    {
                        yield return ($"request {at} {type}", (JsonObject)media!["schema"]!, Direction.Request);
                    }
                }

                foreach (var (status, responseNode) in (JsonObject)operation["responses"]!)
                {
                    var response = (JsonObject)Dereference(responseNode, spec)!;
                    foreach (var (type, media) in response["content"] as JsonObject ?? [])
                    {
                        yield return ($"response {at} {status} {type}", (JsonObject)media!["schema"]!, Direction.Response);
                    }
                }
            }
        }

        var schemas = (JsonObject)spec["components"]!["schemas"]!;
        if (schemas["ChatCompletionEventStream"]?["x-sse-data"] is JsonObject events)
        {
            yield return ("events ChatCompletionEventStream x-sse-data", events, Direction.Response);
        }

        foreach (var (name, schema) in schemas)
        {
            yield return ($"components/schemas/{name}", (JsonObject)schema!, Direction.Response);
        }
    }

    /// <summary>Each schema use that would not compile, with the meta-schema's objections.</summary>
    private static List<string> CompileFailures(JsonObject spec)
    {
        var failures = new List<string>();
        foreach (var (name, schema, direction) in SchemaUses(spec))
        {
            try
            {
                Compile(Convert((JsonObject)Dereference(schema, spec)!, direction), name);
            }
            catch (SchemaRejectedException e)
            {
                failures.Add($"{name}: {string.Join("; ", e.Problems)}");
            }
        }

        return failures;
    }

    private static JsonSchema CompileComponent(JsonObject spec, string name) =>
        Compile(Convert((JsonObject)Dereference(spec["components"]!["schemas"]![name], spec)!, Direction.Response), name);

    private static JsonSchema RequestSchema(JsonObject spec) =>
        Compile(Convert((JsonObject)Dereference(Operation(spec)["requestBody"]!["content"]!["application/json"]!["schema"], spec)!, Direction.Request), "request");

    private static JsonObject Operation(JsonObject spec) => (JsonObject)spec["paths"]![ChatCompletions]!["post"]!;

    /// <summary>The schema of a chat completions response of this status and media type, or null if the spec describes none.</summary>
    private static JsonSchema? ResponseSchema(JsonObject spec, int status, string mediaType)
    {
        var responses = (JsonObject)Operation(spec)["responses"]!;
        var response = (JsonObject)Dereference(responses[status.ToString(System.Globalization.CultureInfo.InvariantCulture)] ?? responses["default"], spec)!;
        if (mediaType == "text/event-stream")
        {
            // The stream's body is text; each event's data is described by the schema's x-sse-data.
            return response["content"]?[mediaType] is null ? null : EventSchema(spec);
        }

        return response["content"]?[mediaType]?["schema"] is JsonObject schema
            ? Compile(Convert((JsonObject)Dereference(schema, spec)!, Direction.Response), $"response {status} {mediaType}")
            : null;
    }

    private static JsonSchema EventSchema(JsonObject spec) =>
        Compile(Convert((JsonObject)Dereference(spec["components"]!["schemas"]!["ChatCompletionEventStream"]!["x-sse-data"], spec)!, Direction.Response), "events");

    /// <summary>
    /// The fixtures' bodies with the schema each must satisfy: Contract/Fixtures (requests by name,
    /// completions, SSE transcripts), the WireMock mappings (full request bodies their JsonMatchers
    /// expect, response bodies by status and content type) and the files the mappings answer with.
    /// </summary>
    private static IEnumerable<(string Source, JsonNode? Body, JsonSchema Schema)> Samples(JsonObject spec)
    {
        var request = RequestSchema(spec);
        var completion = ResponseSchema(spec, 200, "application/json")!;
        var events = EventSchema(spec);
        string root = Repo.TestFile();

        string fixtures = Repo.TestFile("Contract", "Fixtures");
        foreach (string file in Directory.GetFiles(fixtures, "*.json", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            bool isRequest = Path.GetFileName(file).Contains("request", StringComparison.Ordinal);
            yield return (Relative(root, file), JsonNode.Parse(File.ReadAllText(file)), isRequest ? request : completion);
        }

        string files = Repo.TestFile("WireMock", "__files");
        foreach (string file in Directory.GetFiles(fixtures, "*.sse", SearchOption.AllDirectories).Concat(Directory.GetFiles(files, "*.sse", SearchOption.AllDirectories)).Order(StringComparer.Ordinal))
        {
            foreach (var (number, data) in Events(File.ReadAllText(file)))
            {
                yield return ($"{Relative(root, file)} event {number}", data, events);
            }
        }

        foreach (string file in Directory.GetFiles(files, "*.json", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            yield return (Relative(root, file), JsonNode.Parse(File.ReadAllText(file)), completion);
        }

        foreach (string file in Directory.GetFiles(Repo.TestFile("Mappings"), "*.json").Order(StringComparer.Ordinal))
        {
            var node = JsonNode.Parse(File.ReadAllText(file))!;
            var mappings = node is JsonArray list ? list.Cast<JsonObject>().ToList() : [(JsonObject)node];
            for (int i = 0; i < mappings.Count; i++)
            {
                string source = $"{Relative(root, file)} #{i}";
                var mapping = mappings[i];
                if (mapping["Request"]?["Body"]?["Matcher"] is JsonObject { } matcher && (string?)matcher["Name"] == "JsonMatcher")
                {
                    // A JsonMatcher's pattern is the whole body the client must send (partial matchers are not).
                    yield return ($"{source} request", matcher["Pattern"]!.DeepClone(), request);
                }

                if (mapping["Response"] is not JsonObject response)
                {
                    continue;
                }

                int status = (int?)response["StatusCode"] ?? 200;
                string mediaType = ((string?)response["Headers"]?["Content-Type"] ?? "application/json").Split(';')[0].Trim();
                if (ResponseSchema(spec, status, mediaType) is not { } schema)
                {
                    continue; // A body the spec does not describe (text/plain from a broken upstream).
                }

                if (response["BodyAsJson"] is { } json)
                {
                    yield return ($"{source} response {status}", json.DeepClone(), schema);
                }
                else if (response["BodyAsFile"] is JsonValue f && (string)f! is var name && !name.Contains('$', StringComparison.Ordinal))
                {
                    string path = Path.Combine(files, name);
                    if (mediaType == "text/event-stream")
                    {
                        foreach (var (number, data) in Events(File.ReadAllText(path)))
                        {
                            yield return ($"{source} {name} event {number}", data, schema);
                        }
                    }
                    else
                    {
                        yield return ($"{source} {name}", JsonNode.Parse(File.ReadAllText(path)), schema);
                    }
                }
                else if (response["Body"] is JsonValue text && mediaType == "application/json")
                {
                    yield return ($"{source} response {status}", JsonNode.Parse((string)text!), schema);
                }
            }
        }
    }

    /// <summary>The data of each event of an SSE transcript, numbered from 1, without the [DONE] terminator.</summary>
    private static IEnumerable<(int Number, JsonNode? Data)> Events(string transcript)
    {
        var data = new List<string>();
        int number = 0;
        foreach (string line in transcript.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n').Append(string.Empty))
        {
            if (line.Length == 0)
            {
                if (data.Count > 0)
                {
                    string payload = string.Join('\n', data);
                    data.Clear();
                    number++;
                    if (payload != ChatCompletionStream.Done)
                    {
                        yield return (number, JsonNode.Parse(payload));
                    }
                }
            }
            else if (line.StartsWith("data:", StringComparison.Ordinal))
            {
                string value = line[5..];
                data.Add(value.StartsWith(' ') ? value[1..] : value);
            }
        }
    }

    /// <summary>
    /// Every property the spec calls nullable, in every component schema (through allOf, anyOf, oneOf,
    /// items and additionalProperties): <c>nullable: true</c> beside a type, or a union with an
    /// "or null" member (<c>{enum: [null]}</c>).
    /// </summary>
    private static IEnumerable<(string Path, JsonObject Schema)> NullableProperties(JsonObject spec)
    {
        var found = new List<(string, JsonObject)>();
        foreach (var (name, schema) in (JsonObject)spec["components"]!["schemas"]!)
        {
            Collect((JsonObject)schema!, $"components/schemas/{name}", found);
        }

        return found;

        static void Collect(JsonObject schema, string path, List<(string, JsonObject)> found)
        {
            if (schema["properties"] is JsonObject properties)
            {
                foreach (var (name, property) in properties)
                {
                    if (property is not JsonObject p)
                    {
                        continue;
                    }

                    if ((p["nullable"] is JsonValue n && (bool)n) || Unions(p).Any(IsOnlyNull))
                    {
                        found.Add(($"{path}/properties/{name}", p));
                    }

                    Collect(p, $"{path}/properties/{name}", found);
                }
            }

            foreach (string keyword in new[] { "allOf", "anyOf", "oneOf" })
            {
                if (schema[keyword] is JsonArray members)
                {
                    for (int i = 0; i < members.Count; i++)
                    {
                        if (members[i] is JsonObject member)
                        {
                            Collect(member, $"{path}/{keyword}/{i}", found);
                        }
                    }
                }
            }

            foreach (string keyword in new[] { "items", "additionalProperties" })
            {
                if (schema[keyword] is JsonObject member)
                {
                    Collect(member, $"{path}/{keyword}", found);
                }
            }
        }

        static IEnumerable<JsonObject> Unions(JsonObject s) =>
            new[] { "anyOf", "oneOf" }.SelectMany(k => s[k] as JsonArray ?? []).OfType<JsonObject>();

        static bool IsOnlyNull(JsonObject s) =>
            s["enum"] is JsonArray { Count: > 0 } values && values.All(v => v is null);
    }

    private static string Relative(string root, string file) => Path.GetRelativePath(root, file).Replace('\\', '/');
}
