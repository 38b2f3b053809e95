using System;
using System.Collections.Concurrent;
using System.Globalization;
using System.Linq;
using System.Text;
using System.Threading.Tasks;
using CsCheck;
using NUnit.Framework;

namespace OpenPipe.Fuzz.Tests;

/// <summary>
/// Property: whatever a client sends, the gateway on Kestrel answers without a 5xx, every error is a
/// JSON body in the API's shape, nothing is logged at Error, and the gateway still answers a valid
/// request afterwards.
/// Seeded and bounded (<see cref="Cases"/>, default 2,000); set OPENPIPE_FUZZ_CASES for a longer
/// run, OPENPIPE_FUZZ_SEED to change or replay the sequence (a failure prints the seed of its
/// case), and OPENPIPE_FUZZ_KEEP_GOING=1 to collect every failure instead of stopping (and
/// shrinking) at the first.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class MutatedRequestTests
{
    private FuzzGateway gateway = null!;

    /// <summary>How many mutated requests one run sends.</summary>
    public static long Cases => long.TryParse(Environment.GetEnvironmentVariable("OPENPIPE_FUZZ_CASES"), NumberStyles.None, CultureInfo.InvariantCulture, out long n) && n > 0 ? n : 2_000;

    /// <summary>The CsCheck seed of the run: fixed unless OPENPIPE_FUZZ_SEED gives another.</summary>
    public static string Seed => Environment.GetEnvironmentVariable("OPENPIPE_FUZZ_SEED") is { Length: > 0 } seed ? seed : new PCG(12, 20261129).ToString();

    private static bool KeepGoing => Environment.GetEnvironmentVariable("OPENPIPE_FUZZ_KEEP_GOING") == "1";

    [OneTimeSetUp]
    public void StartGateway() => gateway = new FuzzGateway();

    [OneTimeTearDown]
    public void StopGateway() => gateway.Dispose();

    [Test]
    public async Task Post_MutatedRequests_NeverAnswer5xxAndAlwaysUseTheErrorShape()
    {
        // Arrange
        var failures = new ConcurrentQueue<string>();
        var statuses = new ConcurrentDictionary<int, int>();

        // Act
        await Check.SampleAsync(
            RequestMutations.Requests,
            async request =>
            {
                var (status, mediaType, body) = await ResponseRules.SendAsync(gateway.Http, request);
                statuses.AddOrUpdate(status, 1, (_, n) => n + 1);
                if (ResponseRules.Check(status, mediaType, body) is { } problem)
                {
                    failures.Enqueue($"{problem}\n    request: {request}");
                    if (!KeepGoing)
                    {
                        throw new AssertionException(problem);
                    }
                }
            },
            seed: Seed,
            iter: Cases,
            threads: 2,
            print: r => r.ToString());

        // Assert: the last valid request still gets its answer.
        var (finalStatus, _, finalBody) = await ResponseRules.SendAsync(gateway.Http, Valid());
        TestContext.Out.WriteLine($"{Cases} cases, seed {Seed}; statuses: {string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Key}×{s.Value}"))}");
        var logged = gateway.Errors.GroupBy(e => e.Length > 160 ? e[..160] : e).OrderByDescending(g => g.Count()).Select(g => $"{g.Count()}× {g.Key}").ToList();
        TestContext.Out.WriteLine("server errors logged: " + (logged.Count == 0 ? "none" : "\n  " + string.Join("\n  ", logged)));
        Assert.Multiple(() =>
        {
            Assert.That(failures, Is.Empty, $"{failures.Count} failures; the first 20:\n" + string.Join("\n", failures.Take(20)));
            Assert.That(gateway.Errors, Is.Empty, "nothing is logged at Error");
            Assert.That(finalStatus, Is.EqualTo(200), finalBody);
            Assert.That(statuses.Keys, Does.Contain(400).And.Contain(415), "the mutations reach both the body's and the encoding's rejections");
            Assert.That((statuses.TryGetValue(200, out int ok) ? ok : 0), Is.GreaterThan(0), "some mutations stay valid");
        });
    }

    private static FuzzRequest Valid() => new("valid", Encoding.UTF8.GetBytes(RequestMutations.Seeds[0]), "application/json", null, []);
}
