using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using OpenPipe.Client.Tests.Support;

namespace OpenPipe.Gateway.Tests.Documentation;

/// <summary>A fenced code block of a Markdown file of the repository.</summary>
/// <param name="File">The file, relative to the repository root.</param>
/// <param name="Line">The line of the opening fence (1-based).</param>
/// <param name="Language">The fence's language (<c>csharp</c>, <c>bash</c>, ...).</param>
/// <param name="Code">The block's text.</param>
/// <param name="Section">The heading the block is under.</param>
public sealed record DocumentationBlock(string File, int Line, string Language, string Code, string Section)
{
    public override string ToString() => $"{File}:{Line}";
}

/// <summary>The documentation users read: the README, CONTRIBUTING, docs/ and each package's README.</summary>
internal static partial class DocumentationSnippets
{
    public static IEnumerable<string> Files()
    {
        yield return "README.md";
        yield return "CONTRIBUTING.md";
        foreach (string file in Directory.GetFiles(Repo.PathOf("docs"), "*.md", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            yield return Path.GetRelativePath(Repo.Root, file).Replace('\\', '/');
        }

        foreach (string file in Directory.GetFiles(Repo.PathOf("src"), "PACKAGE.md", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            yield return Path.GetRelativePath(Repo.Root, file).Replace('\\', '/');
        }
    }

    public static IEnumerable<DocumentationBlock> Blocks(string language) =>
        Files().SelectMany(Read).Where(b => b.Language == language);

    private static IEnumerable<DocumentationBlock> Read(string file)
    {
        string[] lines = File.ReadAllLines(Repo.PathOf(file));
        string section = string.Empty;
        for (int i = 0; i < lines.Length; i++)
        {
            if (lines[i].StartsWith('#'))
            {
                section = lines[i].TrimStart('#').Trim();
                continue;
            }

            var fence = Fence().Match(lines[i]);
            if (!fence.Success)
            {
                continue;
            }

            int start = i;
            var code = new List<string>();
            while (++i < lines.Length && !lines[i].TrimStart().StartsWith("```", StringComparison.Ordinal))
            {
                code.Add(lines[i]);
            }

            yield return new DocumentationBlock(file, start + 1, fence.Groups[1].Value, string.Join('\n', code), section);
        }
    }

    [GeneratedRegex(@"^\s*```(\w*)\s*$")]
    private static partial Regex Fence();
}
