using System.IO;
using System.Linq;
using NUnit.Framework;
using OpenPipe.Client.Tests.Support;

namespace OpenPipe.Client.Tests.Contract;

/// <summary>openapi/openpipe.yaml covers every property path of OpenPipe's published schema with the same facts.</summary>
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
    public void Spec_ResponseCountsAndTimes_AreIntegers()
    {
        // The vendor types them `number`; the wire only ever carries whole numbers, and a server
        // built on the kit must not be able to send `created: 1.5`. Request fields keep the vendor's type.
        var ours = SpecWalker.Walk(Repo.PathOf("openapi", "openpipe.yaml"));
        string[] integers = ["response:created", "response:choices[].index", "response:usage.prompt_tokens", "response:usage.completion_tokens", "response:usage.total_tokens"];
        Assert.That(integers.Select(p => ours[p].Split('\t')[1]), Is.All.EqualTo("integer"));
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
