// The spec's spelling of "a reference, or null", read the way NSwag names types.
//
// openapi/openpipe.yaml writes a nullable reference (`audio`, `usage`, `finish_reason` of a chunk)
// and a nullable union (a string-or-array such as `stop` or `content`) one way:
//     anyOf:
//       - $ref: ...
//       - enum: [null]          # no type, no nullable
// The null member is plain JSON Schema that accepts exactly null, so validators, Redocly and
// Prism (which converts OpenAPI 3.0 to JSON Schema with openapi-schema-to-json-schema) all read it
// as meant. Spellings that do not work, and why:
//   - {type: string, nullable: true, enum: [null]} as the null member: that conversion turns
//     type + nullable into [type, "null"] and appends null to the enum, giving [null, null]; Ajv
//     rejects duplicate enum items and compiles none of the request schema, so Prism validates
//     nothing;
//   - type + nullable + allOf: [$ref]: converted, the allOf member still rejects null;
//   - nullable without type: no effect in OpenAPI 3.0.3 (and Redocly's nullable-type-sibling warns).
// NSwag would see an anonymous type in the anyOf and emit classes named Audio2, Stop, Content...
// This pass rewrites the spelling, in memory only, to the form NSwag maps to the referenced type
// (`nullable: true` + `allOf: [$ref]`), so the generated code keeps its names and nullability.
// Any other schema is left alone (another spelling then generates new types, which the public API
// check and SpecToolCompatibilityTests report).

using System.Collections.Generic;
using System.Linq;
using NJsonSchema;
using NSwag;

namespace OpenPipe.CodeGen;

internal static class NullableReferences
{
    public static void Normalize(OpenApiDocument document)
    {
        var seen = new HashSet<JsonSchema>(ReferenceEqualityComparer.Instance);
        foreach (JsonSchema schema in document.Components.Schemas.Values)
        {
            Visit(schema, seen);
        }

        foreach (OpenApiOperation operation in document.Paths.Values.SelectMany(p => p.Values))
        {
            foreach (OpenApiParameter parameter in operation.Parameters)
            {
                Visit(parameter, seen);
            }

            foreach (JsonSchema schema in operation.Responses.Values.SelectMany(r => r.Content.Values).Select(c => c.Schema).Where(s => s != null))
            {
                Visit(schema, seen);
            }

            if (operation.RequestBody?.Content.Values is { } bodies)
            {
                foreach (JsonSchema schema in bodies.Select(c => c.Schema).Where(s => s != null))
                {
                    Visit(schema, seen);
                }
            }
        }
    }

    private static void Visit(JsonSchema? schema, HashSet<JsonSchema> seen)
    {
        if (schema == null || !seen.Add(schema))
        {
            return;
        }

        Rewrite(schema);
        foreach (JsonSchema child in schema.Properties.Values.Cast<JsonSchema>()
            .Concat(schema.AllOf).Concat(schema.AnyOf).Concat(schema.OneOf).Concat(schema.Items))
        {
            Visit(child, seen);
        }

        Visit(schema.Item, seen);
        Visit(schema.AdditionalPropertiesSchema, seen);
    }

    private static void Rewrite(JsonSchema schema)
    {
        // Only a bare union: a description, a default and the two members.
        bool plain = schema.Type == JsonObjectType.None && schema.Properties.Count == 0 && schema.OneOf.Count == 0
            && schema.AllOf.Count == 0 && schema.Enumeration.Count == 0 && !schema.HasReference;
        if (!plain || schema.AnyOf.Count != 2)
        {
            return;
        }

        JsonSchema? reference = schema.AnyOf.FirstOrDefault(s => s.HasReference);
        JsonSchema? onlyNull = schema.AnyOf.FirstOrDefault(IsOnlyNull);
        if (reference != null && onlyNull != null)
        {
            schema.AnyOf.Clear();
            schema.AllOf.Add(reference);
            schema.IsNullableRaw = true;
        }
    }

    /// <summary><c>{enum: [null]}</c> and nothing else that constrains: no type, no nullable, no reference.</summary>
    private static bool IsOnlyNull(JsonSchema schema) =>
        !schema.HasReference && schema.Type == JsonObjectType.None && schema.IsNullableRaw == null
        && schema.Enumeration.Count == 1 && schema.Enumeration.First() == null
        && schema.AllOf.Count == 0 && schema.AnyOf.Count == 0 && schema.OneOf.Count == 0 && schema.Properties.Count == 0;
}
