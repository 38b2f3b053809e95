using System;
using System.Collections.Concurrent;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using CsCheck;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using NUnit.Framework;
using OpenPipe.Client;
using OpenPipe.Server;

namespace OpenPipe.Fuzz.Tests;

/// <summary>
/// Property: the server's request reader answers every body the same with its UTF-8 fast path as
/// without it: the same status, the same error body, and the same request, written back. Seeded
/// (the mutation run's seed and case count), on the same hostile mutations.
/// </summary>
[TestFixture]
public sealed class FastPathTests
{
    [Test]
    public async Task ReadAsync_MutatedRequestsWithAndWithoutTheFastPath_AnswerTheSame()
    {
        // Arrange
        var options = new OpenPipeServerOptions();
        var differences = new ConcurrentQueue<string>();
        int accepted = 0;

        // Act
        await Check.SampleAsync(
            RequestMutations.Requests,
            async request =>
            {
                var fast = await ReadAsync(request, options, fastPath: true);
                var full = await ReadAsync(request, options, fastPath: false);
                if (fast != full)
                {
                    differences.Enqueue($"fast {fast}\n    full {full}\n    request: {request}");
                }
                else if (fast.Status == 200)
                {
                    Interlocked.Increment(ref accepted);
                }
            },
            seed: MutatedRequestTests.Seed,
            iter: MutatedRequestTests.Cases,
            threads: 2,
            print: r => r.ToString());

        // Assert
        TestContext.Out.WriteLine($"{MutatedRequestTests.Cases} cases, {accepted} accepted by both paths");
        Assert.That(differences, Is.Empty, $"{differences.Count} differences; the first 10:\n" + string.Join("\n", differences.Take(10)));
        Assert.That(accepted, Is.GreaterThan(0), "some mutations stay valid, so the fast path is exercised");
    }

    /// <summary>What the server's request reader takes from the app: request decompression, as AddOpenPipeServer registers it.</summary>
    private ServiceProvider services = null!;

    [OneTimeSetUp]
    public void CreateServices() => services = new ServiceCollection().AddLogging().AddRequestDecompression().BuildServiceProvider();

    [OneTimeTearDown]
    public void DisposeServices() => services.Dispose();

    private async Task<(int Status, string? Error, string? Request)> ReadAsync(FuzzRequest request, OpenPipeServerOptions options, bool fastPath)
    {
        var context = new DefaultHttpContext { RequestServices = services };
        context.Request.Method = "POST";
        context.Request.ContentType = request.ContentType;
        if (request.ContentEncoding is { } encoding)
        {
            context.Request.Headers.ContentEncoding = encoding;
        }

        context.Request.Body = new MemoryStream(request.Body, writable: false);
        context.Request.ContentLength = request.Body.Length;
        var result = await ChatCompletionRequestReader.ReadAsync(context.Request, options, fastPath, CancellationToken.None);
        return (result.Status, result.Error is null ? null : OpenPipeJson.Serialize(result.Error), result.Request is null ? null : OpenPipeJson.Serialize(result.Request));
    }
}
