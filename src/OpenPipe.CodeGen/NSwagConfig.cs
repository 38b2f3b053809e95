// nswag.json, read without NSwag's command line (NSwag.Commands is not a NuGet package).
//
// The file keeps NSwag's own format, so NSwag's tools still read it. This reader knows the part of
// that format the repository uses, and says so when it meets anything else instead of ignoring it:
// - runtime: Net100 (NSwag runs in this process, on the SDK's runtime); defaultVariables: empty;
// - documentGenerator.fromDocument: url (the spec), output null, newLineBehavior LF;
// - codeGenerators.openApiToCSharpClient and .openApiToCSharpController, each key of which is a
//   setting of NSwag's generator: a property of CSharpClientGeneratorSettings or
//   CSharpControllerGeneratorSettings (and the ClientGeneratorBaseSettings they derive from), or of
//   their CSharpGeneratorSettings (the CodeGeneratorSettings of NJsonSchema: namespace, jsonLibrary,
//   arrayType, excludedTypeNames, templateDirectory...), by the same name NSwag's command gives it
//   (camelCase); plus operationGenerationMode, which NSwag's command turns into an operation name
//   generator, output (where the file goes) and newLineBehavior (LF, as the generator writes);
// - openPipeModels (NSwag ignores it): the namespace and file of the wire types. They are the client
//   generator's DTOs, written apart from the client (its generateDtoTypes is false) into the models
//   project that the client and the server both reference: the same settings, with only the DTOs on.
// A key that is none of these, or a value of the wrong kind, is an error (OPG003) naming the key.

using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Text.Json;
using NSwag.CodeGeneration;
using NSwag.CodeGeneration.CSharp;
using NSwag.CodeGeneration.OperationNameGenerators;

namespace OpenPipe.CodeGen;

/// <summary>The file a code generator of nswag.json writes.</summary>
internal interface IGeneratorOutput
{
    /// <summary>Where the generated file goes (absolute).</summary>
    string OutputFilePath { get; set; }
}

/// <summary>One code generator of nswag.json: NSwag's settings and the file it writes.</summary>
internal sealed class GeneratorConfig<TSettings>(TSettings settings, string outputFilePath) : IGeneratorOutput
    where TSettings : CSharpGeneratorBaseSettings
{
    public TSettings Settings { get; } = settings;

    /// <summary>Where the generated file goes (absolute).</summary>
    public string OutputFilePath { get; set; } = outputFilePath;
}

/// <summary>What nswag.json says, mapped onto NSwag's settings objects.</summary>
internal sealed class NSwagConfig
{
    private NSwagConfig(string specPath, GeneratorConfig<CSharpClientGeneratorSettings> client, GeneratorConfig<CSharpClientGeneratorSettings> models, GeneratorConfig<CSharpControllerGeneratorSettings> controller)
    {
        SpecPath = specPath;
        Client = client;
        Models = models;
        Controller = controller;
    }

    /// <summary>The OpenAPI document (documentGenerator.fromDocument.url), absolute.</summary>
    public string SpecPath { get; }

    public GeneratorConfig<CSharpClientGeneratorSettings> Client { get; }

    /// <summary>The wire types: the client generator's settings with only the DTOs, in their own namespace and file.</summary>
    public GeneratorConfig<CSharpClientGeneratorSettings> Models { get; }

    public GeneratorConfig<CSharpControllerGeneratorSettings> Controller { get; }

    /// <summary>Reads nswag.json; relative paths in it are relative to its folder, as NSwag reads them.</summary>
    /// <exception cref="NSwagConfigException">A key or value this reader does not understand.</exception>
    public static NSwagConfig Load(string path)
    {
        string folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        using var json = JsonDocument.Parse(File.ReadAllText(path), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip });
        JsonElement root = Object(json.RootElement, "(the document)");

        string? specPath = null;
        GeneratorConfig<CSharpClientGeneratorSettings>? client = null;
        GeneratorConfig<CSharpControllerGeneratorSettings>? controller = null;
        JsonElement? clientElement = null;
        (string Namespace, string Output)? models = null;
        foreach (JsonProperty top in root.EnumerateObject())
        {
            switch (top.Name)
            {
                case "runtime":
                    Expect(top.Value, "Net100", "runtime", "NSwag runs inside OpenPipe.CodeGen, on the SDK's .NET");
                    break;
                case "defaultVariables":
                    if (top.Value.ValueKind is not (JsonValueKind.Null or JsonValueKind.String) || top.Value.GetString() is { Length: > 0 })
                    {
                        throw new NSwagConfigException("defaultVariables", "variables are not supported; write the values in place.");
                    }

                    break;
                case "documentGenerator":
                    specPath = ReadDocumentGenerator(top.Value, folder);
                    break;
                case "codeGenerators":
                    foreach (JsonProperty generator in Object(top.Value, "codeGenerators").EnumerateObject())
                    {
                        string at = $"codeGenerators.{generator.Name}";
                        switch (generator.Name)
                        {
                            case "openApiToCSharpClient":
                                client = ReadGenerator(generator.Value, at, new CSharpClientGeneratorSettings(), folder);
                                clientElement = generator.Value;
                                break;
                            case "openApiToCSharpController":
                                controller = ReadGenerator(generator.Value, at, new CSharpControllerGeneratorSettings(), folder);
                                break;
                            default:
                                throw new NSwagConfigException(at, "OpenPipe.CodeGen runs openApiToCSharpClient and openApiToCSharpController only.");
                        }
                    }

                    break;
                case "openPipeModels":
                    models = ReadModels(top.Value, folder);
                    break;
                default:
                    throw new NSwagConfigException(top.Name, "not a key of nswag.json that OpenPipe.CodeGen understands.");
            }
        }

        if (client is null || clientElement is null)
        {
            throw new NSwagConfigException("codeGenerators.openApiToCSharpClient", "missing.");
        }

        if (client.Settings.GenerateDtoTypes)
        {
            throw new NSwagConfigException("codeGenerators.openApiToCSharpClient.generateDtoTypes", "must be false: the DTOs are written into openPipeModels.output.");
        }

        var (modelsNamespace, modelsOutput) = models ?? throw new NSwagConfigException("openPipeModels", "missing: the namespace and output of the wire types.");
        var dtos = ReadGenerator(clientElement.Value, "codeGenerators.openApiToCSharpClient", new CSharpClientGeneratorSettings(), folder);
        dtos.Settings.GenerateClientClasses = false;
        dtos.Settings.GenerateClientInterfaces = false;
        dtos.Settings.GenerateDtoTypes = true;
        dtos.Settings.AdditionalNamespaceUsages = [];
        dtos.Settings.CSharpGeneratorSettings.Namespace = modelsNamespace;
        dtos.OutputFilePath = modelsOutput;

        return new NSwagConfig(
            specPath ?? throw new NSwagConfigException("documentGenerator", "missing: documentGenerator.fromDocument.url names the spec."),
            client,
            dtos,
            controller ?? throw new NSwagConfigException("codeGenerators.openApiToCSharpController", "missing."));
    }

    private static (string Namespace, string Output) ReadModels(JsonElement element, string folder)
    {
        string? ns = null, output = null;
        foreach (JsonProperty key in Object(element, "openPipeModels").EnumerateObject())
        {
            string at = $"openPipeModels.{key.Name}";
            string text = key.Value.ValueKind == JsonValueKind.String && key.Value.GetString() is { Length: > 0 } t ? t : throw new NSwagConfigException(at, "must be a non-empty string.");
            switch (key.Name)
            {
                case "namespace":
                    ns = text;
                    break;
                case "output":
                    output = Path.GetFullPath(text, folder);
                    break;
                default:
                    throw new NSwagConfigException(at, "openPipeModels has namespace and output only.");
            }
        }

        return (ns ?? throw new NSwagConfigException("openPipeModels.namespace", "missing."), output ?? throw new NSwagConfigException("openPipeModels.output", "missing."));
    }

    private static string ReadDocumentGenerator(JsonElement element, string folder)
    {
        string? url = null;
        foreach (JsonProperty generator in Object(element, "documentGenerator").EnumerateObject())
        {
            if (generator.Name != "fromDocument")
            {
                throw new NSwagConfigException($"documentGenerator.{generator.Name}", "OpenPipe.CodeGen generates from a document file only (fromDocument).");
            }

            foreach (JsonProperty key in Object(generator.Value, "documentGenerator.fromDocument").EnumerateObject())
            {
                string at = $"documentGenerator.fromDocument.{key.Name}";
                switch (key.Name)
                {
                    case "url":
                        url = key.Value.ValueKind == JsonValueKind.String && key.Value.GetString() is { Length: > 0 } u
                            ? Path.GetFullPath(u, folder)
                            : throw new NSwagConfigException(at, "must be the spec's path.");
                        break;
                    case "output":
                        if (key.Value.ValueKind != JsonValueKind.Null)
                        {
                            throw new NSwagConfigException(at, "must be null: OpenPipe.CodeGen does not write the document out.");
                        }

                        break;
                    case "newLineBehavior":
                        Expect(key.Value, "LF", at, "files are written with line feeds");
                        break;
                    default:
                        throw new NSwagConfigException(at, "not a setting of fromDocument that OpenPipe.CodeGen understands.");
                }
            }
        }

        return url ?? throw new NSwagConfigException("documentGenerator.fromDocument.url", "missing.");
    }

    private static GeneratorConfig<TSettings> ReadGenerator<TSettings>(JsonElement element, string at, TSettings settings, string folder)
        where TSettings : CSharpGeneratorBaseSettings
    {
        string? output = null;
        foreach (JsonProperty key in Object(element, at).EnumerateObject())
        {
            string keyPath = $"{at}.{key.Name}";
            switch (key.Name)
            {
                case "output":
                    output = key.Value.ValueKind == JsonValueKind.String && key.Value.GetString() is { Length: > 0 } o
                        ? Path.GetFullPath(o, folder)
                        : throw new NSwagConfigException(keyPath, "must be the generated file's path.");
                    break;
                case "newLineBehavior":
                    Expect(key.Value, "LF", keyPath, "generated files are written with line feeds");
                    break;
                case "operationGenerationMode":
                    settings.OperationNameGenerator = OperationNameGenerator(key.Value, keyPath);
                    break;
                default:
                    SetSetting(settings, key, keyPath);
                    break;
            }
        }

        return new GeneratorConfig<TSettings>(settings, output ?? throw new NSwagConfigException($"{at}.output", "missing."));
    }

    /// <summary>NSwag's OperationGenerationMode, as its command turns it into a generator.</summary>
    private static IOperationNameGenerator OperationNameGenerator(JsonElement value, string at) =>
        (value.ValueKind == JsonValueKind.String ? value.GetString() : null) switch
        {
            "SingleClientFromOperationId" => new SingleClientFromOperationIdOperationNameGenerator(),
            "SingleClientFromPathSegments" => new SingleClientFromPathSegmentsOperationNameGenerator(),
            "MultipleClientsFromOperationId" => new MultipleClientsFromOperationIdOperationNameGenerator(),
            "MultipleClientsFromPathSegments" => new MultipleClientsFromPathSegmentsOperationNameGenerator(),
            "MultipleClientsFromFirstTagAndPathSegments" => new MultipleClientsFromFirstTagAndPathSegmentsOperationNameGenerator(),
            "MultipleClientsFromFirstTagAndOperationId" => new MultipleClientsFromFirstTagAndOperationIdGenerator(),
            "MultipleClientsFromFirstTagAndOperationName" => new MultipleClientsFromFirstTagAndOperationNameGenerator(),
            _ => throw new NSwagConfigException(at, $"{value.GetRawText()} is not one of NSwag's operation generation modes."),
        };

    /// <summary>
    /// Sets the property NSwag's command maps this key to: on the generator's settings, else on its
    /// CSharpGeneratorSettings. Only values NSwag's settings take from JSON: strings, booleans,
    /// numbers, enums by name and arrays of strings.
    /// </summary>
    private static void SetSetting(CSharpGeneratorBaseSettings settings, JsonProperty key, string at)
    {
        string name = char.ToUpperInvariant(key.Name[0]) + key.Name[1..];
        var candidates = new object[] { settings, settings.CSharpGeneratorSettings }
            .Select(target => (Target: target, Property: Find(target.GetType(), name)))
            .Where(c => c.Property is { CanWrite: true })
            .ToList();
        if (candidates.Count == 0)
        {
            throw new NSwagConfigException(at, $"not a setting of {settings.GetType().Name} or {settings.CSharpGeneratorSettings.GetType().Name} that OpenPipe.CodeGen knows.");
        }

        if (candidates.Count > 1)
        {
            throw new NSwagConfigException(at, $"both {settings.GetType().Name} and {settings.CSharpGeneratorSettings.GetType().Name} have {name}; OpenPipe.CodeGen cannot tell which is meant.");
        }

        (object target, PropertyInfo property) = (candidates[0].Target, candidates[0].Property!);
        property.SetValue(target, Convert(key.Value, property.PropertyType, at));
    }

    /// <summary>A public instance property by name, the most derived declaration first.</summary>
    private static PropertyInfo? Find(Type type, string name)
    {
        for (Type? t = type; t != null; t = t.BaseType)
        {
            if (t.GetProperty(name, BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly) is { } property)
            {
                return property;
            }
        }

        return null;
    }

    private static object? Convert(JsonElement value, Type type, string at)
    {
        Type target = Nullable.GetUnderlyingType(type) ?? type;
        if (value.ValueKind == JsonValueKind.Null && (!type.IsValueType || Nullable.GetUnderlyingType(type) != null))
        {
            return null;
        }

        try
        {
            return target switch
            {
                _ when target == typeof(string) && value.ValueKind == JsonValueKind.String => value.GetString(),
                _ when target == typeof(bool) && value.ValueKind is JsonValueKind.True or JsonValueKind.False => value.GetBoolean(),
                _ when target == typeof(int) && value.ValueKind == JsonValueKind.Number => value.GetInt32(),
                _ when target.IsEnum && value.ValueKind == JsonValueKind.String && Enum.TryParse(target, value.GetString(), ignoreCase: true, out object? parsed)
                    && Enum.IsDefined(target, parsed!) => parsed,
                _ when target == typeof(string[]) && value.ValueKind == JsonValueKind.Array && value.EnumerateArray().All(i => i.ValueKind == JsonValueKind.String)
                    => value.EnumerateArray().Select(i => i.GetString()!).ToArray(),
                _ => throw new NSwagConfigException(at, $"{value.GetRawText()} is not a value of {Describe(target)}."),
            };
        }
        catch (FormatException e)
        {
            throw new NSwagConfigException(at, $"{value.GetRawText()} is not a value of {Describe(target)}: {e.Message}");
        }
    }

    private static string Describe(Type type) =>
        type.IsEnum ? $"{type.Name} ({string.Join(", ", Enum.GetNames(type))})" : type.Name;

    private static void Expect(JsonElement value, string expected, string at, string why)
    {
        if (value.ValueKind != JsonValueKind.String || value.GetString() != expected)
        {
            throw new NSwagConfigException(at, $"must be \"{expected}\": {why}.");
        }
    }

    private static JsonElement Object(JsonElement element, string at) =>
        element.ValueKind == JsonValueKind.Object ? element : throw new NSwagConfigException(at, "must be an object.");
}

/// <summary>A key or value of nswag.json that OpenPipe.CodeGen does not understand; <see cref="Key"/> is its path.</summary>
internal sealed class NSwagConfigException(string key, string message) : Exception($"{key}: {message}")
{
    public string Key { get; } = key;

    /// <summary>Where the key is in the file's text (1-based), or (1, 1): each name of its path found in turn after the previous one.</summary>
    public (int Line, int Column) Locate(string text)
    {
        int at = 0;
        foreach (string name in Key.Split('.'))
        {
            int found = text.IndexOf($"\"{name}\"", at, StringComparison.Ordinal);
            if (found < 0)
            {
                break;
            }

            at = found;
        }

        string before = text[..at];
        int line = before.Count(c => c == '\n') + 1;
        return (line, at - (before.LastIndexOf('\n') + 1) + 1);
    }
}
