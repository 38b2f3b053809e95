// OpenPipe.CodeGen: regenerates src/*/Generated/ from openapi/openpipe.yaml as nswag.json says.
//
// It is NSwag's own code generation (the libraries NuGet's NSwag.MSBuild ships in tools/Net100)
// with what NSwag's command line has no setting for:
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
// Exit codes: 0 written, 1 invalid spec or configuration (reported as MSBuild-style errors), 2 usage.

using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading.Tasks;
using NJsonSchema;
using NJsonSchema.CodeGeneration;
using NSwag;
using NSwag.CodeGeneration;
using NSwag.CodeGeneration.CSharp;
using NSwag.Commands;

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

        NSwagDocument document;
        try
        {
            document = await NSwagDocument.LoadAsync(configPath);
        }
        catch (Exception e)
        {
            Console.WriteLine($"{configPath}(1,1): error OPG002: nswag.json could not be read: {Flatten(e)}");
            return 1;
        }

        string specPath = document.SelectedSwaggerGenerator is NSwag.Commands.Generation.FromDocumentCommand { Url: { Length: > 0 } url }
            ? Path.GetFullPath(url, repo)
            : Path.Combine(repo, "openapi", "openpipe.yaml");
        var client = document.CodeGenerators.OpenApiToCSharpClientCommand
            ?? throw new InvalidOperationException("nswag.json has no openApiToCSharpClient generator.");
        var controller = document.CodeGenerators.OpenApiToCSharpControllerCommand
            ?? throw new InvalidOperationException("nswag.json has no openApiToCSharpController generator.");

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

        foreach (var settings in new ClientGeneratorBaseSettings[] { client.Settings, controller.Settings })
        {
            settings.CodeGeneratorSettings.PropertyNameGenerator = new PascalCasePropertyNameGenerator();
            settings.ParameterNameGenerator = new CamelCaseParameterNameGenerator();

            // NSwag only refers to the open value types by name; OpenValues.g.cs declares them.
            settings.CodeGeneratorSettings.ExcludedTypeNames =
                [.. settings.CodeGeneratorSettings.ExcludedTypeNames ?? [], .. openValues.Select(v => v.Name)];
        }

        // Template overrides (nswag.json: templateDirectory) are relative to the repository, wherever the generator runs.
        foreach (var settings in new ClientGeneratorBaseSettings[] { client.Settings, controller.Settings })
        {
            if (settings.CodeGeneratorSettings.TemplateDirectory is { Length: > 0 } templates)
            {
                settings.CodeGeneratorSettings.TemplateDirectory = Path.GetFullPath(templates, repo);
            }
        }

        var outputs = new List<InputOutputCommandBase> { client, controller };
        if (outputRoot != null)
        {
            foreach (var command in outputs)
            {
                string relative = Path.GetRelativePath(repo, Path.GetFullPath(command.OutputFilePath, repo));
                command.OutputFilePath = Path.Combine(Path.GetFullPath(outputRoot), relative);
            }
        }

        try
        {
            // NSwag's generators, with the settings nswag.json gave the commands; a spec error surfaces here.
            Write(client, new CSharpClientGenerator(spec, client.Settings).GenerateFile(), repo);
            Write(controller, new CSharpControllerGenerator(spec, controller.Settings).GenerateFile(), repo);
        }
        catch (Exception e)
        {
            return SpecError(specPath, e);
        }

        string clientOutput = Path.GetFullPath(client.OutputFilePath, repo);
        string openValuesPath = Path.Combine(Path.GetDirectoryName(clientOutput)!, OpenValuesFileName);
        File.WriteAllText(openValuesPath, Lf(OpenValueWriter.Write(openValues, client.Settings.CSharpGeneratorSettings.Namespace)));
        Console.WriteLine($"OpenPipe.CodeGen: wrote {Path.GetRelativePath(outputRoot ?? repo, openValuesPath)} ({openValues.Count} open value sets)");

        string? stamp = stampFile == null ? null : Stamp(stampFile);
        foreach (var command in outputs)
        {
            string output = Path.GetFullPath(command.OutputFilePath, repo);
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

    private static void Write(InputOutputCommandBase command, string code, string repo)
    {
        string path = Path.GetFullPath(command.OutputFilePath, repo);
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
