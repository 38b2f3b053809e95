using System;
using System.Diagnostics;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using System.Xml.Linq;
using NUnit.Framework;

namespace OpenPipe.Packaging.Tests;

/// <summary>
/// What a NuGet user gets: `dotnet pack -c Release` of OpenPipe.Models, OpenPipe.Client and
/// OpenPipe.Server into a local feed, the packages' metadata, a consumer project that references
/// only the client and server packages, and a server implementer's project that references only the
/// models and server packages.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class PackagingTests
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(6);
    private string work = null!;
    private string feed = null!;
    private string version = null!;

    [OneTimeSetUp]
    public async Task PackAsync()
    {
        work = Path.Combine(Path.GetTempPath(), "openpipe-packaging-" + Guid.NewGuid().ToString("N")[..8]);
        feed = Path.Combine(work, "feed");
        Directory.CreateDirectory(feed);

        // A version no earlier run used, so the NuGet cache cannot serve a stale package.
        version = "0.1.0-ci." + DateTime.UtcNow.ToString("yyyyMMddHHmmss", System.Globalization.CultureInfo.InvariantCulture);
        foreach (string project in new[] { "OpenPipe.Models", "OpenPipe.Client", "OpenPipe.Server" })
        {
            await RunAsync(RepoRoot, "dotnet", "pack", Path.Combine("src", project, project + ".csproj"), "-c", "Release", "-o", feed, "-p:Version=" + version, "--nologo");
        }
    }

    [OneTimeTearDown]
    public void CleanUp()
    {
        try
        {
            Directory.Delete(work, recursive: true);
        }
        catch (IOException)
        {
            // Left for the OS to clean.
        }

        string cache = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        foreach (string id in new[] { "openpipe.models", "openpipe.client", "openpipe.server" })
        {
            string cached = Path.Combine(cache, id, version);
            if (Directory.Exists(cached))
            {
                Directory.Delete(cached, recursive: true);
            }
        }
    }

    [TestCase("OpenPipe.Models")]
    [TestCase("OpenPipe.Client")]
    [TestCase("OpenPipe.Server")]
    public void Pack_Library_HasReadmeLicenseRepositoryCommitDocsAndSymbols(string id)
    {
        // Arrange
        string package = Path.Combine(feed, $"{id}.{version}.nupkg");
        string symbols = Path.Combine(feed, $"{id}.{version}.snupkg");

        // Act
        using var zip = ZipFile.OpenRead(package);
        XNamespace ns = "http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd";
        var metadata = XDocument.Load(zip.GetEntry(id + ".nuspec")!.Open()).Root!.Element(ns + "metadata")!;

        // Assert
        Assert.That((string?)metadata.Element(ns + "license"), Is.EqualTo("MIT"));
        Assert.That((string?)metadata.Element(ns + "license")!.Attribute("type"), Is.EqualTo("expression"));
        Assert.That((string?)metadata.Element(ns + "readme"), Is.EqualTo("README.md"));
        Assert.That(zip.GetEntry("README.md"), Is.Not.Null);
        Assert.That((string?)metadata.Element(ns + "description"), Is.Not.Empty);
        Assert.That((string?)metadata.Element(ns + "tags"), Does.Contain("openpipe"));
        var repository = metadata.Element(ns + "repository")!;
        Assert.That((string?)repository.Attribute("url"), Does.StartWith("https://github.com/"));
        Assert.That((string?)repository.Attribute("commit"), Does.Match("^[0-9a-f]{40}$"));
        Assert.That(zip.Entries.Select(e => e.FullName), Does.Contain($"lib/net10.0/{id}.dll").And.Contain($"lib/net10.0/{id}.xml"));
        using var symbolZip = ZipFile.OpenRead(symbols);
        Assert.That(symbolZip.Entries.Select(e => e.FullName), Does.Contain($"lib/net10.0/{id}.pdb"));
    }

    [Test]
    public async Task Consumer_FromTheLocalPackages_CallsTheClientAndServesTheApi()
    {
        // Arrange: the consumer project, its package versions, and a feed of the local packages before nuget.org.
        string consumer = await ConsumerAsync("Consumer");

        // Act
        string output = await RunAsync(consumer, "dotnet", "run", "--nologo");

        // Assert
        Assert.That(output, Does.Contain("client: echo: from the client"));
        Assert.That(output, Does.Contain("ichatclient: echo: from IChatClient"));
        Assert.That(output, Does.Contain("stream: echo: streamed"));
        string assets = await File.ReadAllTextAsync(Path.Combine(consumer, "obj", "project.assets.json"));
        Assert.That(assets, Does.Contain($"\"OpenPipe.Client/{version}\"").And.Contain($"\"OpenPipe.Server/{version}\"").And.Contain($"\"OpenPipe.Models/{version}\""), "the packages, not project references");
    }

    [Test]
    public async Task ServerConsumer_OnlyModelsAndServerPackages_ServesJsonAndStreams()
    {
        // Arrange: a server implementer's project: OpenPipe.Models and OpenPipe.Server, no client package.
        string consumer = await ConsumerAsync("ServerConsumer");

        // Act
        string output = await RunAsync(consumer, "dotnet", "run", "--nologo");

        // Assert
        Assert.That(output, Does.Contain("json 200: HELLO"));
        Assert.That(output, Does.Contain("stream 200: HELLO"));
        string assets = await File.ReadAllTextAsync(Path.Combine(consumer, "obj", "project.assets.json"));
        Assert.That(assets, Does.Contain($"\"OpenPipe.Server/{version}\"").And.Contain($"\"OpenPipe.Models/{version}\""));
        Assert.That(assets, Does.Not.Contain("OpenPipe.Client/"), "the server package does not bring the client");
        Assert.That(await File.ReadAllTextAsync(Path.Combine(consumer, "Program.cs")), Does.Not.Contain("OpenPipe.Client"));
    }

    /// <summary>A consumer project from its template folder, with the packed version and a feed of the local packages before nuget.org.</summary>
    private async Task<string> ConsumerAsync(string name)
    {
        string consumer = Path.Combine(work, name.ToLowerInvariant());
        Directory.CreateDirectory(consumer);
        string template = Path.Combine(TestContext.CurrentContext.TestDirectory, name);
        await File.WriteAllTextAsync(Path.Combine(consumer, name + ".csproj"), (await File.ReadAllTextAsync(Path.Combine(template, name + ".csproj.txt"))).Replace("$PACKAGE_VERSION", version, StringComparison.Ordinal));
        File.Copy(Path.Combine(template, "Program.cs"), Path.Combine(consumer, "Program.cs"));
        await File.WriteAllTextAsync(Path.Combine(consumer, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="local" value="{feed}" />
                <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
              </packageSources>
              <packageSourceMapping>
                <packageSource key="local"><package pattern="OpenPipe.*" /></packageSource>
                <packageSource key="nuget.org"><package pattern="*" /></packageSource>
              </packageSourceMapping>
            </configuration>
            """);
        return consumer;
    }

    private static string RepoRoot
    {
        get
        {
            var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "OpenPipe.Generated.sln")))
            {
                dir = dir.Parent;
            }

            return dir?.FullName ?? throw new InvalidOperationException("The repository root (OpenPipe.Generated.sln) was not found.");
        }
    }

    /// <summary>Runs a command to its end within <see cref="CommandTimeout"/>; a non-zero exit or a time-out fails with the output.</summary>
    private static async Task<string> RunAsync(string directory, string file, params string[] arguments)
    {
        var info = new ProcessStartInfo(file)
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        // Not the test host's MSBuild node settings: the child builds on its own.
        info.Environment.Remove("MSBuildExtensionsPath");
        info.Environment.Remove("MSBUILD_EXE_PATH");
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"{file} could not be started.");
        var output = new StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var timeout = new CancellationTokenSource(CommandTimeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"`{file} {string.Join(' ', arguments)}` did not finish within {CommandTimeout.TotalMinutes} minutes:\n{output}");
        }

        string text;
        lock (output)
        {
            text = output.ToString();
        }

        Assert.That(process.ExitCode, Is.Zero, $"`{file} {string.Join(' ', arguments)}` in {directory} failed:\n{text}");
        return text;
    }
}
