// Standard OpenAPI 3.0 spellings of "a reference, or null", read the way NSwag names types.
//
// OpenAPI 3.0.3 gives `nullable` effect only beside a `type`, so the spec writes a nullable
// reference as
//     type: object            # or string, beside nullable
//     nullable: true
//     allOf: [{$ref: ...}]
// and a nullable union (a string-or-array such as `stop` or `content`) as
//     anyOf:
//       - $ref: ...
//       - {type: string, nullable: true, enum: [null]}
// Validators read both correctly; NSwag would see a new anonymous type in each and emit classes
// named Audio2, Stop, Content... This pass rewrites them, in memory only, to the form NSwag maps to
// the referenced type (`nullable` + `allOf: [$ref]`), so the generated code keeps its names.

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
        bool plain = schema.Properties.Count == 0 && schema.OneOf.Count == 0 && schema.Enumeration.Count == 0;

        // type + nullable + allOf [$ref]: the type is there for validators only.
        if (plain && schema.IsNullableRaw == true && schema.Type != JsonObjectType.None
            && schema.AnyOf.Count == 0 && schema.AllOf.Count == 1 && schema.AllOf.First().HasReference)
        {
            schema.Type = JsonObjectType.None;
            return;
        }

        // anyOf [$ref, null]: a nullable reference.
        if (plain && schema.AllOf.Count == 0 && schema.AnyOf.Count == 2)
        {
            JsonSchema? reference = schema.AnyOf.FirstOrDefault(s => s.HasReference);
            JsonSchema? onlyNull = schema.AnyOf.FirstOrDefault(IsOnlyNull);
            if (reference != null && onlyNull != null)
            {
                schema.AnyOf.Clear();
                schema.AllOf.Add(reference);
                schema.IsNullableRaw = true;
            }
        }
    }

    private static bool IsOnlyNull(JsonSchema schema) =>
        !schema.HasReference && schema.IsNullableRaw == true && schema.Enumeration.Count == 1 && schema.Enumeration.First() == null;
}
