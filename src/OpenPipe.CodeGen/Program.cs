// OpenPipe.CodeGen: regenerates src/*/Generated/ from openapi/openpipe.yaml as nswag.json says.
//
// It is NSwag's own code generation (its NuGet packages NSwag.CodeGeneration.CSharp and
// NSwag.Core.Yaml), configured by nswag.json (read by NSwagConfig.cs, strictly: NSwag's command
// line, which reads it otherwise, is not a package), with what that command line has no setting for:
// - .NET names for snake_case JSON properties and parameters (finish_reason -> FinishReason,
//   op-cache -> opCache);
// - its own Liquid templates for the client's per-call code (nswag.templates/, nswag.json's
//   templateDirectory), resolved against the repository;
// - open value sets: a component schema `anyOf: [{type: string, enum: [...]}, {type: string}]`
//   (known values listed, any string valid) becomes a readonly record struct with the known values
//   named, written to Generated/OpenValues.g.cs (OpenValueWriter.cs), where NSwag would make a closed
//   enum that throws on a value it does not know;
// - the spec's spellings for validators and readers, read the way NSwag names and writes types:
//   nullable references (NullableReferences.cs) and variants that restate their discriminator
//   value (DiscriminatedVariants.cs);
// - the stamp beside each output, which the build compares to decide whether to regenerate.
//
// Usage: OpenPipe.CodeGen [--repo DIR] [--output-root DIR] [--stamp FILE]
//   --repo DIR         the repository root holding nswag.json (default: the current directory)
//   --output-root DIR  write the outputs under DIR instead of the repository (same relative paths)
//   --stamp FILE       the stamp lines (one per generation input, from OpenPipe.CodeGen.targets);
//                      written, sorted, to Generated/.openpipe-spec.sha256 beside each output
// Exit codes: 0 written, 1 invalid spec or configuration (reported as MSBuild-style errors: OPG001
// the spec, OPG002 nswag.json unreadable, OPG003 a key or value of nswag.json it does not understand), 2 usage.

using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Text;
using System.Threading.Tasks;
using NJsonSchema;
using NJsonSchema.CodeGeneration;
using NSwag;
using NSwag.CodeGeneration;
using NSwag.CodeGeneration.CSharp;

namespace OpenPipe.CodeGen;

internal static class Program
{
    /// <summary>The name of the stamp file written beside each generated file.</summary>
    internal const string StampFileName = ".openpipe-spec.sha256";

    /// <summary>The file the open value sets are written to, beside the client.</summary>
    internal const string OpenValuesFileName = "OpenValues.g.cs";

    private static async Task<int> Main(string[] args)
    {
        string repo = Directory.GetCurrentDirectory();
        string? outputRoot = null;
        string? stampFile = null;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--repo" when i + 1 < args.Length: repo = args[++i]; break;
                case "--output-root" when i + 1 < args.Length: outputRoot = args[++i]; break;
                case "--stamp" when i + 1 < args.Length: stampFile = args[++i]; break;
                default:
                    Console.Error.WriteLine($"usage: OpenPipe.CodeGen [--repo DIR] [--output-root DIR] [--stamp FILE] (unknown argument '{args[i]}')");
                    return 2;
            }
        }

        repo = Path.GetFullPath(repo);
        string configPath = Path.Combine(repo, "nswag.json");

        NSwagConfig config;
        try
        {
            config = NSwagConfig.Load(configPath);
        }
        catch (NSwagConfigException e)
        {
            (int line, int column) = e.Locate(File.ReadAllText(configPath));
            Console.WriteLine($"{configPath}({line},{column}): error OPG003: nswag.json: {e.Message}");
            return 1;
        }
        catch (Exception e)
        {
            Console.WriteLine($"{configPath}(1,1): error OPG002: nswag.json could not be read: {Flatten(e)}");
            return 1;
        }

        string specPath = config.SpecPath;
        var client = config.Client;
        var models = config.Models;
        var controller = config.Controller;

        IReadOnlyList<OpenValueSet> openValues;
        OpenApiDocument spec;
        try
        {
            spec = await OpenApiYamlDocument.FromFileAsync(specPath);
            openValues = OpenValueSet.FindAll(spec);
            NullableReferences.Normalize(spec);
            DiscriminatedVariants.Normalize(spec);
        }
        catch (Exception e)
        {
            return SpecError(specPath, e);
        }

        foreach (var settings in new ClientGeneratorBaseSettings[] { client.Settings, models.Settings, controller.Settings })
        {
            settings.CodeGeneratorSettings.PropertyNameGenerator = new PascalCasePropertyNameGenerator();
            settings.ParameterNameGenerator = new CamelCaseParameterNameGenerator();

            // NSwag only refers to the open value types by name; OpenValues.g.cs declares them.
            settings.CodeGeneratorSettings.ExcludedTypeNames =
                [.. settings.CodeGeneratorSettings.ExcludedTypeNames ?? [], .. openValues.Select(v => v.Name)];
        }

        // Template overrides (nswag.json: templateDirectory) are relative to the repository, wherever the generator runs.
        foreach (var settings in new ClientGeneratorBaseSettings[] { client.Settings, models.Settings, controller.Settings })
        {
            if (settings.CodeGeneratorSettings.TemplateDirectory is { Length: > 0 } templates)
            {
                settings.CodeGeneratorSettings.TemplateDirectory = Path.GetFullPath(templates, repo);
            }
        }

        var outputs = new IGeneratorOutput[] { models, client, controller };
        if (outputRoot != null)
        {
            foreach (var output in outputs)
            {
                string relative = Path.GetRelativePath(repo, output.OutputFilePath);
                output.OutputFilePath = Path.Combine(Path.GetFullPath(outputRoot), relative);
            }
        }

        try
        {
            // NSwag's generators, with the settings nswag.json gave the commands; a spec error surfaces here.
            var modelsResolver = CSharpGeneratorBase.CreateResolverWithExceptionSchema(models.Settings.CSharpGeneratorSettings, spec);
            Write(models.OutputFilePath, new CSharpClientGenerator(spec, models.Settings, modelsResolver).GenerateFile());

            // The serializers of the wire types, from the class models the DTOs were just written from.
            string[] openValueNames = [.. openValues.Select(v => v.Name)];
            string[] unions = [.. models.Settings.CSharpGeneratorSettings.ExcludedTypeNames.Where(n => !openValueNames.Contains(n) && !n.StartsWith("JsonInheritance", StringComparison.Ordinal))];
            string serialization = Path.Combine(Path.GetDirectoryName(models.OutputFilePath)!, WireSerializationWriter.FolderName);
            int serialized = WireSerializationWriter.Write(spec, modelsResolver, models.Settings.CSharpGeneratorSettings, openValueNames, unions, serialization);
            Console.WriteLine($"OpenPipe.CodeGen: wrote {Path.GetRelativePath(outputRoot ?? repo, serialization)} ({serialized} serializers)");
            Write(client.OutputFilePath, new CSharpClientGenerator(spec, client.Settings).GenerateFile());
            Write(controller.OutputFilePath, new CSharpControllerGenerator(spec, controller.Settings).GenerateFile());
        }
        catch (Exception e)
        {
            return SpecError(specPath, e);
        }

        string openValuesPath = Path.Combine(Path.GetDirectoryName(models.OutputFilePath)!, OpenValuesFileName);
        File.WriteAllText(openValuesPath, Lf(OpenValueWriter.Write(openValues, models.Settings.CSharpGeneratorSettings.Namespace)));
        Console.WriteLine($"OpenPipe.CodeGen: wrote {Path.GetRelativePath(outputRoot ?? repo, openValuesPath)} ({openValues.Count} open value sets)");

        string? stamp = stampFile == null ? null : Stamp(stampFile);
        if (stamp != null && StampedNSwagVersion(stamp) is { } stamped && stamped != RunningNSwagVersion())
        {
            Console.WriteLine($"{Path.Combine(repo, "Directory.Packages.props")}(1,1): error OPG004: the stamp names NSwag {stamped} (Directory.Packages.props), but OpenPipe.CodeGen ran NSwag {RunningNSwagVersion()}.");
            return 1;
        }

        foreach (var generator in outputs)
        {
            string output = generator.OutputFilePath;
            if (stamp != null)
            {
                File.WriteAllText(Path.Combine(Path.GetDirectoryName(output)!, StampFileName), stamp);
            }

            Console.WriteLine($"OpenPipe.CodeGen: wrote {Path.GetRelativePath(outputRoot ?? repo, output)}");
        }

        return 0;
    }

    /// <summary>
    /// The stamp file's text: the lines the build computed (a hash and a name per input, and the
    /// NSwag version), in ordinal order so that it reads the same on every machine.
    /// </summary>
    private static string Stamp(string linesFile) =>
        string.Concat(File.ReadAllLines(linesFile)
            .Select(l => l.Trim())
            .Where(l => l.Length > 0)
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)
            .Select(l => l + "\n"));

    /// <summary>The NSwag version the build put in the stamp (the line <c>NSwag 14.8.0</c>), if any.</summary>
    private static string? StampedNSwagVersion(string stamp) =>
        stamp.Split('\n').FirstOrDefault(l => l.StartsWith("NSwag ", StringComparison.Ordinal))?["NSwag ".Length..];

    /// <summary>The version of the NSwag code generator this process runs (its package version).</summary>
    private static string RunningNSwagVersion()
    {
        string version = typeof(CSharpClientGenerator).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
            ?? typeof(CSharpClientGenerator).Assembly.GetName().Version?.ToString(3) ?? "?";
        int metadata = version.IndexOf('+', StringComparison.Ordinal);
        return metadata < 0 ? version : version[..metadata];
    }

    private static void Write(string path, string code)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, Lf(code));
    }

    /// <summary>Line feeds only, as nswag.json's newLineBehavior says, whatever the machine.</summary>
    private static string Lf(string code) => code.Replace("\r\n", "\n", StringComparison.Ordinal);

    private static int SpecError(string specPath, Exception e)
    {
        (int line, int column) = Locate(specPath, e);
        Console.WriteLine($"{specPath}({line},{column}): error OPG001: openapi/openpipe.yaml is not a valid OpenAPI document for generation: {Flatten(e)}");
        return 1;
    }

    private static string Flatten(Exception e)
    {
        var messages = new List<string>();
        for (Exception? x = e; x != null; x = x.InnerException)
        {
            messages.Add(x.Message.Replace('\n', ' ').Replace('\r', ' '));
        }

        return string.Join(" --> ", messages.Distinct());
    }

    /// <summary>
    /// Finds where in the spec an error points: YAML errors carry a position; an unresolved
    /// <c>$ref</c> is looked up by its text.
    /// </summary>
    private static (int Line, int Column) Locate(string specPath, Exception e)
    {
        for (Exception? x = e; x != null; x = x.InnerException)
        {
            if (x is YamlDotNet.Core.YamlException yaml && yaml.Start.Line > 0)
            {
                return ((int)yaml.Start.Line, (int)yaml.Start.Column);
            }
        }

        string message = Flatten(e);
        int hash = message.IndexOf("#/", StringComparison.Ordinal);
        if (hash >= 0)
        {
            string reference = new string(message[hash..].TakeWhile(c => !char.IsWhiteSpace(c) && c != '\'' && c != '"').ToArray());
            string[] lines = File.ReadAllLines(specPath);
            for (int i = 0; i < lines.Length; i++)
            {
                int at = lines[i].IndexOf(reference, StringComparison.Ordinal);
                if (at >= 0)
                {
                    return (i + 1, at + 1);
                }
            }
        }

        return (1, 1);
    }
}

/// <summary>JSON names to .NET property names: finish_reason and errorCode become FinishReason and ErrorCode.</summary>
internal sealed class PascalCasePropertyNameGenerator : IPropertyNameGenerator
{
    public string Generate(JsonSchemaProperty property) => Names.Pascal(property.Name) switch
    {
        // A property may not take the name of an object member (log filters have "equals").
        "Equals" or "GetHashCode" or "GetType" or "ToString" or "MemberwiseClone" or "Finalize" or "ReferenceEquals" => Names.Pascal(property.Name) + "Value",
        var name => name,
    };
}

/// <summary>Parameter names to .NET camelCase: op-log-request becomes opLogRequest.</summary>
internal sealed class CamelCaseParameterNameGenerator : IParameterNameGenerator
{
    public string Generate(OpenApiParameter parameter, IEnumerable<OpenApiParameter> allParameters)
    {
        string pascal = Names.Pascal(parameter.Name);
        return char.ToLowerInvariant(pascal[0]) + pascal[1..];
    }
}

internal static class Names
{
    public static string Pascal(string name)
    {
        var builder = new StringBuilder(name.Length);
        bool upper = true;
        foreach (char c in name)
        {
            if (c is '_' or '-' or '.' or ' ' or '$' or '@')
            {
                upper = true;
                continue;
            }

            builder.Append(upper ? char.ToUpper(c, CultureInfo.InvariantCulture) : c);
            upper = false;
        }

        if (builder.Length == 0 || char.IsDigit(builder[0]))
        {
            builder.Insert(0, '_');
        }

        return builder.ToString();
    }
}
