using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.OpenApi.Readers;
using Newtonsoft.Json.Linq;
using NJsonSchema;
using NJsonSchema.Validation;
using NSwag;
using NUnit.Framework;
using OpenPipe.Client.Tests.Support;
using YamlDotNet.RepresentationModel;

namespace OpenPipe.Client.Tests.Contract;

/// <summary>
/// openapi/openpipe.yaml is valid for tools other than NSwag: an independent OpenAPI reader finds
/// nothing wrong, every nullable has a type, open sets accept unknown values in a validator, and the
/// event stream is described as chunks ending in [DONE].
/// </summary>
[TestFixture]
public sealed class SpecLintTests
{
    private static string SpecPath => Repo.PathOf("openapi", "openpipe.yaml");

    [Test]
    public void Spec_ReadByMicrosoftOpenApi_HasNoErrors()
    {
        // Arrange
        using var stream = File.OpenRead(SpecPath);

        // Act: Microsoft's reader runs its structural checks and default validation rules.
        var document = new OpenApiStreamReader().Read(stream, out var diagnostic);

        // Assert
        Assert.That(diagnostic.Errors.Select(e => $"{e.Pointer}: {e.Message}"), Is.Empty);
        Assert.That(diagnostic.SpecificationVersion, Is.EqualTo(Microsoft.OpenApi.OpenApiSpecVersion.OpenApi3_0));
        Assert.That(document.Paths.Keys, Does.Contain("/chat/completions"));
    }

    [Test]
    public void Read_SpecWithAnUnknownKeyword_ReportsAnError()
    {
        // Arrange: the linter above can fail.
        string broken = File.ReadAllText(SpecPath).Replace("      operationId: createChatCompletion\n", "      operationId: createChatCompletion\n      operationTypo: x\n", System.StringComparison.Ordinal);
        using var stream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(broken));

        // Act
        new OpenApiStreamReader().Read(stream, out var diagnostic);

        // Assert
        Assert.That(diagnostic.Errors.Select(e => e.Message), Has.Some.Contains("operationTypo"));
    }

    [Test]
    public void Spec_EveryNullable_HasATypeBesideIt()
    {
        // Arrange
        var yaml = new YamlStream();
        using (var reader = new StreamReader(SpecPath))
        {
            yaml.Load(reader);
        }

        // Act: OpenAPI 3.0.3 gives `nullable` effect only beside `type`.
        var withoutType = new List<string>();
        Walk(yaml.Documents[0].RootNode, "#", withoutType);

        // Assert
        Assert.That(withoutType, Is.Empty);
    }

    [Test]
    public async Task Validate_CompletionWithUnknownOpenSetValues_IsValid()
    {
        // Arrange: a response whose finish reason, role and tool type are values the spec does not list.
        OpenApiDocument spec = await OpenApiYamlDocument.FromFileAsync(SpecPath);
        var completion = JObject.Parse(File.ReadAllText(Repo.TestFile("Contract", "Fixtures", "full-response.json")));
        completion["choices"]![0]!["finish_reason"] = "max_turns";
        completion["choices"]![0]!["message"]!["role"] = "assistant";
        completion["choices"]![0]!["message"]!["tool_calls"]![0]!["type"] = "custom";

        // Act
        var errors = spec.Components.Schemas["ChatCompletion"].Validate(completion.ToString(), SchemaType.OpenApi3);

        // Assert
        Assert.That(Flatten(errors), Is.Empty);
    }

    [Test]
    public async Task Validate_CompletionWithoutChoicesOrWithAWrongType_IsInvalid()
    {
        // Arrange: the same validator rejects what the spec forbids.
        OpenApiDocument spec = await OpenApiYamlDocument.FromFileAsync(SpecPath);
        var completion = JObject.Parse(File.ReadAllText(Repo.TestFile("Contract", "Fixtures", "full-response.json")));
        completion.Remove("choices");
        completion["created"] = "yesterday";

        // Act
        var errors = spec.Components.Schemas["ChatCompletion"].Validate(completion.ToString(), SchemaType.OpenApi3);

        // Assert
        Assert.That(errors.Select(e => e.Kind), Does.Contain(ValidationErrorKind.PropertyRequired));
        Assert.That(errors.Select(e => e.Property), Does.Contain("created"));
    }

    [Test]
    public async Task Spec_EventStream_IsChunksOrAnErrorEventEndingInDone()
    {
        // Arrange
        OpenApiDocument spec = await OpenApiYamlDocument.FromFileAsync(SpecPath);

        // Act
        var ok = spec.Paths["/chat/completions"]["post"].Responses["200"];
        JsonSchema stream = ok.Content["text/event-stream"].Schema.ActualSchema;
        var data = (IDictionary<string, object?>)stream.ExtensionData!["x-sse-data"]!;
        var variants = ((IEnumerable<object?>)data["oneOf"]!).Cast<IDictionary<string, object?>>().Select(v => (string)v["$ref"]!).ToList();

        // Assert
        Assert.That(stream.Type, Is.EqualTo(JsonObjectType.String), "an event stream is text, not one JSON document");
        Assert.That(ok.Content["application/json"].Schema.ActualSchema, Is.SameAs(spec.Components.Schemas["ChatCompletion"]));
        Assert.That(variants, Is.EqualTo(new[] { "#/components/schemas/ChatCompletionChunk", "#/components/schemas/ChatCompletionStreamError" }));
        Assert.That(stream.ExtensionData["x-sse-done"], Is.EqualTo(ChatCompletionStream.Done), "the spec and the code agree on the terminator");
        Assert.That(spec.Components.Schemas["ChatCompletionStreamError"].RequiredProperties, Is.EqualTo(new[] { "error" }));
    }

    /// <summary>Every leaf error, with its path, for a readable failure.</summary>
    private static IEnumerable<string> Flatten(IEnumerable<ValidationError> errors) =>
        errors.SelectMany(e => e is ChildSchemaValidationError child && child.Errors.Count > 0
            ? Flatten(child.Errors.SelectMany(p => p.Value))
            : [$"{e.Path}: {e.Kind}"]);

    private static void Walk(YamlNode node, string path, List<string> withoutType)
    {
        switch (node)
        {
            case YamlMappingNode map:
                var keys = map.Children.Keys.OfType<YamlScalarNode>().Select(k => k.Value).ToHashSet();
                if (map.Children.TryGetValue(new YamlScalarNode("nullable"), out var nullable) && nullable is YamlScalarNode { Value: "true" } && !keys.Contains("type"))
                {
                    withoutType.Add(path);
                }

                foreach (var (key, value) in map.Children)
                {
                    Walk(value, $"{path}/{((YamlScalarNode)key).Value}", withoutType);
                }

                break;
            case YamlSequenceNode list:
                for (int i = 0; i < list.Children.Count; i++)
                {
                    Walk(list.Children[i], $"{path}/{i}", withoutType);
                }

                break;
        }
    }
}
