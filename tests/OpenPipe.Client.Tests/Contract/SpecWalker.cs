using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using YamlDotNet.Serialization;

namespace OpenPipe.Client.Tests.Contract;

/// <summary>
/// Walks an OpenAPI document's request body and 200 response and lists every property path with
/// its facts: JSON types, enum values, required, nullable, defaults. $ref, allOf/anyOf/oneOf,
/// discriminator mappings, array items ("[]") and additionalProperties ("{}") are followed; union
/// branches merge. These are the rules the vendor's lists were derived with: vendor-paths.tsv
/// (<see cref="Walk"/>), vendor-defaults.tsv (<see cref="WalkDefaults"/>) and vendor-variants.tsv
/// (<see cref="WalkVariants"/>).
/// </summary>
internal sealed class SpecWalker
{
    private static readonly string[] Compositions = ["allOf", "anyOf", "oneOf"];
    private readonly Dictionary<object, object> document;
    private readonly Dictionary<string, Facts> facts = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SortedSet<string>> variantEnums = new(StringComparer.Ordinal);
    private readonly HashSet<string> visited = [];

    private SpecWalker(Dictionary<object, object> document) => this.document = document;

    public sealed class Facts
    {
        public SortedSet<string> Types { get; } = new(StringComparer.Ordinal);

        public SortedSet<string> Enums { get; } = new(StringComparer.Ordinal);

        public bool Required { get; set; }

        public bool Nullable { get; set; }

        /// <summary>The defaults written at this path, as canonical JSON-like text.</summary>
        public SortedSet<string> Defaults { get; } = new(StringComparer.Ordinal);

        public string Format(string path) =>
            string.Join('\t', path, Types.Count == 0 ? "-" : string.Join(',', Types), Enums.Count == 0 ? "-" : string.Join(',', Enums),
                Required ? "required" : "optional", Nullable ? "nullable" : "not-null");
    }

    /// <summary>Lines in the format of vendor-paths.tsv, keyed by path.</summary>
    public static Dictionary<string, string> Walk(string yamlPath) =>
        Walkers(yamlPath).SelectMany(w => w.Walker.facts.Select(f => (Key: $"{w.Kind}:{f.Key}", Line: f.Value.Format($"{w.Kind}:{f.Key}"))))
            .ToDictionary(p => p.Key, p => p.Line, StringComparer.Ordinal);

    /// <summary>
    /// Lines in the format of vendor-defaults.tsv, keyed by path: each path that has a default, with
    /// the defaults written there (<c>request:stream	false</c>), merged over union branches.
    /// </summary>
    public static Dictionary<string, string> WalkDefaults(string yamlPath) =>
        Walkers(yamlPath).SelectMany(w => w.Walker.facts.Where(f => f.Value.Defaults.Count > 0)
                .Select(f => (Key: $"{w.Kind}:{f.Key}", Line: $"{w.Kind}:{f.Key}\t{string.Join(" | ", f.Value.Defaults)}")))
            .ToDictionary(p => p.Key, p => p.Line, StringComparer.Ordinal);

    /// <summary>
    /// Lines in the format of vendor-variants.tsv, keyed by path: for each variant of a union (a
    /// discriminator's mapping, or anyOf/oneOf objects that each fix one value of a common property),
    /// each of the variant's own properties that has known values, with the values that variant
    /// allows (allOf members narrow each other: a variant that fixes `status` to `success` over a
    /// base that lists `success, error` allows `success`). The path is the union's, then the variant,
    /// then the property: <c>response:choices[].criteria_results{}&lt;status=success&gt;.status	success</c>.
    /// </summary>
    public static Dictionary<string, string> WalkVariants(string yamlPath) =>
        Walkers(yamlPath).SelectMany(w => w.Walker.variantEnums
                .Select(v => (Key: $"{w.Kind}:{v.Key}", Line: $"{w.Kind}:{v.Key}\t{string.Join(',', v.Value)}")))
            .ToDictionary(p => p.Key, p => p.Line, StringComparer.Ordinal);

    private static IEnumerable<(string Kind, SpecWalker Walker)> Walkers(string yamlPath)
    {
        var doc = (Dictionary<object, object>)new DeserializerBuilder().Build().Deserialize<object>(File.ReadAllText(yamlPath))!;
        var op = Map(Map(Map(doc["paths"])["/chat/completions"])["post"]);
        var body = Map(Map(Map(Map(op["requestBody"])["content"])["application/json"])["schema"]);
        var ok = Map(Map(Map(Map(op["responses"])["200"])["content"])["application/json"])["schema"];
        foreach (var (kind, schema) in new[] { ("request", (object)body), ("response", ok) })
        {
            var walker = new SpecWalker(doc);
            walker.Node(schema, string.Empty, []);
            yield return (kind, walker);
        }
    }

    private static Dictionary<object, object> Map(object o) => (Dictionary<object, object>)o;

    private static IEnumerable<object> List(Dictionary<object, object> s, string key) =>
        s.TryGetValue(key, out var v) && v is List<object> l ? l : [];

    private static bool IsTrue(Dictionary<object, object> s, string key) => s.TryGetValue(key, out var v) && v is "true";

    private Dictionary<object, object> Resolve(object schema)
    {
        var s = Map(schema);
        while (s.TryGetValue("$ref", out var reference))
        {
            object current = document;
            foreach (var part in ((string)reference)[2..].Split('/'))
            {
                current = Map(current)[part];
            }

            s = Map(current);
        }

        return s;
    }

    private SortedSet<string> TypesOf(object schema)
    {
        var s = Resolve(schema);
        var types = new SortedSet<string>(StringComparer.Ordinal);
        if (s.TryGetValue("type", out var t))
        {
            types.Add((string)t);
        }

        foreach (var member in Compositions.SelectMany(k => List(s, k)))
        {
            types.UnionWith(TypesOf(member));
        }

        return types;
    }

    private SortedSet<string> EnumsOf(object schema)
    {
        var s = Resolve(schema);
        var values = new SortedSet<string>(StringComparer.Ordinal);
        // A branch that only says "or null" ({enum: [null]}, or the vendor's {nullable: true, enum: [...]} without a type) is nullability, not an enum.
        if (!IsNullBranch(s))
        {
            values.UnionWith(List(s, "enum").Select(v => v?.ToString() ?? "null"));
        }

        foreach (var member in Compositions.SelectMany(k => List(s, k)))
        {
            values.UnionWith(EnumsOf(member));
        }

        return values;
    }

    /// <summary>The defaults of a schema and of its allOf members.</summary>
    private IEnumerable<string> DefaultsOf(object schema)
    {
        var s = Resolve(schema);
        var own = s.TryGetValue("default", out var value) ? [Canonical(value)] : Enumerable.Empty<string>();
        return own.Concat(List(s, "allOf").SelectMany(DefaultsOf));
    }

    /// <summary>A YAML value as text that is the same for the same value in either document.</summary>
    private static string Canonical(object? value) => value switch
    {
        null => "null",
        string text => $"\"{text}\"",
        Dictionary<object, object> map => "{" + string.Join(", ", map.OrderBy(p => (string)p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}: {Canonical(p.Value)}")) + "}",
        List<object> list => "[" + string.Join(", ", list.Select(Canonical)) + "]",
        _ => value.ToString() ?? "null",
    };

    /// <summary>
    /// The values a schema allows, where it lists them: its own enum, narrowed by each allOf member
    /// that lists values and by the union of what its anyOf/oneOf members list (an "or null" member
    /// lists nothing). Empty when nothing is listed.
    /// </summary>
    private SortedSet<string> KnownOf(object schema)
    {
        var s = Resolve(schema);
        var sets = new List<SortedSet<string>>();
        if (s.ContainsKey("enum") && !IsNullBranch(s))
        {
            sets.Add(new SortedSet<string>(List(s, "enum").Where(v => v is not null).Select(v => v!.ToString()!), StringComparer.Ordinal));
        }

        sets.AddRange(List(s, "allOf").Select(KnownOf).Where(k => k.Count > 0));
        var alternatives = new SortedSet<string>(List(s, "anyOf").Concat(List(s, "oneOf")).SelectMany(KnownOf), StringComparer.Ordinal);
        if (alternatives.Count > 0)
        {
            sets.Add(alternatives);
        }

        return Narrow(sets);
    }

    private static SortedSet<string> Narrow(List<SortedSet<string>> sets)
    {
        var result = new SortedSet<string>(sets.FirstOrDefault() ?? [], StringComparer.Ordinal);
        foreach (var set in sets.Skip(1))
        {
            result.IntersectWith(set);
        }

        return result;
    }

    /// <summary>A schema's properties, each with its schemas there and in its allOf members (which all apply).</summary>
    private Dictionary<string, List<object>> PropertiesOf(object schema)
    {
        var s = Resolve(schema);
        var result = new Dictionary<string, List<object>>(StringComparer.Ordinal);
        if (s.TryGetValue("properties", out var props) && props is Dictionary<object, object> properties)
        {
            foreach (var (name, property) in properties)
            {
                result[(string)name] = [property];
            }
        }

        foreach (var member in List(s, "allOf"))
        {
            foreach (var (name, schemas) in PropertiesOf(member))
            {
                if (result.TryGetValue(name, out var list))
                {
                    list.AddRange(schemas);
                }
                else
                {
                    result[name] = [.. schemas];
                }
            }
        }

        return result;
    }

    /// <summary>
    /// The variants of a union with their labels (<c>status=success</c>): a discriminator's mapping,
    /// or two or more anyOf/oneOf objects that each allow one, different value of a common property.
    /// </summary>
    private IEnumerable<(string Label, object Variant)> VariantsOf(Dictionary<object, object> s)
    {
        if (s.TryGetValue("discriminator", out var d) && Map(d).TryGetValue("mapping", out var mapping))
        {
            string property = (string)Map(d)["propertyName"];
            return Map(mapping).Select(m => ($"{property}={m.Key}", (object)new Dictionary<object, object> { ["$ref"] = m.Value }));
        }

        var objects = List(s, "anyOf").Concat(List(s, "oneOf")).Where(m => PropertiesOf(m).Count > 0).ToList();
        if (objects.Count < 2)
        {
            return [];
        }

        var common = objects.Select(o => (IEnumerable<string>)PropertiesOf(o).Keys).Aggregate((a, b) => a.Intersect(b)).Order(StringComparer.Ordinal).ToList();
        foreach (string property in common)
        {
            var values = objects.Select(o => Narrow([.. PropertiesOf(o)[property].Select(KnownOf).Where(k => k.Count > 0)])).ToList();
            if (values.All(v => v.Count == 1) && values.Select(v => v.Min).Distinct().Count() == values.Count)
            {
                return objects.Select((o, i) => ($"{property}={values[i].Min}", o));
            }
        }

        return [];
    }

    private bool NullableOf(object schema)
    {
        var s = Resolve(schema);
        return IsTrue(s, "nullable") || IsOnlyNull(s) || Compositions.SelectMany(k => List(s, k)).Any(NullableOf);
    }

    /// <summary>An "or null" member of a union: an enum of only null, or `nullable` with no type (whatever its enum says).</summary>
    private static bool IsNullBranch(Dictionary<object, object> s) =>
        IsOnlyNull(s) || (IsTrue(s, "nullable") && (!s.ContainsKey("type") || List(s, "enum").All(v => v is null)));

    /// <summary>A schema whose enum holds only null: the spec's "or null" member of a union.</summary>
    private static bool IsOnlyNull(Dictionary<object, object> s) =>
        List(s, "enum").Any() && List(s, "enum").All(v => v is null);

    private void Node(object schema, string prefix, HashSet<string> inheritedRequired)
    {
        var s = Resolve(schema);
        string key = $"{System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(s)}|{prefix}|{string.Join(',', inheritedRequired.Order(StringComparer.Ordinal))}";
        if (!visited.Add(key))
        {
            return;
        }

        foreach (var (label, variant) in VariantsOf(s))
        {
            foreach (var (name, schemas) in PropertiesOf(variant))
            {
                var known = Narrow([.. schemas.Select(KnownOf).Where(k => k.Count > 0)]);
                if (known.Count > 0)
                {
                    string at = $"{prefix}<{label}>.{name}";
                    if (!variantEnums.TryGetValue(at, out var values))
                    {
                        variantEnums[at] = values = new SortedSet<string>(StringComparer.Ordinal);
                    }

                    values.UnionWith(known);
                }
            }
        }

        var required = new HashSet<string>(List(s, "required").Cast<string>(), StringComparer.Ordinal);
        required.UnionWith(inheritedRequired);
        if (s.TryGetValue("properties", out var props) && props is Dictionary<object, object> properties)
        {
            foreach (var (nameObj, property) in properties)
            {
                string name = (string)nameObj;
                string path = prefix.Length == 0 ? name : prefix + "." + name;
                if (!facts.TryGetValue(path, out var f))
                {
                    facts[path] = f = new Facts();
                }

                f.Types.UnionWith(TypesOf(property));
                f.Enums.UnionWith(EnumsOf(property));
                f.Required |= required.Contains(name);
                f.Nullable |= NullableOf(property);
                f.Defaults.UnionWith(DefaultsOf(property));
                Node(property, path, []);
            }
        }

        if (s.TryGetValue("items", out var items))
        {
            Node(items, prefix + "[]", []);
        }

        if (s.TryGetValue("additionalProperties", out var additional) && additional is Dictionary<object, object> { Count: > 0 })
        {
            Node(additional, prefix + "{}", []);
        }

        var allRequired = new HashSet<string>(List(s, "allOf").SelectMany(m => List(Resolve(m), "required")).Cast<string>(), StringComparer.Ordinal);
        allRequired.UnionWith(inheritedRequired);
        foreach (var member in List(s, "allOf"))
        {
            Node(member, prefix, allRequired);
        }

        foreach (var member in List(s, "anyOf").Concat(List(s, "oneOf")))
        {
            Node(member, prefix, inheritedRequired);
        }

        if (s.TryGetValue("discriminator", out var d) && Map(d).TryGetValue("mapping", out var mapping))
        {
            foreach (var target in Map(mapping).Values)
            {
                Node(new Dictionary<object, object> { ["$ref"] = target }, prefix, []);
            }
        }
    }
}
