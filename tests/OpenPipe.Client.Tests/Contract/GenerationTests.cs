using System;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using NUnit.Framework;
using OpenPipe.Client.Tests.Support;

namespace OpenPipe.Client.Tests.Contract;

/// <summary>The spec drives the generated code: reproducibly, at build time, with clear errors.</summary>
[TestFixture]
[NonParallelizable]
public sealed class GenerationTests
{
    private static readonly TimeSpan BuildTimeout = TimeSpan.FromMinutes(4);
    private static readonly string[] GeneratedFolders = ["src/OpenPipe.Models/Generated", "src/OpenPipe.Client/Generated", "src/OpenPipe.Server/Generated"];

    [Test]
    public async Task Regenerate_IntoTemporaryFolder_ReproducesCommittedFilesByteForByte()
    {
        // Arrange
        string output = Directory.CreateTempSubdirectory("openpipe-regen-").FullName;

        // Act: the build's own regeneration target, writing under another root.
        var run = await Repo.RunAsync("dotnet", $"msbuild src/OpenPipe.Client -t:OpenPipeRegenerate -nodeReuse:false -v:m \"-p:OpenPipeOutputRoot={output}/\"", Repo.Root, BuildTimeout);

        // Assert
        Assert.That(run.ExitCode, Is.Zero, run.Output);
        foreach (string folder in GeneratedFolders)
        {
            var committed = Directory.GetFiles(Repo.PathOf(folder)).Select(Path.GetFileName).Order().ToList();
            var regenerated = Directory.GetFiles(Path.Combine(output, folder)).Select(Path.GetFileName).Order().ToList();
            Assert.That(regenerated, Is.EqualTo(committed), folder);
            foreach (string? name in committed)
            {
                Assert.That(File.ReadAllBytes(Path.Combine(output, folder, name!)), Is.EqualTo(File.ReadAllBytes(Repo.PathOf(folder, name!))),
                    $"{folder}/{name} differs from what NSwag generates from the committed spec: run the build and commit Generated/.");
            }
        }

        Directory.Delete(output, recursive: true);
    }

    [Test]
    public async Task Build_AfterSpecChangeInACopy_RegeneratesClientAndControllerAndCompiles()
    {
        // Arrange: a copy of the repository whose spec gains an optional response property, and a
        // controller in the copy that sets it through the generated base.
        string copy = CopyRepository();
        string spec = Path.Combine(copy, "openapi", "openpipe.yaml");
        string text = File.ReadAllText(spec);
        const string anchor = "        usage:\n          $ref: '#/components/schemas/Usage'\n";
        Assert.That(text, Does.Contain(anchor));
        File.WriteAllText(spec, text.Replace(anchor, anchor + "        served_by:\n          type: string\n          description: The replica that served the request.\n", StringComparison.Ordinal));
        File.WriteAllText(Path.Combine(copy, "src", "OpenPipe.Server", "Custom", "SpecChangeProbe.cs"), """
            namespace OpenPipe.Server;

            /// <summary>Uses the property the changed spec added.</summary>
            internal sealed class SpecChangeProbeController : ChatCompletionsControllerBase
            {
                /// <inheritdoc />
                public override System.Threading.Tasks.Task<Microsoft.AspNetCore.Mvc.ActionResult<OpenPipe.ChatCompletion>> CreateChatCompletion(
                    bool? opLogRequest, OpenPipe.CacheMode? opCache, string? opTags, string? opCriteria, OpenPipe.ChatCompletionRequest body, System.Threading.CancellationToken cancellationToken = default) =>
                    System.Threading.Tasks.Task.FromResult<Microsoft.AspNetCore.Mvc.ActionResult<OpenPipe.ChatCompletion>>(new OpenPipe.ChatCompletion { ServedBy = "replica-7" });
            }
            """);
        // A new member is accepted in the copy's public API file, as a reviewer would.
        File.AppendAllText(Path.Combine(copy, "src", "OpenPipe.Models", "PublicAPI.Unshipped.txt"),
            "OpenPipe.ChatCompletion.ServedBy.get -> string?\nOpenPipe.ChatCompletion.ServedBy.set -> void\n");
        string stampBefore = File.ReadAllText(Path.Combine(copy, "src/OpenPipe.Server/Generated/.openpipe-spec.sha256"));

        try
        {
            // Act: one build.
            var build = await Repo.RunAsync("dotnet", "build src/OpenPipe.Server -nodeReuse:false", copy, BuildTimeout);

            // Assert
            Assert.That(build.ExitCode, Is.Zero, build.Output);
            Assert.That(build.Output, Does.Contain("regenerating with NSwag"));
            string models = File.ReadAllText(Path.Combine(copy, "src/OpenPipe.Models/Generated/OpenPipeModels.g.cs"));
            Assert.That(models, Does.Contain("[Newtonsoft.Json.JsonProperty(\"served_by\""));
            Assert.That(models, Does.Contain("public string? ServedBy { get; set; }"));
            string stampAfter = File.ReadAllText(Path.Combine(copy, "src/OpenPipe.Server/Generated/.openpipe-spec.sha256"));
            Assert.That(stampAfter, Is.Not.EqualTo(stampBefore), "the controller base was regenerated from the new spec");
            Assert.That(stampAfter, Is.EqualTo(File.ReadAllText(Path.Combine(copy, "src/OpenPipe.Models/Generated/.openpipe-spec.sha256"))));
            Assert.That(stampAfter, Is.EqualTo(File.ReadAllText(Path.Combine(copy, "src/OpenPipe.Client/Generated/.openpipe-spec.sha256"))));

            // And a second build is a no-op: NSwag does not run again.
            var again = await Repo.RunAsync("dotnet", "build src/OpenPipe.Server -nodeReuse:false", copy, BuildTimeout);
            Assert.That(again.ExitCode, Is.Zero, again.Output);
            Assert.That(again.Output, Does.Not.Contain("regenerating with NSwag"));
        }
        finally
        {
            Directory.Delete(copy, recursive: true);
        }
    }

    [Test]
    public async Task Build_AfterAddingASchemaAndAUnionVariant_GeneratesTheirSerializersAndValidation()
    {
        // Arrange: a copy whose spec gains a content part kind (`file`, a new union variant) with a new
        // schema of its own (FileReference: a required id and a ranged size).
        string copy = CopyRepository();
        string spec = Path.Combine(copy, "openapi", "openpipe.yaml");
        string text = File.ReadAllText(spec);
        const string mapping = "          refusal: '#/components/schemas/RefusalContentPart'\n";
        const string kinds = "          enum: [text, image_url, input_audio, refusal]\n";
        const string next = "    RefusalContentPart:\n";
        Assert.That(text, Does.Contain(mapping).And.Contain(kinds).And.Contain(next));
        File.WriteAllText(spec, text
            .Replace(mapping, mapping + "          file: '#/components/schemas/FileContentPart'\n", StringComparison.Ordinal)
            .Replace(kinds, "          enum: [text, image_url, input_audio, refusal, file]\n", StringComparison.Ordinal)
            .Replace(next, """
                FileContentPart:
                  description: A file part (type `file`).
                  allOf:
                    - $ref: '#/components/schemas/ChatMessageContentPart'
                    - type: object
                      required: [file]
                      properties:
                        type:
                          description: Always `file` for this kind of part.
                          type: string
                          enum: [file]
                        file:
                          $ref: '#/components/schemas/FileReference'
                FileReference:
                  type: object
                  description: A file by id.
                  required: [file_id]
                  properties:
                    file_id:
                      type: string
                      description: The file's id.
                    size:
                      type: number
                      minimum: 0
                      maximum: 1000
                      description: Its size.

            """.Replace("\r\n", "\n", StringComparison.Ordinal) + next, StringComparison.Ordinal));

        try
        {
            // Act: a build, its new public API accepted as the README's command does, and the build again.
            var first = await Repo.RunAsync("dotnet", "build src/OpenPipe.Models -nodeReuse:false", copy, BuildTimeout);
            var accepted = first.Output.Split('\n')
                .Select(l => System.Text.RegularExpressions.Regex.Match(l, "error RS0016: Symbol '(.*)' is not part of the declared public API"))
                .Where(m => m.Success).Select(m => m.Groups[1].Value).Distinct().ToList();
            File.AppendAllLines(Path.Combine(copy, "src", "OpenPipe.Models", "PublicAPI.Unshipped.txt"), accepted);
            var build = await Repo.RunAsync("dotnet", "build src/OpenPipe.Models -nodeReuse:false", copy, BuildTimeout);

            // Assert: no hand edit, and the new kind and schema have their reading, writing and validation.
            Assert.That(first.Output, Does.Contain("regenerating with NSwag"));
            Assert.That(accepted, Does.Contain("OpenPipe.FileContentPart").And.Contain("OpenPipe.FileReference"), first.Output);
            Assert.That(build.ExitCode, Is.Zero, build.Output);
            string serialization = Path.Combine(copy, "src/OpenPipe.Models/Generated/Serialization");
            string part = File.ReadAllText(Path.Combine(serialization, "FileContentPart.Serialization.g.cs"));
            string reference = File.ReadAllText(Path.Combine(serialization, "FileReference.Serialization.g.cs"));
            string union = File.ReadAllText(Path.Combine(serialization, "ChatMessageContentPart.Serialization.g.cs"));
            Assert.That(union, Does.Contain("case \"file\":").And.Contain("FileContentPart.TryReadJsonMembers"));
            Assert.That(part, Does.Contain("writer.String(\"file\");"), "the discriminator is written first");
            Assert.That(reference, Does.Contain("reader.ValueTextEquals(\"file_id\"u8)").And.Contain("validation.Range(\"size\""));
            Assert.That(File.ReadAllText(Path.Combine(serialization, "WireTypes.g.cs")), Does.Contain("WireReaders<FileReference>.Read = FileReference.TryReadJson;"));
        }
        finally
        {
            Directory.Delete(copy, recursive: true);
        }
    }

    [Test]
    public async Task Build_WithADanglingReferenceInTheSpec_FailsNamingTheSpecFileAndLine()
    {
        // Arrange
        string copy = CopyRepository();
        string spec = Path.Combine(copy, "openapi", "openpipe.yaml");
        var lines = File.ReadAllLines(spec).ToList();
        int line = lines.FindIndex(l => l.Contains("$ref: '#/components/schemas/Usage'", StringComparison.Ordinal));
        lines[line] = lines[line].Replace("Usage'", "Usagee'", StringComparison.Ordinal);
        File.WriteAllLines(spec, lines);

        try
        {
            // Act
            var build = await Repo.RunAsync("dotnet", "build src/OpenPipe.Client -nodeReuse:false", copy, BuildTimeout);

            // Assert
            Assert.That(build.ExitCode, Is.Not.Zero);
            Assert.That(build.Output, Does.Contain($"openpipe.yaml({line + 1},"));
            Assert.That(build.Output, Does.Contain("error OPG001"));
            Assert.That(build.Output, Does.Contain("Usagee"));
        }
        finally
        {
            Directory.Delete(copy, recursive: true);
        }
    }

    [Test]
    public async Task BuildWithOutputFolder_AfterAddingAKnownValueWithNodeAndJavaFailing_RegeneratesAndNamesTheValue()
    {
        // Arrange: a copy whose spec gains a finish reason, code in the copy that uses it by name, and a
        // PATH on which node, npm, npx and java exist but fail, as on a machine with only the .NET SDK.
        string copy = CopyRepository();
        string spec = Path.Combine(copy, "openapi", "openpipe.yaml");
        string text = File.ReadAllText(spec);
        const string values = "enum: [stop, length, tool_calls, content_filter, function_call]\n";
        const string lastDescription = "            - The model called a function (deprecated)\n";
        Assert.That(text, Does.Contain(values).And.Contain(lastDescription));
        File.WriteAllText(spec, text
            .Replace(values, "enum: [stop, length, tool_calls, content_filter, function_call, max_turns]\n", StringComparison.Ordinal)
            .Replace(lastDescription, lastDescription + "            - The conversation reached its turn limit\n", StringComparison.Ordinal));
        File.WriteAllText(Path.Combine(copy, "src", "OpenPipe.Models", "Custom", "KnownValueProbe.cs"), """
            namespace OpenPipe;

            /// <summary>Uses the value the changed spec added, by name.</summary>
            internal static class KnownValueProbe
            {
                /// <summary>The new finish reason.</summary>
                public static FinishReason MaxTurns => FinishReason.MaxTurns;
            }
            """);
        File.AppendAllText(Path.Combine(copy, "src", "OpenPipe.Models", "PublicAPI.Unshipped.txt"),
            "static OpenPipe.FinishReason.MaxTurns.get -> OpenPipe.FinishReason\n");
        string bin = FailingToolsPath();
        string output = Path.Combine(copy, "out");

        try
        {
            // Act: a build into an output folder of its own, as `dotnet build -o` does.
            var build = await Repo.RunAsync("dotnet", $"build src/OpenPipe.Client -nodeReuse:false -o \"{output}\"", copy, BuildTimeout,
                ("PATH", bin + Path.PathSeparator + System.Environment.GetEnvironmentVariable("PATH")));

            // Assert
            Assert.That(build.ExitCode, Is.Zero, build.Output);
            Assert.That(build.Output, Does.Contain("regenerating with NSwag"));
            string generated = File.ReadAllText(Path.Combine(copy, "src/OpenPipe.Models/Generated/OpenValues.g.cs"));
            Assert.That(generated, Does.Contain("public static FinishReason MaxTurns { get; } = new(\"max_turns\");"));
            Assert.That(generated, Does.Contain("The conversation reached its turn limit (<c>max_turns</c>)."));
            Assert.That(File.Exists(Path.Combine(output, "OpenPipe.Client.dll")), Is.True, "the -o folder holds the build");
        }
        finally
        {
            Directory.Delete(copy, recursive: true);
            Directory.Delete(bin, recursive: true);
        }
    }

    [Test]
    public async Task Regenerate_WithAKeyInNswagJsonTheGeneratorDoesNotKnow_FailsNamingTheKey()
    {
        // Arrange: nswag.json is read by OpenPipe.CodeGen itself; a setting it cannot map must not be ignored.
        string copy = CopyRepository();
        string config = Path.Combine(copy, "nswag.json");
        string text = File.ReadAllText(config);
        const string anchor = "      \"generateSyncMethods\": false,\n";
        Assert.That(text, Does.Contain(anchor));
        File.WriteAllText(config, text.Replace(anchor, anchor + "      \"generateSyncMethodz\": true,\n", StringComparison.Ordinal));

        try
        {
            // Act
            var build = await Repo.RunAsync("dotnet", "msbuild src/OpenPipe.Client -t:OpenPipeRegenerate -nodeReuse:false -v:m", copy, BuildTimeout);

            // Assert
            Assert.That(build.ExitCode, Is.Not.Zero);
            Assert.That(build.Output, Does.Contain("nswag.json(").And.Contain("error OPG003"));
            Assert.That(build.Output, Does.Contain("codeGenerators.openApiToCSharpClient.generateSyncMethodz"));
        }
        finally
        {
            Directory.Delete(copy, recursive: true);
        }
    }

    [Test]
    public void Stamp_NSwagVersion_IsThePackagesVersionAndTheGeneratedCodes()
    {
        // Arrange: every NSwag package's version in Directory.Packages.props.
        var props = System.Xml.Linq.XDocument.Load(Repo.PathOf("Directory.Packages.props"));
        var nswag = props.Descendants("PackageVersion")
            .Where(p => ((string?)p.Attribute("Include"))?.StartsWith("NSwag.", StringComparison.Ordinal) == true)
            .ToDictionary(p => (string)p.Attribute("Include")!, p => (string)p.Attribute("Version")!);

        // Act
        var stampLines = GeneratedFolders.Select(f => File.ReadAllLines(Repo.PathOf(f, ".openpipe-spec.sha256")).Single(l => l.StartsWith("NSwag ", StringComparison.Ordinal))).ToList();
        string client = File.ReadAllText(Repo.PathOf("src/OpenPipe.Client/Generated/OpenPipeClient.g.cs"));

        // Assert: one version, the one the stamp names and the generated code was made with.
        Assert.That(nswag.Keys, Does.Contain("NSwag.CodeGeneration.CSharp").And.Not.Contain("NSwag.MSBuild"));
        Assert.That(nswag.Values.Distinct(), Has.Exactly(1).Items, string.Join(", ", nswag));
        string version = nswag["NSwag.CodeGeneration.CSharp"];
        Assert.That(stampLines, Is.All.EqualTo($"NSwag {version}"));
        Assert.That(client, Does.Contain($"Generated using the NSwag toolchain v{version}.0 "));
    }

    [Test]
    public async Task Build_AfterRemovingAPropertyFromTheSpec_FailsNamingTheMemberUntilThePublicApiFileAcceptsIt()
    {
        // Arrange: a copy whose spec loses ChatCompletion.system_fingerprint.
        string copy = CopyRepository();
        string spec = Path.Combine(copy, "openapi", "openpipe.yaml");
        var lines = File.ReadAllLines(spec).ToList();
        int at = lines.FindIndex(l => l == "        system_fingerprint:");
        Assert.That(at, Is.GreaterThan(0), "the spec declares system_fingerprint on a response object");
        int end = at + 1;
        while (lines[end].StartsWith("          ", StringComparison.Ordinal))
        {
            end++;
        }

        lines.RemoveRange(at, end - at);
        File.WriteAllLines(spec, lines);

        try
        {
            // Act
            var build = await Repo.RunAsync("dotnet", "build src/OpenPipe.Client -nodeReuse:false", copy, BuildTimeout);

            // Assert
            Assert.That(build.ExitCode, Is.Not.Zero, "a removed property is a breaking change");
            Assert.That(build.Output, Does.Contain("RS0017"));
            Assert.That(build.Output, Does.Contain(".SystemFingerprint.get -> string"));
        }
        finally
        {
            Directory.Delete(copy, recursive: true);
        }
    }

    [Test]
    public async Task Build_AfterEditingTheGenerator_RegeneratesAndThenIsANoOp()
    {
        // Arrange: the generator's own source is an input of the generation.
        string copy = CopyRepository();
        File.AppendAllText(Path.Combine(copy, "src", "OpenPipe.CodeGen", "OpenValueWriter.cs"), "// an edit\n");

        try
        {
            // Act
            var first = await Repo.RunAsync("dotnet", "build src/OpenPipe.Client -nodeReuse:false", copy, BuildTimeout);
            var second = await Repo.RunAsync("dotnet", "build src/OpenPipe.Client -nodeReuse:false", copy, BuildTimeout);

            // Assert
            Assert.That(first.ExitCode, Is.Zero, first.Output);
            Assert.That(first.Output, Does.Contain("regenerating with NSwag"));
            Assert.That(File.ReadAllText(Path.Combine(copy, "src/OpenPipe.Client/Generated/.openpipe-spec.sha256")), Does.Contain(" src/OpenPipe.CodeGen/OpenValueWriter.cs"));
            Assert.That(second.ExitCode, Is.Zero, second.Output);
            Assert.That(second.Output, Does.Not.Contain("regenerating with NSwag"));
            Assert.That(second.Output, Does.Not.Contain("OpenPipe.CodeGen ->"), "a no-op build does not even build the generator");
        }
        finally
        {
            Directory.Delete(copy, recursive: true);
        }
    }

    [Test]
    public async Task Build_AfterEditingATemplate_RegeneratesWithTheEditedTemplate()
    {
        // Arrange: the NSwag template overrides (nswag.json: templateDirectory) are inputs of the generation.
        string copy = CopyRepository();
        string template = Path.Combine(copy, "nswag.templates", "Client.Class.ReadObjectResponse.liquid");
        File.WriteAllText(template, File.ReadAllText(template).Replace(
            "public bool ReadResponseAsString { get; set; }",
            "// edited template\npublic bool ReadResponseAsString { get; set; }",
            StringComparison.Ordinal));

        try
        {
            // Act
            var build = await Repo.RunAsync("dotnet", "build src/OpenPipe.Client -nodeReuse:false", copy, BuildTimeout);

            // Assert
            Assert.That(build.ExitCode, Is.Zero, build.Output);
            Assert.That(build.Output, Does.Contain("regenerating with NSwag"));
            Assert.That(File.ReadAllText(Path.Combine(copy, "src/OpenPipe.Client/Generated/OpenPipeClient.g.cs")), Does.Contain("// edited template"));
            Assert.That(File.ReadAllText(Path.Combine(copy, "src/OpenPipe.Client/Generated/.openpipe-spec.sha256")), Does.Contain(" nswag.templates/Client.Class.ReadObjectResponse.liquid"));
        }
        finally
        {
            Directory.Delete(copy, recursive: true);
        }
    }

    /// <summary>A folder of executables named node, npm, npx and java that fail, to put first on PATH.</summary>
    private static string FailingToolsPath()
    {
        string bin = Directory.CreateTempSubdirectory("openpipe-no-node-").FullName;
        foreach (string tool in new[] { "node", "npm", "npx", "java" })
        {
            string path = Path.Combine(bin, tool);
            File.WriteAllText(path, $"#!/bin/sh\necho \"{tool} must not be needed\" >&2\nexit 127\n");
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
        }

        return bin;
    }

    /// <summary>Copies what a build needs (sources, spec, build files) to a temporary folder.</summary>
    private static string CopyRepository()
    {
        string copy = Directory.CreateTempSubdirectory("openpipe-copy-").FullName;
        foreach (string file in new[] { "nswag.json", "global.json", "Directory.Build.props", "Directory.Packages.props", ".editorconfig" })
        {
            File.Copy(Repo.PathOf(file), Path.Combine(copy, file));
        }

        CopyTree(Repo.PathOf("openapi"), Path.Combine(copy, "openapi"));
        CopyTree(Repo.PathOf("nswag.templates"), Path.Combine(copy, "nswag.templates"));
        CopyTree(Repo.PathOf("src"), Path.Combine(copy, "src"));
        return copy;
    }

    private static void CopyTree(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (string file in Directory.GetFiles(from))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        }

        foreach (string dir in Directory.GetDirectories(from))
        {
            string name = Path.GetFileName(dir);
            if (name is not ("bin" or "obj"))
            {
                CopyTree(dir, Path.Combine(to, name));
            }
        }
    }
}
