using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using NUnit.Framework;

namespace OpenPipe.Gateway.Tests.Documentation;

/// <summary>
/// Every C# block of the documentation compiles against the kit as it is now, in a project like
/// <c>dotnet new web</c> (its implicit usings, nullable on). A block that is a whole program (it builds
/// a WebApplication) compiles alone; any other block is a fragment and may use the objects the text
/// around it names: <c>client</c> (an <c>OpenPipeClient</c>), <c>builder</c>, <c>services</c>,
/// <c>app</c> and <c>myChatClient</c> (an <c>IChatClient</c>). Anything else it uses it must declare.
/// </summary>
[TestFixture]
[Parallelizable(ParallelScope.All)]
public sealed class DocumentationSnippetTests
{
    private static readonly string[] ImplicitUsings =
    [
        "System", "System.Collections.Generic", "System.IO", "System.Linq", "System.Net.Http", "System.Net.Http.Json",
        "System.Threading", "System.Threading.Tasks", "Microsoft.AspNetCore.Builder", "Microsoft.AspNetCore.Hosting",
        "Microsoft.AspNetCore.Http", "Microsoft.AspNetCore.Routing", "Microsoft.Extensions.Configuration",
        "Microsoft.Extensions.DependencyInjection", "Microsoft.Extensions.Hosting", "Microsoft.Extensions.Logging",
    ];

    /// <summary>What a fragment may use without declaring it, and its type.</summary>
    private static readonly (string Name, string Type)[] Ambient =
    [
        ("client", "OpenPipe.Client.OpenPipeClient"),
        ("builder", "Microsoft.AspNetCore.Builder.WebApplicationBuilder"),
        ("services", "Microsoft.Extensions.DependencyInjection.IServiceCollection"),
        ("app", "Microsoft.AspNetCore.Builder.WebApplication"),
        ("myChatClient", "Microsoft.Extensions.AI.IChatClient"),
    ];

    private static readonly Lazy<ImmutableArray<MetadataReference>> References = new(LoadReferences);

    private static readonly CSharpParseOptions Parse = new(LanguageVersion.Latest);

    public static IEnumerable<TestCaseData> CSharpBlocks() =>
        DocumentationSnippets.Blocks("csharp").Select(b => new TestCaseData(b).SetArgDisplayNames(b.ToString()));

    [Test]
    public void Documentation_CSharpBlocks_AreFoundInEveryUserFacingFile()
    {
        // Act
        var blocks = DocumentationSnippets.Blocks("csharp").ToList();

        // Assert: the README's client, M.E.AI, telemetry and server examples, and the packages' own.
        Assert.That(blocks.Count(b => b.File == "README.md"), Is.GreaterThanOrEqualTo(5));
        Assert.That(blocks.Select(b => b.File), Has.Some.StartsWith("src/").And.EndsWith("PACKAGE.md"));
        Assert.That(blocks.Select(b => b.File), Has.Some.StartsWith("docs/"));
    }

    [TestCaseSource(nameof(CSharpBlocks))]
    public void CSharpBlock_InTheDocumentation_Compiles(DocumentationBlock block)
    {
        // Arrange
        var source = Program(block);

        // Act
        var compilation = CSharpCompilation.Create(
            "Snippet",
            [CSharpSyntaxTree.ParseText(ImplicitUsingsSource(), Parse), CSharpSyntaxTree.ParseText(source, Parse, path: block.ToString())],
            References.Value,
            new CSharpCompilationOptions(OutputKind.ConsoleApplication, nullableContextOptions: NullableContextOptions.Enable));
        var errors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();

        // Assert
        Assert.That(errors, Is.Empty, $"{block} does not compile:\n{string.Join('\n', errors)}\n--- as compiled:\n{source}");
    }

    [Test]
    public void CSharpBlock_WithAMistake_DoesNotCompile()
    {
        // Arrange: a fragment that uses a variable nobody declares, as the README's first block once did.
        var block = new DocumentationBlock("test.md", 1, "csharp", "await client.CreateChatCompletionAsync(new OpenPipe.ChatCompletionRequest(), cancellationToken);", "test");

        // Act
        var compilation = CSharpCompilation.Create(
            "Snippet",
            [CSharpSyntaxTree.ParseText(ImplicitUsingsSource(), Parse), CSharpSyntaxTree.ParseText(Program(block), Parse)],
            References.Value,
            new CSharpCompilationOptions(OutputKind.ConsoleApplication, nullableContextOptions: NullableContextOptions.Enable));

        // Assert
        Assert.That(compilation.GetDiagnostics().Select(d => d.Id), Does.Contain("CS0103"));
    }

    /// <summary>The block as a top-level program: its usings, then the ambient objects it uses and does not declare, then the rest.</summary>
    private static string Program(DocumentationBlock block)
    {
        var root = (CompilationUnitSyntax)CSharpSyntaxTree.ParseText(block.Code, Parse).GetRoot();
        bool whole = block.Code.Contains("WebApplication.CreateBuilder", StringComparison.Ordinal);
        var declared = root.DescendantNodes().OfType<VariableDeclaratorSyntax>().Select(v => v.Identifier.ValueText)
            .Concat(root.DescendantNodes().OfType<SingleVariableDesignationSyntax>().Select(v => v.Identifier.ValueText))
            .ToHashSet(StringComparer.Ordinal);
        var used = root.DescendantNodes().OfType<IdentifierNameSyntax>().Select(i => i.Identifier.ValueText).ToHashSet(StringComparer.Ordinal);

        var text = new StringBuilder();
        foreach (var directive in root.Usings)
        {
            text.AppendLine(directive.ToString());
        }

        if (!whole)
        {
            foreach (var (name, type) in Ambient.Where(a => used.Contains(a.Name) && !declared.Contains(a.Name)))
            {
                text.AppendLine($"{type} {name} = null!;");
            }
        }

        int bodyStart = root.Usings.Count > 0 ? root.Usings.Last().FullSpan.End : 0;
        text.Append(block.Code[bodyStart..]);
        return text.ToString();
    }

    private static string ImplicitUsingsSource() => string.Concat(ImplicitUsings.Select(u => $"global using global::{u};\n"));

    /// <summary>The runtime's assemblies (with ASP.NET Core's) and every assembly beside the tests (the kit, M.E.AI, OpenTelemetry, ...).</summary>
    private static ImmutableArray<MetadataReference> LoadReferences()
    {
        var paths = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (string path in ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator))
        {
            paths.TryAdd(Path.GetFileName(path), path);
        }

        foreach (string path in Directory.GetFiles(AppContext.BaseDirectory, "*.dll"))
        {
            paths.TryAdd(Path.GetFileName(path), path);
        }

        return [.. paths.Values.Where(IsAssembly).Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))];
    }

    private static bool IsAssembly(string path)
    {
        try
        {
            System.Reflection.AssemblyName.GetAssemblyName(path);
            return true;
        }
        catch (BadImageFormatException)
        {
            return false;
        }
    }
}
