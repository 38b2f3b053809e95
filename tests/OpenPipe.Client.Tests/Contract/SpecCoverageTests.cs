using System.Collections.Generic;
using System.IO;
using System.Linq;
using NUnit.Framework;
using OpenPipe.Client.Tests.Support;

namespace OpenPipe.Client.Tests.Contract;

/// <summary>
/// openapi/openpipe.yaml covers every property path of OpenPipe's published schema with the same
/// facts, defaults, and values per union variant.
/// </summary>
[TestFixture]
public sealed class SpecCoverageTests
{
    [Test]
    public void Spec_EveryVendorPropertyPath_IsPresentWithSameTypeEnumRequiredAndNullability()
    {
        // Arrange: the vendor's paths, derived once from shared/reference (the document itself stays there).
        var vendor = File.ReadAllLines(Repo.TestFile("Contract", "vendor-paths.tsv"))
            .Where(l => l.Length > 0)
            .ToDictionary(l => l.Split('\t')[0]);

        // Act
        var ours = SpecWalker.Walk(Repo.PathOf("openapi", "openpipe.yaml"));

        // Assert
        Assert.That(vendor, Has.Count.EqualTo(139), "the vendor list holds 139 paths");
        var missing = vendor.Keys.Where(p => !ours.ContainsKey(p)).ToList();
        var different = vendor.Where(v => ours.TryGetValue(v.Key, out var o) && Narrowed(v.Key, o) != v.Value)
            .Select(v => $"vendor: {v.Value}\n  ours: {ours[v.Key]}").ToList();
        Assert.Multiple(() =>
        {
            Assert.That(missing, Is.Empty, "paths missing from openapi/openpipe.yaml");
            Assert.That(different, Is.Empty, "paths whose type, enum, required or nullability differ");
        });
    }

    [Test]
    public void Spec_EveryVendorPropertyPath_HasTheVendorsDefaults()
    {
        // Arrange: the vendor's defaults (vendor-defaults.tsv), derived with SpecWalker.WalkDefaults
        // from the same document as vendor-paths.tsv; a path without a line has no default.
        var vendor = ReadLines("vendor-defaults.tsv");
        var paths = ReadLines("vendor-paths.tsv").Keys;

        // Act
        var ours = SpecWalker.WalkDefaults(Repo.PathOf("openapi", "openpipe.yaml"));

        // Assert: tool_choice.type defaults to function, an assistant message's content to null...
        Assert.That(vendor, Has.Count.EqualTo(12), "the vendor list holds 12 paths with defaults");
        Assert.That(vendor["request:tool_choice.type"], Is.EqualTo("request:tool_choice.type\t\"function\""));
        Assert.That(paths.Select(p => Differs(p, vendor, ours)).OfType<string>(), Is.Empty, "paths whose defaults differ");
    }

    [Test]
    public void Spec_EveryVendorUnionVariant_AllowsTheVendorsValues()
    {
        // Arrange: for each variant of the vendor's unions (messages by role, content parts and
        // response formats by type, criterion results by status), the values each of its own
        // properties allows (vendor-variants.tsv, derived with SpecWalker.WalkVariants).
        var vendor = ReadLines("vendor-variants.tsv");

        // Act
        var ours = SpecWalker.WalkVariants(Repo.PathOf("openapi", "openpipe.yaml"));

        // Assert: a `success` result's status is `success` only, though the base lists both (and reads any).
        Assert.That(vendor, Has.Count.EqualTo(15), "the vendor list holds 15 variant properties");
        Assert.That(ours["response:choices[].criteria_results{}<status=success>.status"], Does.EndWith("\tsuccess"));
        Assert.That(vendor.Keys.Select(p => Differs(p, vendor, ours)).OfType<string>(), Is.Empty, "variant properties whose values differ");
    }

    [TestCase("          default: function\n", "", "request:tool_choice.type")]
    [TestCase("              default: null\n              anyOf:\n                - $ref: '#/components/schemas/ChatMessageContent'\n",
        "              anyOf:\n                - $ref: '#/components/schemas/ChatMessageContent'\n", "request:messages[].content")]
    public void WalkDefaults_SpecWithoutAVendorDefault_ReportsTheDifference(string text, string replacement, string path)
    {
        // Arrange: a copy of the spec that loses one of the vendor's defaults, to show the comparison can fail.
        var vendor = ReadLines("vendor-defaults.tsv");
        string copy = CopyOfSpec(text, replacement);

        try
        {
            // Act
            var ours = SpecWalker.WalkDefaults(copy);

            // Assert
            Assert.That(Differs(path, vendor, ours), Does.StartWith($"vendor: {path}\t"));
        }
        finally
        {
            File.Delete(copy);
        }
    }

    [Test]
    public void WalkVariants_SpecWhoseSuccessResultAllowsBothStatuses_ReportsTheDifference()
    {
        // Arrange: the criterion variants as they were, each allowing every status of the base.
        var vendor = ReadLines("vendor-variants.tsv");
        string copy = CopyOfSpec("              enum: [success]\n", "              enum: [success, error]\n");

        try
        {
            // Act
            var ours = SpecWalker.WalkVariants(copy);

            // Assert
            Assert.That(Differs("response:choices[].criteria_results{}<status=success>.status", vendor, ours), Does.EndWith("\terror,success"));
        }
        finally
        {
            File.Delete(copy);
        }
    }

    [Test]
    public void Spec_ResponseCountsAndTimes_AreIntegers()
    {
        // The vendor types them `number`; the wire only ever carries whole numbers, and a server
        // built on the kit must not be able to send `created: 1.5`. Request fields keep the vendor's type.
        var ours = SpecWalker.Walk(Repo.PathOf("openapi", "openpipe.yaml"));
        string[] integers = ["response:created", "response:choices[].index", "response:usage.prompt_tokens", "response:usage.completion_tokens", "response:usage.total_tokens"];
        Assert.That(integers.Select(p => ours[p].Split('\t')[1]), Is.All.EqualTo("integer"));
    }

    private static Dictionary<string, string> ReadLines(string file) =>
        File.ReadAllLines(Repo.TestFile("Contract", file)).Where(l => l.Length > 0).ToDictionary(l => l.Split('\t')[0]);

    /// <summary>Null when both lists say the same about the path (or neither says anything), else both lines.</summary>
    private static string? Differs(string path, Dictionary<string, string> vendor, Dictionary<string, string> ours)
    {
        string? theirs = vendor.GetValueOrDefault(path);
        string? mine = ours.GetValueOrDefault(path);
        return theirs == mine ? null : $"vendor: {theirs ?? path + " (none)"}\n  ours: {mine ?? path + " (none)"}";
    }

    /// <summary>A temporary copy of the spec with one text replaced (which must be there, once).</summary>
    private static string CopyOfSpec(string text, string replacement)
    {
        string spec = File.ReadAllText(Repo.PathOf("openapi", "openpipe.yaml"));
        Assert.That(spec.Split(text).Length, Is.EqualTo(2), $"the spec holds '{text.Trim()}' once");
        string copy = Path.Combine(Path.GetTempPath(), $"openpipe-{System.Guid.NewGuid():N}.yaml");
        File.WriteAllText(copy, spec.Replace(text, replacement, System.StringComparison.Ordinal));
        return copy;
    }

    /// <summary>A response path may narrow the vendor's `number` to `integer` (every integer is a number).</summary>
    private static string Narrowed(string path, string line)
    {
        var fields = line.Split('\t');
        if (path.StartsWith("response:", System.StringComparison.Ordinal) && fields[1] == "integer")
        {
            fields[1] = "number";
        }

        return string.Join('\t', fields);
    }

    [Test]
    public void Walk_SpecWithARemovedProperty_ReportsItMissing()
    {
        // Arrange: a copy of the spec without `top_logprobs`, to show the walk can fail.
        string copy = Path.Combine(Path.GetTempPath(), $"openpipe-{System.Guid.NewGuid():N}.yaml");
        string spec = File.ReadAllText(Repo.PathOf("openapi", "openpipe.yaml"));
        File.WriteAllText(copy, spec.Replace("        top_logprobs:\n", "        top_logprobs_renamed:\n", System.StringComparison.Ordinal));

        try
        {
            // Act
            var ours = SpecWalker.Walk(copy);

            // Assert
            Assert.That(ours.ContainsKey("request:top_logprobs"), Is.False);
            Assert.That(ours.ContainsKey("request:top_logprobs_renamed"), Is.True);
        }
        finally
        {
            File.Delete(copy);
        }
    }
}
