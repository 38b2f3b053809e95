using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using YamlDotNet.Serialization;

namespace OpenPipe.Client.Tests.Contract;

/// <summary>
/// Walks an OpenAPI document's request body and 200 response and lists every property path with
/// its facts: JSON types, enum values, required, nullable. $ref, allOf/anyOf/oneOf, discriminator
/// mappings, array items ("[]") and additionalProperties ("{}") are followed; union branches merge.
/// These are the rules the vendor's list in vendor-paths.tsv was derived with.
/// </summary>
internal sealed class SpecWalker
{
    private static readonly string[] Compositions = ["allOf", "anyOf", "oneOf"];
    private readonly Dictionary<object, object> document;
    private readonly Dictionary<string, Facts> facts = new(StringComparer.Ordinal);
    private readonly HashSet<string> visited = [];

    private SpecWalker(Dictionary<object, object> document) => this.document = document;

    public sealed class Facts
    {
        public SortedSet<string> Types { get; } = new(StringComparer.Ordinal);

        public SortedSet<string> Enums { get; } = new(StringComparer.Ordinal);

        public bool Required { get; set; }

        public bool Nullable { get; set; }

        public string Format(string path) =>
            string.Join('\t', path, Types.Count == 0 ? "-" : string.Join(',', Types), Enums.Count == 0 ? "-" : string.Join(',', Enums),
                Required ? "required" : "optional", Nullable ? "nullable" : "not-null");
    }

    /// <summary>Lines in the format of vendor-paths.tsv, keyed by path.</summary>
    public static Dictionary<string, string> Walk(string yamlPath)
    {
        var doc = (Dictionary<object, object>)new DeserializerBuilder().Build().Deserialize<object>(File.ReadAllText(yamlPath))!;
        var op = Map(Map(Map(doc["paths"])["/chat/completions"])["post"]);
        var body = Map(Map(Map(Map(op["requestBody"])["content"])["application/json"])["schema"]);
        var ok = Map(Map(Map(Map(op["responses"])["200"])["content"])["application/json"])["schema"];
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (kind, schema) in new[] { ("request", (object)body), ("response", ok) })
        {
            var walker = new SpecWalker(doc);
            walker.Node(schema, string.Empty, []);
            foreach (var (path, f) in walker.facts)
            {
                result[$"{kind}:{path}"] = f.Format($"{kind}:{path}");
            }
        }

        return result;
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
        // A branch that only says "or null" ({enum: [null]}) is nullability, not an enum.
        if (!IsOnlyNull(s))
        {
            values.UnionWith(List(s, "enum").Select(v => v?.ToString() ?? "null"));
        }

        foreach (var member in Compositions.SelectMany(k => List(s, k)))
        {
            values.UnionWith(EnumsOf(member));
        }

        return values;
    }

    private bool NullableOf(object schema)
    {
        var s = Resolve(schema);
        return IsTrue(s, "nullable") || IsOnlyNull(s) || Compositions.SelectMany(k => List(s, k)).Any(NullableOf);
    }

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
