// The generated serialization of the wire types: for every class NSwag generates from the spec, a
// file Generated/Serialization/{Class}.Serialization.g.cs beside the DTOs with a straight-line
// System.Text.Json reader (TryReadJson) and a writer (WriteJson) of the bytes Newtonsoft writes, made
// from the same NJsonSchema class models the DTOs were made from (names, .NET types, required members,
// nullability, extension data, discriminators), and a registry (WireTypes.g.cs) that maps each type
// to its reader. The runtime pieces they call are hand-written (OpenPipe.Models: Custom/Serialization/WireJson.cs,
// JsonBytes.cs); the string-or-array unions (excludedTypeNames) write their own TryReadJson/WriteJson
// beside their Newtonsoft converters. A member of a .NET type this writer does not know stops the
// generation with an error naming it, so a spec change never compiles into a silent fallback.

using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using NJsonSchema;
using NJsonSchema.CodeGeneration.CSharp;
using NJsonSchema.CodeGeneration.CSharp.Models;
using NSwag;

namespace OpenPipe.CodeGen;

/// <summary>A .NET type of a generated member, as the serializers read and write it.</summary>
internal abstract record WireType
{
    /// <summary>Whether a JSON null can be stored in a variable of this type (a reference type).</summary>
    public abstract bool IsReference { get; }

    /// <summary>The .NET type, as the DTOs spell it (without a nullable mark).</summary>
    public abstract string CSharp { get; }
}

internal sealed record PrimitiveType(string Name) : WireType
{
    public override bool IsReference => Name is "string" or "object";

    public override string CSharp => Name;
}

internal sealed record OpenValueType(string Name) : WireType
{
    public override bool IsReference => false;

    public override string CSharp => Name;
}

/// <summary>A generated class, or a hand-written union with TryReadJson/WriteJson of its own.</summary>
internal sealed record ObjectType(string Name) : WireType
{
    public override bool IsReference => true;

    public override string CSharp => Name;
}

/// <summary>A list of doubles: NumberListConverter's type.</summary>
internal sealed record NumbersType(string Spelling) : WireType
{
    public override bool IsReference => true;

    public override string CSharp => Spelling;
}

internal sealed record ListType(WireType Item, string Spelling) : WireType
{
    public override bool IsReference => true;

    public override string CSharp => Spelling;
}

internal sealed record DictionaryType(WireType Value, string Spelling) : WireType
{
    public override bool IsReference => true;

    public override string CSharp => Spelling;
}

/// <summary>One member of a class: its .NET and JSON names, its type, how Newtonsoft treats a null.</summary>
/// <param name="Name">The .NET property.</param>
/// <param name="JsonName">The JSON name.</param>
/// <param name="Type">The member's type.</param>
/// <param name="Nullable">Whether the .NET property is nullable.</param>
/// <param name="Required">Whether the JSON must have it (Required.Always or AllowNull).</param>
/// <param name="AllowNull">Whether a null is a value of it (Required.AllowNull: read and written as null).</param>
internal sealed record WireMember(string Name, string JsonName, WireType Type, bool Nullable, bool Required, bool AllowNull)
{
    /// <summary>The constraints NSwag rendered as DataAnnotations attributes, which the generated validation checks.</summary>
    public WireConstraints Constraints { get; init; } = WireConstraints.None;
}

/// <summary>What the spec constrains of a member (NSwag's [Required], [Range], [MinLength], [MaxLength], [StringLength]).</summary>
/// <param name="Required">[Required]: not null (and, for a string without AllowEmptyStrings, not blank).</param>
/// <param name="AllowEmptyStrings">[Required(AllowEmptyStrings = true)].</param>
/// <param name="Range">[Range(min, max)]: the .NET type and both bounds as C# literals.</param>
/// <param name="MinLength">[MinLength(n)].</param>
/// <param name="MaxLength">[MaxLength(n)].</param>
/// <param name="StringLength">[StringLength(max, MinimumLength = min)].</param>
internal sealed record WireConstraints(bool Required, bool AllowEmptyStrings, (string Type, string Min, string Max)? Range, int? MinLength, int? MaxLength, (int Min, string Max)? StringLength)
{
    public static WireConstraints None { get; } = new(false, false, null, null, null, null);
}

/// <summary>One generated class.</summary>
internal sealed record WireClass(
    string Name,
    string? BaseName,
    bool IsAbstract,
    IReadOnlyList<WireMember> Members,
    bool DeclaresExtensionData,
    bool HasExtensionData,
    string? DiscriminatorName,
    IReadOnlyList<(string Value, string ClassName)> Derived,
    (string Name, string Value)? OwnDiscriminator);

/// <summary>Writes Generated/Serialization/ from the class models NSwag generated the DTOs from.</summary>
internal static class WireSerializationWriter
{
    /// <summary>The folder under the DTOs' folder that this writer owns.</summary>
    public const string FolderName = "Serialization";

    /// <summary>
    /// Writes one file per class and the registry into <paramref name="folder"/> (files no longer
    /// generated are deleted); returns how many classes it wrote.
    /// </summary>
    public static int Write(OpenApiDocument spec, CSharpTypeResolver resolver, CSharpGeneratorSettings settings, IReadOnlyCollection<string> openValues, IReadOnlyCollection<string> unions, string folder)
    {
        var classes = Describe(spec, resolver, settings, openValues, unions);
        Directory.CreateDirectory(folder);
        var written = new HashSet<string>(StringComparer.Ordinal);
        foreach (var type in classes)
        {
            string file = type.Name + ".Serialization.g.cs";
            File.WriteAllText(Path.Combine(folder, file), ClassFile(type, classes, settings.Namespace));
            written.Add(file);
        }

        File.WriteAllText(Path.Combine(folder, "WireTypes.g.cs"), Registry(classes, unions, settings.Namespace));
        written.Add("WireTypes.g.cs");
        foreach (string stale in Directory.GetFiles(folder, "*.g.cs").Where(f => !written.Contains(Path.GetFileName(f))))
        {
            File.Delete(stale);
        }

        return classes.Count;
    }

    private static List<WireClass> Describe(OpenApiDocument spec, CSharpTypeResolver resolver, CSharpGeneratorSettings settings, IReadOnlyCollection<string> openValues, IReadOnlyCollection<string> unions)
    {
        var names = new HashSet<string>(resolver.Types.Values, StringComparer.Ordinal);
        var models = new Dictionary<string, ClassTemplateModel>(StringComparer.Ordinal);
        foreach (var (schema, name) in resolver.Types.OrderBy(t => t.Value, StringComparer.Ordinal))
        {
            if (unions.Contains(name) || openValues.Contains(name) || settings.ExcludedTypeNames.Contains(name) || schema.ActualSchema.IsEnumeration)
            {
                continue;
            }

            models[name] = new ClassTemplateModel(name, settings, resolver, schema, spec);
        }

        var enums = resolver.Types.Where(t => t.Key.ActualSchema.IsEnumeration).Select(t => t.Value).ToHashSet(StringComparer.Ordinal);
        WireType Resolve(string owner, PropertyModel property)
        {
            string spelling = property.Type.TrimEnd('?');
            return Parse(spelling) ?? throw new InvalidOperationException(
                $"{owner}.{property.PropertyName} ('{property.Name}') is a {property.Type}, which the generated serialization does not read or write (OPG005).");

            WireType? Parse(string type)
            {
                const string List = "System.Collections.Generic.IList<";
                const string Dictionary = "System.Collections.Generic.IDictionary<string, ";
                if (type.StartsWith(List, StringComparison.Ordinal) && type.EndsWith('>'))
                {
                    string item = type[List.Length..^1];
                    return item == "double" ? new NumbersType(type) : Parse(item) is { } inner ? new ListType(inner, type) : null;
                }

                if (type.StartsWith(Dictionary, StringComparison.Ordinal) && type.EndsWith('>'))
                {
                    return Parse(type[Dictionary.Length..^1]) is { } value ? new DictionaryType(value, type) : null;
                }

                return type switch
                {
                    "string" or "bool" or "int" or "long" or "double" or "object" or "System.DateTimeOffset" => new PrimitiveType(type),
                    _ when openValues.Contains(type) => new OpenValueType(type),
                    _ when unions.Contains(type) || (names.Contains(type) && !enums.Contains(type)) => new ObjectType(type),
                    _ => null,
                };
            }
        }

        var result = new List<WireClass>();
        foreach (var (name, model) in models)
        {
            // Newtonsoft's order: the class's own members first, then each base class's.
            var members = new List<WireMember>();
            for (ClassTemplateModel? level = model; level is not null; level = level.BaseClass)
            {
                foreach (var property in level.Properties)
                {
                    string required = property.JsonPropertyRequiredCode;
                    if (property.RenderRegularExpressionAttribute)
                    {
                        throw new InvalidOperationException($"{level.ClassName}.{property.PropertyName} ('{property.Name}') has a pattern, which the generated validation does not check (OPG005).");
                    }

                    // NJsonSchema's naming: PropertyName is the .NET property, Name the JSON one.
                    members.Add(new WireMember(
                        property.PropertyName,
                        property.Name,
                        Resolve(level.ClassName, property),
                        property.Type.EndsWith('?'),
                        Required: required.EndsWith(".Always", StringComparison.Ordinal) || required.EndsWith(".AllowNull", StringComparison.Ordinal),
                        AllowNull: required.EndsWith(".AllowNull", StringComparison.Ordinal))
                    {
                        Constraints = new WireConstraints(
                            property.RenderRequiredAttribute,
                            property.AllowEmptyStrings,
                            property.RenderRangeAttribute ? (property.RangeType ?? "double", property.RangeMinimumValue, property.RangeMaximumValue) : null,
                            property.RenderMinLengthAttribute ? property.MinLengthAttribute : null,
                            property.RenderMaxLengthAttribute ? property.MaxLengthAttribute : null,
                            property.RenderStringLengthAttribute ? (property.StringLengthMinimumValue, property.StringLengthMaximumValue) : null),
                    });
                }
            }

            if (members.Count > 64)
            {
                throw new InvalidOperationException($"{name} has {members.Count} members; the generated reader tracks at most 64 (OPG005).");
            }

            bool declares = model.GenerateAdditionalPropertiesProperty && !model.HasAdditionalPropertiesTypeInBaseClass;
            bool has = false;
            for (ClassTemplateModel? level = model; level is not null; level = level.BaseClass)
            {
                has |= level.GenerateAdditionalPropertiesProperty;
            }

            // The root of a union names its discriminator; each subclass is known by its value there.
            ClassTemplateModel root = model;
            while (root.BaseClass is not null)
            {
                root = root.BaseClass;
            }

            (string, string)? own = null;
            if (!ReferenceEquals(root, model) && root.HasDiscriminator
                && root.DerivedClasses.FirstOrDefault(d => d.ClassName == name) is { } mine)
            {
                own = (root.Discriminator!, mine.Discriminator);
            }

            result.Add(new WireClass(
                name,
                model.BaseClassName,
                model.IsAbstract,
                members,
                declares,
                has,
                model.HasDiscriminator ? model.Discriminator : null,
                model.HasDiscriminator ? [.. model.DerivedClasses.Where(d => !d.IsAbstract).Select(d => (d.Discriminator, d.ClassName))] : [],
                own));
        }

        return result;
    }

    private static string ClassFile(WireClass type, List<WireClass> all, string ns)
    {
        var code = new Code();
        code.Line("//----------------------");
        code.Line("// <auto-generated>");
        code.Line($"//     Generated by OpenPipe.CodeGen from openapi/openpipe.yaml: the JSON of {type.Name}. Do not edit.");
        code.Line("// </auto-generated>");
        code.Line("//----------------------");
        code.Line();
        code.Line("#nullable enable");
        code.Line();
        code.Line("using System.Diagnostics.CodeAnalysis;");
        code.Line("using System.Text.Json;");
        code.Line();
        code.Line($"namespace {ns};");
        code.Line();
        bool polymorphic = type.DiscriminatorName is not null || type.BaseName is not null;
        bool rootOfUnion = type.BaseName is null && polymorphic;
        code.Line($"public partial class {type.Name}{(type.BaseName is null ? " : IWireWritable, IWireValidatable" : string.Empty)}");
        code.Open();
        string[] names = [.. type.Members.Select(m => m.JsonName)];
        code.Line($"private static readonly string[] JsonMembers = [{string.Join(", ", names.Select(Literal))}];");
        code.Line();

        if (type.DeclaresExtensionData)
        {
            code.Line("/// <summary>The extension data when there is any, without creating it (the public getter does).</summary>");
            code.Line("internal System.Collections.Generic.IDictionary<string, object>? AdditionalPropertiesIfAny() => _additionalProperties;");
            code.Line();
        }

        WriteReader(code, type, names);
        code.Line();
        WriteWriter(code, type, polymorphic, rootOfUnion);
        code.Line();
        WriteValidation(code, type, polymorphic, rootOfUnion);
        code.Close();
        return code.ToString();
    }

    private static void WriteReader(Code code, WireClass type, string[] names)
    {
        code.Line($"/// <summary>Reads a {type.Name} the way Newtonsoft does with the wire settings; false for input outside the common shape.</summary>");
        code.Line($"internal static bool TryReadJson(ref Utf8JsonReader reader, [MaybeNullWhen(false)] out {type.Name} value)");
        code.Open();
        code.Line("value = default;");
        code.Line("if (reader.TokenType != JsonTokenType.StartObject)");
        code.Open();
        code.Line("return false;");
        code.Close();
        code.Line();
        if (type.DiscriminatorName is not null && type.Derived.Count > 0)
        {
            code.Line($"string? kind = WireJson.LookAhead(reader, {Utf8(type.DiscriminatorName)}, out _);");
            code.Line("switch (kind)");
            code.Open();
            foreach (var (value, className) in type.Derived)
            {
                code.Line($"case {Literal(value)}:");
                code.Indent();
                code.Line($"if (!{className}.TryReadJsonMembers(ref reader, skipDiscriminator: true, out var {Variable(className)}))");
                code.Open();
                code.Line("return false;");
                code.Close();
                code.Line();
                code.Line($"value = {Variable(className)};");
                code.Line("return true;");
                code.Outdent();
            }

            code.Close();
            code.Line();
        }

        if (type.IsAbstract)
        {
            code.Line("return false;");
            code.Close();
            return;
        }

        if (type.OwnDiscriminator is { } own)
        {
            // Read as this class: its own discriminator value is left out, as Newtonsoft's JsonInheritanceConverter leaves it.
            code.Line($"bool mine = WireJson.LookAhead(reader, {Utf8(own.Name)}, out _) == {Literal(own.Value)};");
            code.Line("return TryReadJsonMembers(ref reader, skipDiscriminator: mine, out value);");
        }
        else
        {
            code.Line("return TryReadJsonMembers(ref reader, skipDiscriminator: false, out value);");
        }
        code.Close();
        code.Line();
        code.Line("/// <summary>Reads the members of the object the reader is on; with <paramref name=\"skipDiscriminator\"/> the union's discriminator (already matched to this class) is left out.</summary>");
        code.Line($"internal static bool TryReadJsonMembers(ref Utf8JsonReader reader, bool skipDiscriminator, [MaybeNullWhen(false)] out {type.Name} value)");
        code.Open();
        code.Line("value = default;");
        code.Line($"var result = new {type.Name}();");
        if (type.HasExtensionData)
        {
            code.Line("System.Collections.Generic.IDictionary<string, object>? extension = null;");
        }

        code.Line("ulong seen = 0;");
        code.Line("bool skipped = false;");
        code.Line("while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)");
        code.Open();
        for (int i = 0; i < type.Members.Count; i++)
        {
            var member = type.Members[i];
            code.Line($"if (reader.ValueTextEquals({Utf8(member.JsonName)}))");
            code.Open();
            code.Line($"if ((seen & {Bit(i)}) != 0 || !reader.Read())");
            code.Open();
            code.Line("return false;");
            code.Close();
            code.Line();
            code.Line($"seen |= {Bit(i)};");
            code.Line("if (reader.TokenType == JsonTokenType.Null)");
            code.Open();
            if (member.AllowNull)
            {
                code.Line($"result.{member.Name} = null;");
            }
            else if (member.Required)
            {
                code.Line("return false;");
            }
            else
            {
                code.Line("continue;");
            }

            code.Close();
            code.Line();
            string variable = ReadValue(code, member.Type, 0);
            code.Line($"result.{member.Name} = {variable}{Bang(member.Type)};");
            code.Line("continue;");
            code.Close();
            code.Line();
        }

        string? discriminator = type.OwnDiscriminator?.Name;
        if (discriminator is not null)
        {
            code.Line($"if (skipDiscriminator && reader.ValueTextEquals({Utf8(discriminator)}))");
            code.Open();
            code.Line("if (skipped || !reader.Read() || !reader.TrySkip())");
            code.Open();
            code.Line("return false;");
            code.Close();
            code.Line();
            code.Line("skipped = true;");
            code.Line("continue;");
            code.Close();
            code.Line();
        }
        else
        {
            code.Line("_ = skipDiscriminator;");
            code.Line("_ = skipped;");
        }

        code.Line(type.HasExtensionData
            ? "if (!WireJson.TryReadExtension(ref reader, ref extension, JsonMembers))"
            : "if (!WireJson.TrySkipUnknown(ref reader, JsonMembers))");
        code.Open();
        code.Line("return false;");
        code.Close();
        code.Close();
        code.Line();
        ulong required = 0;
        for (int i = 0; i < type.Members.Count; i++)
        {
            if (type.Members[i].Required)
            {
                required |= 1UL << i;
            }
        }

        code.Line($"if (reader.TokenType != JsonTokenType.EndObject || (seen & 0x{required:X}UL) != 0x{required:X}UL)");
        code.Open();
        code.Line("return false;");
        code.Close();
        code.Line();
        if (type.HasExtensionData)
        {
            code.Line("if (extension is not null)");
            code.Open();
            code.Line("result.AdditionalProperties = extension;");
            code.Close();
            code.Line();
        }

        code.Line("value = result;");
        code.Line("return true;");
        code.Close();
    }

    /// <summary>Emits the read of the value the reader is on into a new variable; returns its name.</summary>
    private static string ReadValue(Code code, WireType type, int depth)
    {
        string v = "v" + depth.ToString(CultureInfo.InvariantCulture);
        switch (type)
        {
            case PrimitiveType { Name: "object" }:
                code.Line($"if (!WireJson.TryReadAny(ref reader, out object? {v}))");
                break;
            case PrimitiveType primitive:
                string method = primitive.Name switch { "string" => "String", "bool" => "Boolean", "int" => "Int32", "long" => "Int64", "System.DateTimeOffset" => "DateTimeOffset", _ => "Double" };
                code.Line($"if (!WireJson.TryRead{method}(ref reader, out {(primitive.Name == "string" ? "string?" : primitive.Name)} {v}))");
                break;
            case OpenValueType open:
                code.Line($"if (!WireJson.TryReadOpen(ref reader, out {open.Name} {v}))");
                break;
            case ObjectType obj:
                code.Line($"if (!{obj.Name}.TryReadJson(ref reader, out var {v}))");
                break;
            case NumbersType:
                code.Line($"if (!WireJson.TryReadNumbers(ref reader, out var {v}))");
                break;
            case ListType list:
                code.Line("if (reader.TokenType != JsonTokenType.StartArray)");
                code.Open();
                code.Line("return false;");
                code.Close();
                code.Line();
                code.Line($"var {v} = new System.Collections.Generic.List<{list.Item.CSharp}>();");
                code.Line("while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)");
                code.Open();
                code.Line("if (reader.TokenType == JsonTokenType.Null)");
                code.Open();
                code.Line("return false;");
                code.Close();
                code.Line();
                string item = ReadValue(code, list.Item, depth + 1);
                code.Line($"{v}.Add({item}{Bang(list.Item)});");
                code.Close();
                code.Line();
                return v;
            case DictionaryType dictionary:
                code.Line("if (reader.TokenType != JsonTokenType.StartObject)");
                code.Open();
                code.Line("return false;");
                code.Close();
                code.Line();
                code.Line($"var {v} = new System.Collections.Generic.Dictionary<string, {dictionary.Value.CSharp}>();");
                code.Line("while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)");
                code.Open();
                string key = "k" + depth.ToString(CultureInfo.InvariantCulture);
                code.Line($"string {key} = reader.GetString()!;");
                code.Line("if (!reader.Read())");
                code.Open();
                code.Line("return false;");
                code.Close();
                code.Line();
                code.Line("if (reader.TokenType == JsonTokenType.Null)");
                code.Open();
                if (dictionary.Value.IsReference)
                {
                    code.Line($"if (!{v}.TryAdd({key}, default!))");
                    code.Open();
                    code.Line("return false;");
                    code.Close();
                    code.Line();
                    code.Line("continue;");
                }
                else
                {
                    code.Line("return false;");
                }

                code.Close();
                code.Line();
                string value = ReadValue(code, dictionary.Value, depth + 1);
                code.Line($"if (!{v}.TryAdd({key}, {value}{Bang(dictionary.Value)}))");
                code.Open();
                code.Line("return false;");
                code.Close();
                code.Close();
                code.Line();
                return v;
            default:
                throw new InvalidOperationException($"Unknown wire type {type}.");
        }

        code.Open();
        code.Line("return false;");
        code.Close();
        code.Line();
        return v;
    }

    private static void WriteWriter(Code code, WireClass type, bool polymorphic, bool rootOfUnion)
    {
        if (type.BaseName is null)
        {
            code.Line("void IWireWritable.WriteJson(JsonBytes writer) => WriteJson(writer);");
            code.Line();
        }

        string modifier = !polymorphic ? string.Empty : rootOfUnion ? "virtual " : "override ";
        code.Line($"/// <summary>Writes this {type.Name} as Newtonsoft writes it with the wire settings.</summary>");
        code.Line($"internal {modifier}void WriteJson(JsonBytes writer)");
        code.Open();
        code.Line("writer.StartObject();");
        if (type.OwnDiscriminator is { } own)
        {
            code.Line($"writer.Name({NameUtf8(own.Name)});");
            code.Line($"writer.String({Literal(own.Value)});");
        }

        for (int i = 0; i < type.Members.Count; i++)
        {
            var member = type.Members[i];
            string v = "m" + i.ToString(CultureInfo.InvariantCulture);
            bool alwaysValue = !member.Type.IsReference && !member.Nullable;
            if (alwaysValue)
            {
                code.Line($"writer.Name({NameUtf8(member.JsonName)});");
                WriteValue(code, member.Type, "this." + member.Name, 0);
                continue;
            }

            code.Line($"if (this.{member.Name} is {{ }} {v})");
            code.Open();
            code.Line($"writer.Name({NameUtf8(member.JsonName)});");
            WriteValue(code, member.Type, v, 0);
            code.Close();
            if (member.AllowNull)
            {
                code.Line("else");
                code.Open();
                code.Line($"writer.Name({NameUtf8(member.JsonName)});");
                code.Line("writer.Null();");
                code.Close();
            }
        }

        if (type.HasExtensionData)
        {
            code.Line(type.OwnDiscriminator is { } d
                ? $"WireJson.WriteExtension(writer, AdditionalPropertiesIfAny(), {Literal(d.Name)});"
                : "WireJson.WriteExtension(writer, AdditionalPropertiesIfAny());");
        }

        code.Line("writer.EndObject();");
        code.Close();
    }

    /// <summary>
    /// Emits the class's validation: each member's constraints in member order (a failed [Required]
    /// skips the member's other checks), the class's own rule (the partial ValidateObject) when its
    /// members passed, then the members that hold wire objects, with their JSON paths.
    /// </summary>
    private static void WriteValidation(Code code, WireClass type, bool polymorphic, bool rootOfUnion)
    {
        if (type.BaseName is null)
        {
            code.Line("void IWireValidatable.Validate(WireValidation validation) => Validate(validation);");
            code.Line();
        }

        code.Line("/// <summary>A class's own rule, checked when its members passed (written by hand where a class has one).</summary>");
        code.Line("partial void ValidateObject(WireValidation validation);");
        code.Line();
        code.Line("/// <summary>Whether the members' constraints apply (a hand-written partial may say they do not, for a kind it does not model).</summary>");
        code.Line("partial void ValidatingMembers(ref bool check);");
        code.Line();
        string modifier = !polymorphic ? string.Empty : rootOfUnion ? "virtual " : "override ";
        code.Line($"/// <summary>Reports each constraint of the spec this {type.Name} or anything in it breaks, with its JSON path.</summary>");
        code.Line($"internal {modifier}void Validate(WireValidation validation)");
        code.Open();
        code.Line("int before = validation.Count;");
        code.Line("bool check = true;");
        code.Line("ValidatingMembers(ref check);");
        code.Line("if (check)");
        code.Open();
        foreach (var member in type.Members)
        {
            WriteConstraints(code, member);
        }

        code.Close();
        code.Line();
        code.Line("if (validation.Count == before)");
        code.Open();
        code.Line("ValidateObject(validation);");
        code.Close();
        foreach (var member in type.Members.Where(m => HoldsWireObjects(m.Type)))
        {
            code.Line();
            string v = "c" + type.Members.ToList().IndexOf(member).ToString(CultureInfo.InvariantCulture);
            code.Line($"if (this.{member.Name} is {{ }} {v} && validation.Enter({Literal(member.JsonName)}))");
            code.Open();
            if (member.Type is ListType)
            {
                code.Line($"for (int i = 0; i < {v}.Count; i++)");
                code.Open();
                code.Line($"if ({v}[i] is {{ }} item && validation.Enter(i))");
                code.Open();
                code.Line("item.Validate(validation);");
                code.Line("validation.Leave();");
                code.Close();
                code.Close();
            }
            else
            {
                code.Line($"{v}.Validate(validation);");
            }

            code.Line();
            code.Line("validation.Leave();");
            code.Close();
        }

        code.Close();
    }

    /// <summary>Whether a member can hold objects whose constraints are checked (dictionaries and untyped values carry none).</summary>
    private static bool HoldsWireObjects(WireType type) => type is ObjectType || type is ListType { Item: ObjectType };

    private static void WriteConstraints(Code code, WireMember member)
    {
        var c = member.Constraints;
        string name = Literal(member.JsonName);
        string value = "this." + member.Name;
        bool isString = member.Type is PrimitiveType { Name: "string" };
        var checks = new List<(string Failed, string Report)>();
        if (c.MinLength is { } min)
        {
            checks.Add(($"{Length(member.Type, value)} < {min}", $"validation.MinLength({name}, {min});"));
        }

        if (c.MaxLength is { } max)
        {
            checks.Add(($"{Length(member.Type, value)} > {max}", $"validation.MaxLength({name}, {max});"));
        }

        if (c.StringLength is { } length)
        {
            checks.Add(($"{value}!.Length < {length.Min} || {value}!.Length > {length.Max}", $"validation.StringLength({name}, {length.Max}, {length.Min});"));
        }

        if (c.Range is { } range)
        {
            string v = "r" + member.Name;
            string read = member.Type.IsReference || member.Nullable ? $"{value} is {{ }} {v}" : $"{value} is var {v}";
            checks.Add(($"{read} && !({v} >= {range.Min} && {v} <= {range.Max})", $"validation.Range({name}, ({range.Type}){range.Min}, ({range.Type}){range.Max});"));
        }

        bool canBeNull = member.Type.IsReference || member.Nullable;
        bool required = c.Required && canBeNull;
        if (required)
        {
            string missing = isString && !c.AllowEmptyStrings ? $"string.IsNullOrWhiteSpace({value})" : $"{value} is null";
            code.Line($"if ({missing})");
            code.Open();
            code.Line($"validation.Required({name});");
            code.Close();
            if (checks.Count == 0)
            {
                return;
            }

            code.Line("else");
            code.Open();
        }

        foreach (var (failed, report) in checks)
        {
            bool guarded = failed.Contains(" is {", StringComparison.Ordinal) || failed.Contains(" is var ", StringComparison.Ordinal);
            code.Line(guarded || !canBeNull || required ? $"if ({failed})" : $"if ({value} is not null && ({failed}))");
            code.Open();
            code.Line(report);
            code.Close();
        }

        if (required)
        {
            code.Close();
        }
    }

    /// <summary>What [MinLength]/[MaxLength] count: a list's items or a string's characters.</summary>
    private static string Length(WireType type, string value) => type is PrimitiveType { Name: "string" } ? $"{value}!.Length" : $"{value}!.Count";

    /// <summary>Emits the write of a value that is not null.</summary>
    private static void WriteValue(Code code, WireType type, string value, int depth)
    {
        switch (type)
        {
            case PrimitiveType { Name: "object" }:
                code.Line($"WireJson.WriteAny(writer, {value});");
                break;
            case PrimitiveType { Name: "string" }:
                code.Line($"writer.String({value});");
                break;
            case PrimitiveType { Name: "bool" }:
                code.Line($"writer.Boolean({value});");
                break;
            case PrimitiveType { Name: "int" or "long" }:
                code.Line($"writer.Integer({value});");
                break;
            case PrimitiveType { Name: "System.DateTimeOffset" }:
                code.Line($"writer.Date({value});");
                break;
            case PrimitiveType:
                code.Line($"writer.Number({value});");
                break;
            case OpenValueType:
                code.Line($"WireJson.WriteOpen(writer, {value});");
                break;
            case ObjectType:
                code.Line($"{value}.WriteJson(writer);");
                break;
            case NumbersType:
                code.Line($"WireJson.WriteNumbers(writer, {value});");
                break;
            case ListType list:
                string item = "i" + depth.ToString(CultureInfo.InvariantCulture);
                code.Line("writer.StartArray();");
                code.Line($"foreach (var {item} in {value})");
                code.Open();
                WriteNullable(code, list.Item, item, depth + 1);
                code.Close();
                code.Line();
                code.Line("writer.EndArray();");
                break;
            case DictionaryType dictionary:
                string pair = "p" + depth.ToString(CultureInfo.InvariantCulture);
                code.Line("writer.StartObject();");
                code.Line($"foreach (var {pair} in {value})");
                code.Open();
                code.Line($"writer.Name({pair}.Key);");
                WriteNullable(code, dictionary.Value, pair + ".Value", depth + 1);
                code.Close();
                code.Line();
                code.Line("writer.EndObject();");
                break;
            default:
                throw new InvalidOperationException($"Unknown wire type {type}.");
        }
    }

    private static void WriteNullable(Code code, WireType type, string value, int depth)
    {
        if (!type.IsReference)
        {
            WriteValue(code, type, value, depth);
            return;
        }

        string v = "n" + depth.ToString(CultureInfo.InvariantCulture);
        code.Line($"if ({value} is {{ }} {v})");
        code.Open();
        WriteValue(code, type, v, depth);
        code.Close();
        code.Line("else");
        code.Open();
        code.Line("writer.Null();");
        code.Close();
    }

    private static string Registry(List<WireClass> classes, IReadOnlyCollection<string> unions, string ns)
    {
        var code = new Code();
        code.Line("//----------------------");
        code.Line("// <auto-generated>");
        code.Line("//     Generated by OpenPipe.CodeGen from openapi/openpipe.yaml: the reader of each wire type. Do not edit.");
        code.Line("// </auto-generated>");
        code.Line("//----------------------");
        code.Line();
        code.Line("#nullable enable");
        code.Line();
        code.Line($"namespace {ns};");
        code.Line();
        code.Line("internal static partial class WireJson");
        code.Open();
        code.Line("static partial void Register()");
        code.Open();
        foreach (string name in classes.Select(c => c.Name).Concat(unions).Order(StringComparer.Ordinal))
        {
            code.Line($"WireReaders<{name}>.Read = {name}.TryReadJson;");
        }

        code.Close();
        code.Close();
        return code.ToString();
    }

    /// <summary>An untyped value read from anything but a JSON null (handled before) is not null.</summary>
    private static string Bang(WireType type) => type is PrimitiveType { Name: "object" } ? "!" : string.Empty;

    private static string Bit(int index) => "0x" + (1UL << index).ToString("X", CultureInfo.InvariantCulture) + "UL";

    private static string Variable(string className) => char.ToLowerInvariant(className[0]) + className[1..];

    private static string Literal(string text)
    {
        var builder = new StringBuilder("\"");
        foreach (char c in text)
        {
            builder.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                _ when c < ' ' || c > '~' => $"\\u{(int)c:x4}",
                _ => c.ToString(),
            });
        }

        return builder.Append('"').ToString();
    }

    private static string Utf8(string text) => Literal(text) + "u8";

    /// <summary>A property name as the writer takes it: its JSON with the quotes and colon when it needs no escaping, else the string.</summary>
    private static string NameUtf8(string name) =>
        name.All(c => c >= ' ' && c <= '~' && c is not '"' and not '\\')
            ? Literal("\"" + name + "\":") + "u8"
            : Literal(name);

    /// <summary>Indented lines of C#.</summary>
    private sealed class Code
    {
        private readonly StringBuilder text = new();
        private int indent;

        public void Line(string line = "")
        {
            if (line.Length > 0)
            {
                text.Append(' ', indent * 4).Append(line);
            }

            text.Append('\n');
        }

        public void Open()
        {
            Line("{");
            indent++;
        }

        public void Close()
        {
            indent--;
            Line("}");
        }

        public void Indent() => indent++;

        public void Outdent() => indent--;

        public override string ToString() => text.ToString();
    }
}
