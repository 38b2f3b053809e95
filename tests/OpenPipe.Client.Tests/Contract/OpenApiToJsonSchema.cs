using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Json.Schema;
using OpenPipe.Client.Tests.Support;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace OpenPipe.Client.Tests.Contract;

/// <summary>
/// What Stoplight Prism and other JavaScript tools make of an OpenAPI 3.0 document before they
/// validate anything: the YAML read as JSON, every <c>$ref</c> replaced by what it points to (as
/// json-schema-ref-parser dereferences), each schema converted to JSON Schema draft-04 the way
/// <c>@openapi-contrib/openapi-schema-to-json-schema</c> does (<see cref="Convert"/>), and the result
/// checked against draft-04's meta-schema, as Ajv does when it compiles a schema. A schema that
/// fails that check is not compiled, and such a tool then validates nothing against it.
/// </summary>
internal static partial class OpenApiToJsonSchema
{
    /// <summary>The keywords the conversion walks into (its STRUCTS).</summary>
    private static readonly string[] Structs = ["allOf", "anyOf", "oneOf", "not", "items", "additionalProperties"];

    /// <summary>OpenAPI-only keywords the conversion deletes (its NOT_SUPPORTED). <c>x-*</c> extensions are kept, and validators ignore them.</summary>
    private static readonly string[] NotSupported = ["nullable", "discriminator", "readOnly", "writeOnly", "xml", "externalDocs", "example", "deprecated"];

    /// <summary>The types its strict mode accepts; any other <c>type</c> throws.</summary>
    private static readonly string[] ValidTypes = ["integer", "number", "string", "boolean", "object", "array", "null"];

    /// <summary>Formats it leaves alone because draft-04 knows them.</summary>
    private static readonly string[] JsonSchemaFormats = ["date-time", "email", "hostname", "ipv4", "ipv6", "uri", "uri-reference"];

    private static readonly Lazy<JsonSchema> Draft04MetaSchema =
        new(() => JsonSchema.FromFile(Repo.TestFile("Contract", "json-schema-draft-04.json")));

    /// <summary>The <c>$schema</c> the conversion writes at the root.</summary>
    public const string Draft04 = "http://json-schema.org/draft-04/schema#";

    /// <summary>Which properties a conversion removes: Prism drops readOnly ones from requests and writeOnly ones from responses.</summary>
    public enum Direction
    {
        /// <summary>A request body or a parameter: <c>readOnly: true</c> properties are removed.</summary>
        Request,

        /// <summary>A response body: <c>writeOnly: true</c> properties are removed.</summary>
        Response,
    }

    /// <summary>Reads a YAML document as JSON, with YAML 1.2's core schema for plain scalars (quoted ones are strings).</summary>
    public static JsonObject LoadYaml(string text)
    {
        var yaml = new YamlStream();
        using (var reader = new StringReader(text))
        {
            yaml.Load(reader);
        }

        return (JsonObject)ToJson(yaml.Documents[0].RootNode)!;
    }

    /// <summary>
    /// A copy of <paramref name="node"/> with every <c>{$ref: '#/...'}</c> replaced by a copy of its
    /// target (OpenAPI 3.0 ignores a <c>$ref</c>'s siblings, and so does this). A cycle throws.
    /// </summary>
    public static JsonNode? Dereference(JsonNode? node, JsonObject document) => Dereference(node, document, []);

    /// <summary>Follows a local JSON pointer (<c>#/components/schemas/Usage</c>).</summary>
    public static JsonNode Resolve(JsonObject document, string pointer)
    {
        if (!pointer.StartsWith("#/", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"Only local references are supported: '{pointer}'.");
        }

        JsonNode current = document;
        foreach (string token in pointer[2..].Split('/').Select(t => t.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal)))
        {
            current = current switch
            {
                JsonObject o when o.TryGetPropertyValue(token, out var next) && next is not null => next,
                JsonArray a when int.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out int i) && i < a.Count && a[i] is { } item => item,
                _ => throw new InvalidOperationException($"The reference '{pointer}' does not resolve (at '{token}')."),
            };
        }

        return current;
    }

    /// <summary>
    /// Converts a dereferenced OpenAPI 3.0 Schema Object to JSON Schema draft-04 as
    /// openapi-schema-to-json-schema does, on a copy:
    /// <list type="bullet">
    /// <item>walks allOf, anyOf, oneOf, not, items, additionalProperties (dropping array members that are not objects) and properties;</item>
    /// <item>removes readOnly properties of a request and writeOnly ones of a response, then drops
    /// <c>required</c> names that are not among the properties (only where <c>properties</c> is present);</item>
    /// <item>throws on a <c>type</c> that is not one of JSON Schema's (its strict mode);</item>
    /// <item><c>type</c> with <c>nullable: true</c> becomes <c>[type, "null"]</c>, and <c>null</c> is appended to an
    /// <c>enum</c> beside them, whether or not it is already there; <c>nullable</c> without <c>type</c> does nothing;</item>
    /// <item>int32 and int64 formats get minimum and maximum, byte a base64 pattern;</item>
    /// <item>deletes nullable, discriminator, readOnly, writeOnly, xml, externalDocs, example, deprecated;</item>
    /// <item>sets <c>$schema</c> to draft-04 at the root.</item>
    /// </list>
    /// (The converter's newest release skips appending a <c>null</c> the enum already has; Prism's
    /// does not, and a spec that converts cleanly here converts cleanly with both.)
    /// </summary>
    public static JsonObject Convert(JsonObject schema, Direction direction)
    {
        var converted = (JsonObject)schema.DeepClone();
        ConvertSchema(converted, direction == Direction.Request ? "readOnly" : "writeOnly");
        converted["$schema"] = Draft04;
        return converted;
    }

    /// <summary>
    /// The draft-04 meta-schema's objections to a converted schema, each with its location; empty
    /// when Ajv would compile it.
    /// </summary>
    public static IReadOnlyList<string> MetaSchemaErrors(JsonObject converted)
    {
        var results = Draft04MetaSchema.Value.Evaluate(converted, new EvaluationOptions { OutputFormat = OutputFormat.Hierarchical });
        return results.IsValid ? [] : Failures(results).Select(f => f.ToString()).ToList();
    }

    /// <summary>
    /// Compiles a converted schema: it must pass draft-04's meta-schema first (else this throws
    /// <see cref="SchemaRejectedException"/>, as Ajv refuses to compile it). JsonSchema.Net has no
    /// draft-04 dialect, so the compiled schema is evaluated as draft-07, whose keywords mean the same
    /// for everything the conversion writes except <c>id</c> and boolean exclusive bounds, which
    /// <see cref="Draft07Differences"/> reports.
    /// </summary>
    public static JsonSchema Compile(JsonObject converted, string name)
    {
        var problems = MetaSchemaErrors(converted).Concat(Draft07Differences(converted)).ToList();
        if (problems.Count > 0)
        {
            throw new SchemaRejectedException(name, problems);
        }

        var draft07 = (JsonObject)converted.DeepClone();
        draft07["$schema"] = "http://json-schema.org/draft-07/schema#";
        return JsonSchema.FromText(draft07.ToJsonString());
    }

    /// <summary>Evaluates an instance; the failures with their instance locations, empty when it is valid.</summary>
    public static IReadOnlyList<Failure> Validate(JsonSchema schema, JsonNode? instance)
    {
        var results = schema.Evaluate(instance, new EvaluationOptions { OutputFormat = OutputFormat.Hierarchical });
        return results.IsValid ? [] : Failures(results);
    }

    /// <summary>Keywords whose draft-04 meaning draft-07 does not share, in the schema and its subschemas.</summary>
    private static IEnumerable<string> Draft07Differences(JsonObject schema, string path = "#")
    {
        foreach (var (keyword, value) in schema)
        {
            if (keyword is "id" || (keyword is "exclusiveMinimum" or "exclusiveMaximum" && value is JsonValue v && v.TryGetValue<bool>(out _)))
            {
                yield return $"{path}/{keyword}: means something else in draft-07";
            }

            var subschemas = (keyword, value) switch
            {
                ("properties" or "patternProperties" or "definitions" or "dependencies", JsonObject named) => named.Select(p => ($"{path}/{keyword}/{p.Key}", p.Value)),
                ("allOf" or "anyOf" or "oneOf" or "items", JsonArray list) => list.Select((m, i) => ($"{path}/{keyword}/{i}", m)),
                ("items" or "additionalItems" or "additionalProperties" or "not", JsonObject one) => [($"{path}/{keyword}", (JsonNode?)one)],
                _ => [],
            };
            foreach (var (at, subschema) in subschemas)
            {
                if (subschema is JsonObject o)
                {
                    foreach (string difference in Draft07Differences(o, at))
                    {
                        yield return difference;
                    }
                }
            }
        }
    }

    /// <summary>
    /// The errors of the failing nodes that have no failing children (a failing anyOf reports each
    /// of its members; the members of a passing one are not failures).
    /// </summary>
    private static List<Failure> Failures(EvaluationResults results)
    {
        var failures = new List<Failure>();
        Collect(results, failures);
        return failures.Count > 0 ? failures : [new Failure(string.Empty, string.Empty, "?", "invalid")];

        static void Collect(EvaluationResults node, List<Failure> failures)
        {
            var failing = node.HasDetails ? node.Details.Where(d => !d.IsValid).ToList() : [];
            foreach (var child in failing)
            {
                Collect(child, failures);
            }

            if (node.Errors is { Count: > 0 } errors)
            {
                failures.AddRange(errors.Select(e => new Failure(node.InstanceLocation.ToString(), node.EvaluationPath.ToString(), e.Key, e.Value)));
            }
        }
    }

    private static JsonNode? Dereference(JsonNode? node, JsonObject document, List<string> following)
    {
        switch (node)
        {
            case JsonObject o when o.TryGetPropertyValue("$ref", out var reference) && reference is JsonValue value && value.TryGetValue<string>(out var pointer):
                if (following.Contains(pointer))
                {
                    throw new InvalidOperationException($"The reference '{pointer}' refers to itself through {string.Join(" -> ", following)}.");
                }

                following.Add(pointer);
                var target = Dereference(Resolve(document, pointer), document, following);
                following.RemoveAt(following.Count - 1);
                return target;
            case JsonObject o:
                var copy = new JsonObject();
                foreach (var (key, value) in o)
                {
                    copy[key] = Dereference(value, document, following);
                }

                return copy;
            case JsonArray a:
                return new JsonArray([.. a.Select(item => Dereference(item, document, following))]);
            default:
                return node?.DeepClone();
        }
    }

    private static void ConvertSchema(JsonObject schema, string removedFlag)
    {
        foreach (string keyword in Structs)
        {
            if (!schema.TryGetPropertyValue(keyword, out var value))
            {
                continue;
            }

            switch (value)
            {
                case JsonArray members:
                    for (int i = 0; i < members.Count; i++)
                    {
                        if (members[i] is JsonObject member)
                        {
                            ConvertSchema(member, removedFlag);
                        }
                        else
                        {
                            members.RemoveAt(i--);
                        }
                    }

                    break;
                case null:
                    schema.Remove(keyword);
                    break;
                case JsonObject member:
                    ConvertSchema(member, removedFlag);
                    break;
            }
        }

        if (schema.ContainsKey("properties"))
        {
            var converted = new JsonObject();
            if (schema["properties"] is JsonObject properties)
            {
                foreach (var (name, property) in properties.ToList())
                {
                    properties.Remove(name);
                    if (property is JsonObject p && !IsTrue(p, removedFlag))
                    {
                        ConvertSchema(p, removedFlag);
                        converted[name] = p;
                    }
                }
            }

            schema["properties"] = converted;
            if (schema["required"] is JsonArray required)
            {
                var kept = required.Where(r => r is JsonValue v && v.TryGetValue<string>(out var n) && converted.ContainsKey(n)).Select(r => r!.DeepClone()).ToArray();
                if (kept.Length == 0)
                {
                    schema.Remove("required");
                }
                else
                {
                    schema["required"] = new JsonArray(kept);
                }
            }

            if (converted.Count == 0)
            {
                schema.Remove("properties");
            }
        }

        if (schema.TryGetPropertyValue("type", out var type) && type is not null
            && !(type is JsonValue t && t.TryGetValue<string>(out var typeName) && ValidTypes.Contains(typeName)))
        {
            throw new InvalidOperationException($"Type {type.ToJsonString()} is not a valid type");
        }

        // convertTypes: only beside a type does nullable mean anything.
        if (type is not null && IsTrue(schema, "nullable"))
        {
            schema["type"] = new JsonArray(type.DeepClone(), "null");
            if (schema["enum"] is JsonArray values)
            {
                values.Add(null);
            }
        }

        ConvertFormat(schema);

        foreach (string keyword in NotSupported)
        {
            schema.Remove(keyword);
        }
    }

    private static void ConvertFormat(JsonObject schema)
    {
        if (schema["format"] is not JsonValue f || !f.TryGetValue<string>(out var format) || JsonSchemaFormats.Contains(format))
        {
            return;
        }

        switch (format)
        {
            case "int32":
                Bound(schema, "minimum", -2147483648m, lower: true);
                Bound(schema, "maximum", 2147483647m, lower: false);
                break;
            case "int64":
                // 2^63 - 1 is a JavaScript number, 2^63 once rounded to a double.
                Bound(schema, "minimum", -9223372036854775808m, lower: true);
                Bound(schema, "maximum", 9223372036854775808m, lower: false);
                break;
            case "byte":
                schema["pattern"] = "^[\\w\\d+\\/=]*$";
                break;
            case "float" or "double":
                throw new NotSupportedException($"format: {format} becomes bounds no decimal holds; the spec uses none, so this port has no case for it.");
        }
    }

    /// <summary>Sets the bound when it is missing or looser than the format's.</summary>
    private static void Bound(JsonObject schema, string keyword, decimal limit, bool lower)
    {
        bool has = schema[keyword] is JsonValue v && v.TryGetValue<decimal>(out decimal current) && (lower ? current >= limit : current <= limit);
        if (!has)
        {
            schema[keyword] = limit;
        }
    }

    private static bool IsTrue(JsonObject schema, string keyword) =>
        schema[keyword] is JsonValue v && v.TryGetValue<bool>(out bool b) && b;

    private static JsonNode? ToJson(YamlNode node) => node switch
    {
        YamlMappingNode map => new JsonObject(map.Children.Select(c => KeyValuePair.Create(((YamlScalarNode)c.Key).Value!, ToJson(c.Value)))),
        YamlSequenceNode list => new JsonArray([.. list.Children.Select(ToJson)]),
        YamlScalarNode scalar => Scalar(scalar),
        _ => throw new InvalidOperationException($"Unsupported YAML node at {node.Start}."),
    };

    private static JsonNode? Scalar(YamlScalarNode scalar)
    {
        string value = scalar.Value ?? string.Empty;
        if (scalar.Style != ScalarStyle.Plain)
        {
            return value;
        }

        return value switch
        {
            "" or "~" or "null" or "Null" or "NULL" => null,
            "true" or "True" or "TRUE" => true,
            "false" or "False" or "FALSE" => false,
            _ when IntegerPattern().IsMatch(value) => JsonValue.Create(decimal.Parse(value, NumberStyles.Integer, CultureInfo.InvariantCulture)),
            _ when FloatPattern().IsMatch(value) => JsonValue.Create(decimal.Parse(value, NumberStyles.Float, CultureInfo.InvariantCulture)),
            _ => value,
        };
    }

    [GeneratedRegex("^[-+]?[0-9]+$")]
    private static partial Regex IntegerPattern();

    [GeneratedRegex("^[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?$")]
    private static partial Regex FloatPattern();
}

/// <summary>One thing a schema objects to: where in the instance, which keyword (and where in the schema), and its message.</summary>
internal sealed record Failure(string InstanceLocation, string EvaluationPath, string Keyword, string Message)
{
    public override string ToString() => $"{InstanceLocation} ({EvaluationPath}): {Keyword}: {Message}";
}

/// <summary>A converted schema that the draft-04 meta-schema rejects: Ajv would not compile it.</summary>
internal sealed class SchemaRejectedException(string name, IReadOnlyList<string> problems)
    : Exception($"{name} does not compile: {string.Join("; ", problems)}")
{
    public IReadOnlyList<string> Problems { get; } = problems;
}
