// OpenPipe.CodeGen: regenerates src/*/Generated/ from openapi/openpipe.yaml as nswag.json says.
//
// It is NSwag's own code generation (the libraries of the npm package `nswag`) with two
// additions NSwag's command line has no setting for: .NET names for snake_case JSON properties
// and parameters (finish_reason -> FinishReason, op-cache -> opCache), and a content-hash stamp
// beside each output so the build regenerates only when the inputs really changed.
//
// Usage: OpenPipe.CodeGen [--repo DIR] [--output-root DIR] [--stamp-only]
//   --repo DIR         the repository root holding nswag.json (default: the current directory)
//   --output-root DIR  write the outputs under DIR instead of the repository (same relative paths)
//   --stamp-only       print the input hash and exit
// Exit codes: 0 written, 1 invalid spec or configuration (reported as MSBuild-style errors), 2 usage.

using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using System.Threading.Tasks;
using NJsonSchema;
using NJsonSchema.CodeGeneration;
using NSwag;
using NSwag.CodeGeneration;
using NSwag.Commands;

namespace OpenPipe.CodeGen;

internal static class Program
{
    /// <summary>The name of the stamp file written beside each generated file.</summary>
    internal const string StampFileName = ".openpipe-spec.sha256";

    private static async Task<int> Main(string[] args)
    {
        string repo = Directory.GetCurrentDirectory();
        string? outputRoot = null;
        bool stampOnly = false;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--repo" when i + 1 < args.Length: repo = args[++i]; break;
                case "--output-root" when i + 1 < args.Length: outputRoot = args[++i]; break;
                case "--stamp-only": stampOnly = true; break;
                default:
                    Console.Error.WriteLine($"usage: OpenPipe.CodeGen [--repo DIR] [--output-root DIR] [--stamp-only] (unknown argument '{args[i]}')");
                    return 2;
            }
        }

        repo = Path.GetFullPath(repo);
        string configPath = Path.Combine(repo, "nswag.json");
        string specPath = Path.Combine(repo, "openapi", "openpipe.yaml");
        string stamp = InputHash(configPath, specPath);
        if (stampOnly)
        {
            Console.WriteLine(stamp);
            return 0;
        }

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

        var client = document.CodeGenerators.OpenApiToCSharpClientCommand
            ?? throw new InvalidOperationException("nswag.json has no openApiToCSharpClient generator.");
        var controller = document.CodeGenerators.OpenApiToCSharpControllerCommand
            ?? throw new InvalidOperationException("nswag.json has no openApiToCSharpController generator.");

        foreach (var settings in new ClientGeneratorBaseSettings[] { client.Settings, controller.Settings })
        {
            settings.CodeGeneratorSettings.PropertyNameGenerator = new PascalCasePropertyNameGenerator();
            settings.ParameterNameGenerator = new CamelCaseParameterNameGenerator();
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
            // NSwag writes every output of the document; a spec error surfaces here.
            await document.ExecuteAsync();
        }
        catch (Exception e)
        {
            (int line, int column) = Locate(specPath, e);
            Console.WriteLine($"{specPath}({line},{column}): error OPG001: openapi/openpipe.yaml is not a valid OpenAPI document for generation: {Flatten(e)}");
            return 1;
        }

        foreach (var command in outputs)
        {
            string output = Path.GetFullPath(command.OutputFilePath, repo);
            File.WriteAllText(Path.Combine(Path.GetDirectoryName(output)!, StampFileName), stamp + "\n");
            Console.WriteLine($"OpenPipe.CodeGen: wrote {Path.GetRelativePath(outputRoot ?? repo, output)}");
        }

        return 0;
    }

    /// <summary>
    /// The stamp: SHA-256 of each input, in a fixed order. The MSBuild target computes the same
    /// line with GetFileHash, so the two must stay in step.
    /// </summary>
    private static string InputHash(params string[] files) =>
        string.Join(" ", files.Select(f => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f)))));

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
    public string Generate(JsonSchemaProperty property) => Names.Pascal(property.Name);
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
