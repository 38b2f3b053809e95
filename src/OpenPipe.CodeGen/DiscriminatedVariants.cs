// Discriminated unions: each variant states its own discriminator value, and NSwag is not told twice.
//
// openapi/openpipe.yaml writes a union as a base schema with a discriminator and a mapping (the
// message by `role`, a content part and a response format by `type`, a criterion result by
// `status`), and each variant as `allOf: [$ref base, ...]`. As in OpenPipe's own document, each
// variant also fixes the discriminator to its one value:
//     CriterionSuccessResult:
//       allOf:
//         - $ref: '#/components/schemas/CriterionResult'   # status: any string (an open set)
//         - type: object
//           properties:
//             status: {type: string, enum: [success]}      # this variant: success only
// so a validator, a documentation tool or a reader sees that a `success` result has status
// `success`, while the base keeps the open set that unknown statuses are read into.
// NSwag takes the discriminator's values from the mapping and writes them itself (the
// JsonInheritanceConverter attribute); given the variant's property too, it would declare a second
// `Status` property and a one-value enum in each subclass, and the writer would send `status` twice.
// This pass removes that restatement, in memory only, after checking that it names exactly the
// value the mapping gives the variant (a mismatch is a spec error). The member it was in stays
// (`allOf: [$ref base, {type: object}]` is still a subclass, where `allOf: [$ref base]` alone would
// be the base itself), so the generated classes are the same as without the restatement.

using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using NJsonSchema;
using NSwag;

namespace OpenPipe.CodeGen;

internal static class DiscriminatedVariants
{
    public static void Normalize(OpenApiDocument document)
    {
        var names = new Dictionary<JsonSchema, string>(ReferenceEqualityComparer.Instance);
        foreach ((string key, JsonSchema schema) in document.Components.Schemas)
        {
            names[schema] = key;
        }

        foreach ((string unionName, JsonSchema union) in document.Components.Schemas.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            if (union.DiscriminatorObject is not { PropertyName: { Length: > 0 } discriminatorName } discriminator)
            {
                continue;
            }

            foreach ((string value, JsonSchema target) in discriminator.Mapping)
            {
                JsonSchema variant = target.ActualSchema;
                string variantName = names.TryGetValue(variant, out string? name) ? name : $"{unionName}[{value}]";
                foreach (JsonSchema member in variant.AllOf.Where(m => !m.HasReference).ToList())
                {
                    if (!member.Properties.TryGetValue(discriminatorName, out JsonSchemaProperty? property))
                    {
                        continue;
                    }

                    var values = property.ActualSchema.Enumeration.Select(v => Convert.ToString(v, CultureInfo.InvariantCulture)).ToList();
                    if (values.Count != 1 || values[0] != value)
                    {
                        throw new InvalidOperationException(
                            $"#/components/schemas/{variantName} (the variant the discriminator of {unionName} maps '{value}' to) lets `{discriminatorName}` be [{string.Join(", ", values)}] instead of only '{value}'.");
                    }

                    member.Properties.Remove(discriminatorName);
                }
            }
        }
    }
}
