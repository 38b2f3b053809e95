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
    private static readonly string[] GeneratedFolders = ["src/OpenPipe.Client/Generated", "src/OpenPipe.Server/Generated"];

    [Test]
    public async Task Regenerate_IntoTemporaryFolder_ReproducesCommittedFilesByteForByte()
    {
        // Arrange
        string output = Directory.CreateTempSubdirectory("openpipe-regen-").FullName;
        var build = await Repo.RunAsync("dotnet", "build src/OpenPipe.CodeGen -c Release -nodeReuse:false -v q", Repo.Root, BuildTimeout);
        Assert.That(build.ExitCode, Is.Zero, build.Output);

        // Act
        var run = await Repo.RunAsync("dotnet", $"src/OpenPipe.CodeGen/bin/Release/net10.0/OpenPipe.CodeGen.dll --repo . --output-root \"{output}\"", Repo.Root, BuildTimeout);

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
        File.WriteAllText(spec, text.Replace(anchor, anchor + "        served_region:\n          type: string\n          description: The region that served the request.\n", StringComparison.Ordinal));
        File.WriteAllText(Path.Combine(copy, "src", "OpenPipe.Server", "Custom", "SpecChangeProbe.cs"), """
            namespace OpenPipe.Server;

            /// <summary>Uses the property the changed spec added.</summary>
            public sealed class SpecChangeProbeController : ChatCompletionsControllerBase
            {
                /// <inheritdoc />
                public override System.Threading.Tasks.Task<Microsoft.AspNetCore.Mvc.ActionResult<OpenPipe.Client.ChatCompletion>> CreateChatCompletion(
                    bool? opLogRequest, OpenPipe.Client.CacheMode? opCache, string? opTags, string? opCriteria, OpenPipe.Client.ChatCompletionRequest body, System.Threading.CancellationToken cancellationToken = default) =>
                    System.Threading.Tasks.Task.FromResult<Microsoft.AspNetCore.Mvc.ActionResult<OpenPipe.Client.ChatCompletion>>(new OpenPipe.Client.ChatCompletion { ServedRegion = "eu" });
            }
            """);
        string stampBefore = File.ReadAllText(Path.Combine(copy, "src/OpenPipe.Server/Generated/.openpipe-spec.sha256"));

        try
        {
            // Act: one build.
            var build = await Repo.RunAsync("dotnet", "build src/OpenPipe.Server -nodeReuse:false", copy, BuildTimeout);

            // Assert
            Assert.That(build.ExitCode, Is.Zero, build.Output);
            Assert.That(build.Output, Does.Contain("regenerating with NSwag"));
            string client = File.ReadAllText(Path.Combine(copy, "src/OpenPipe.Client/Generated/OpenPipeClient.g.cs"));
            Assert.That(client, Does.Contain("[Newtonsoft.Json.JsonProperty(\"served_region\""));
            Assert.That(client, Does.Contain("public string? ServedRegion { get; set; }"));
            string stampAfter = File.ReadAllText(Path.Combine(copy, "src/OpenPipe.Server/Generated/.openpipe-spec.sha256"));
            Assert.That(stampAfter, Is.Not.EqualTo(stampBefore), "the controller base was regenerated from the new spec");
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
    public async Task Build_StaleSpecWithNoNpmToolsAndNoNode_FailsWithAClearError()
    {
        // Arrange: a copy without node_modules whose spec changed, built with only dotnet and sh on PATH.
        string copy = CopyRepository(linkNodeModules: false);
        File.AppendAllText(Path.Combine(copy, "openapi", "openpipe.yaml"), "# changed\n");
        string bin = Directory.CreateTempSubdirectory("openpipe-path-").FullName;
        string dotnet = Path.GetFullPath(System.Environment.ProcessPath!.EndsWith("dotnet", StringComparison.Ordinal) ? System.Environment.ProcessPath : "/usr/bin/dotnet");
        File.CreateSymbolicLink(Path.Combine(bin, "dotnet"), new FileInfo(dotnet).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? dotnet);
        File.CreateSymbolicLink(Path.Combine(bin, "sh"), "/bin/sh");

        try
        {
            // Act
            var build = await Repo.RunAsync(Path.Combine(bin, "dotnet"), "build src/OpenPipe.Client -nodeReuse:false", copy, BuildTimeout, ("PATH", bin));

            // Assert
            Assert.That(build.ExitCode, Is.Not.Zero);
            Assert.That(build.Output, Does.Contain("error OPG003"));
            Assert.That(build.Output, Does.Contain("is stale"));
        }
        finally
        {
            Directory.Delete(copy, recursive: true);
            Directory.Delete(bin, recursive: true);
        }
    }

    /// <summary>Copies what a build needs (sources, spec, build files) to a temporary folder; node_modules is linked unless asked not to.</summary>
    private static string CopyRepository(bool linkNodeModules = true)
    {
        string copy = Directory.CreateTempSubdirectory("openpipe-copy-").FullName;
        foreach (string file in new[] { "nswag.json", "global.json", "Directory.Build.props", "Directory.Packages.props", ".editorconfig", "package.json", "package-lock.json" })
        {
            File.Copy(Repo.PathOf(file), Path.Combine(copy, file));
        }

        CopyTree(Repo.PathOf("openapi"), Path.Combine(copy, "openapi"));
        CopyTree(Repo.PathOf("src"), Path.Combine(copy, "src"));
        if (linkNodeModules)
        {
            Directory.CreateSymbolicLink(Path.Combine(copy, "node_modules"), Repo.PathOf("node_modules"));
        }

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
