using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using BdnSummary = BenchmarkDotNet.Reports.Summary;

namespace OpenPipe.Benchmarks;

/// <summary>
/// After a BenchmarkDotNet run: OpenPipeClient's mean time and allocations divided by each peer
/// client's in the same scenario (same parameters and category), since the targets are ratios to the
/// OpenAI SDK, not to the raw baseline BenchmarkDotNet's Ratio column uses.
/// </summary>
public static class ClientRatios
{
    private const string Ours = "OpenPipeClient";

    private static readonly string[] Peers = ["OpenAISdk", "MeaiOpenAIChatClient", "RawHttpClientSystemTextJson", "RawSseParserSystemTextJson"];

    public static IEnumerable<(string Scenario, string Peer, double Time, double Allocated)> Compute(IEnumerable<BdnSummary> summaries)
    {
        foreach (var summary in summaries)
        {
            var rows = summary.Reports
                .Where(r => r.ResultStatistics is not null)
                .Select(r => (
                    Scenario: $"{r.BenchmarkCase.Descriptor.Type.Name} {r.BenchmarkCase.Parameters.DisplayInfo} {string.Join(',', r.BenchmarkCase.Descriptor.Categories)}".Trim(),
                    Method: r.BenchmarkCase.Descriptor.WorkloadMethod.Name.Replace("FirstChunk_", string.Empty, StringComparison.Ordinal),
                    Mean: r.ResultStatistics!.Mean,
                    Allocated: (double)r.GcStats.GetBytesAllocatedPerOperation(r.BenchmarkCase).GetValueOrDefault()))
                .ToArray();
            foreach (var scenario in rows.GroupBy(r => r.Scenario))
            {
                var ours = scenario.FirstOrDefault(r => r.Method == Ours);
                if (ours.Method is null)
                {
                    continue;
                }

                foreach (var peer in scenario.Where(r => Peers.Contains(r.Method)))
                {
                    yield return (scenario.Key, peer.Method, ours.Mean / peer.Mean, peer.Allocated > 0 ? ours.Allocated / peer.Allocated : double.NaN);
                }
            }
        }
    }

    public static void Write(IEnumerable<BdnSummary> summaries, TextWriter writer)
    {
        var ratios = Compute(summaries).ToArray();
        if (ratios.Length == 0)
        {
            return;
        }

        writer.WriteLine();
        writer.WriteLine("| scenario | OpenPipeClient / peer | time | allocated |");
        writer.WriteLine("|---|---|---:|---:|");
        foreach (var (scenario, peer, time, allocated) in ratios)
        {
            writer.WriteLine(FormattableString.Invariant($"| {scenario} | {peer} | {time:0.00} | {allocated:0.00} |"));
        }
    }
}
