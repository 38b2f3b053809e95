using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net.Http;
using System.Reflection;
using System.Text;
using System.Threading.Tasks;
using BenchmarkDotNet.Attributes;
using NUnit.Framework;
using OpenPipe.Client;

namespace OpenPipe.Benchmarks.Tests;

/// <summary>Each benchmark method runs once and returns the right result (not its speed).</summary>
[TestFixture]
[NonParallelizable]
public sealed class BenchmarkSmokeTests
{
    /// <summary>Runs GlobalSetup, every [Benchmark] method once, and GlobalCleanup; returns each method's result.</summary>
    private static async Task<Dictionary<string, object?>> RunAllAsync(object benchmarks)
    {
        var type = benchmarks.GetType();
        await InvokeAsync(benchmarks, type.GetMethods().SingleOrDefault(m => m.GetCustomAttribute<GlobalSetupAttribute>() is not null));
        try
        {
            var results = new Dictionary<string, object?>();
            foreach (var method in type.GetMethods().Where(m => m.GetCustomAttribute<BenchmarkAttribute>() is not null))
            {
                results[method.Name] = await InvokeAsync(benchmarks, method);
            }

            Assert.That(results, Is.Not.Empty);
            return results;
        }
        finally
        {
            await InvokeAsync(benchmarks, type.GetMethods().SingleOrDefault(m => m.GetCustomAttribute<GlobalCleanupAttribute>() is not null));
        }
    }

    private static async Task<object?> InvokeAsync(object target, MethodInfo? method)
    {
        if (method is null)
        {
            return null;
        }

        object? result = method.Invoke(target, null);
        if (result is Task task)
        {
            await task;
            return task.GetType().IsGenericType ? task.GetType().GetProperty("Result")!.GetValue(task) : null;
        }

        return result;
    }

    [Test]
    public async Task LogQueries_SmallTable_TimesEveryPageWithItsPlanExportsEveryRowAndLoadsTheWebPage()
    {
        string report = Path.Combine(Path.GetTempPath(), $"openpipe-bench-logs-{Guid.NewGuid():N}.md");
        try
        {
            int status = await LogQueries.RunAsync(["--rows", "2000", "--out", report]);

            string text = await File.ReadAllTextAsync(report);
            Assert.That(status, Is.Zero);
            Assert.That(text, Does.Contain("seeded 2,000 rows"));
            Assert.That(text, Does.Contain("| key, model, 2xx and a tag |"));
            Assert.That(text, Does.Contain("| all 2,000 rows |"));
            Assert.That(text.Split("#### ").Length - 1, Is.EqualTo(14), "one plan per page");
            Assert.That(text, Does.Contain("Execution Time"));
            Assert.That(text, Does.Contain("| calls, key, model, 2xx and a tag |").And.Contain("| one call |").And.Contain("| usage by day, all 2,000 rows |"), "the page, signed in, over the same rows");
        }
        finally
        {
            File.Delete(report);
        }
    }

    [Test]
    public async Task LogThroughput_Sqlite_StoresEveryQueuedRowInBatches()
    {
        string file = Path.Combine(Path.GetTempPath(), $"openpipe-bench-smoke-{Guid.NewGuid():N}.db");
        try
        {
            var (rows, elapsed) = await LogThroughput.MeasureAsync(new OpenPipe.Gateway.Storage.SqliteGatewayStore("Data Source=" + file, Path.GetTempPath()), 100, 1_000);

            await using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={file};Pooling=False");
            await connection.OpenAsync();
            await using var count = connection.CreateCommand();
            count.CommandText = "SELECT COUNT(*), COUNT(DISTINCT entry_id) FROM request_log";
            await using var reader = await count.ExecuteReaderAsync();
            await reader.ReadAsync();
            Assert.That(rows, Is.EqualTo(1_000));
            Assert.That(reader.GetInt64(0), Is.EqualTo(1_000));
            Assert.That(reader.GetInt64(1), Is.EqualTo(1_000));
            Assert.That(elapsed, Is.GreaterThan(TimeSpan.Zero));
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            foreach (string f in new[] { file, file + "-wal", file + "-shm" })
            {
                File.Delete(f);
            }
        }
    }

    [TestCase("small", 0, 0)]
    [TestCase("large", 300, 3)]
    public async Task NonStreamingBenchmarks_EveryClient_ReadsTheSameCompletion(string size, int logprobs, int toolCalls)
    {
        var completion = OpenPipeJson.Deserialize<ChatCompletion>(Encoding.UTF8.GetString(size == "small" ? Fixtures.Small : Fixtures.Large))!;
        string expected = Summary.Of("chatcmpl-bench", completion.Choices[0].Message.Content, logprobs, toolCalls);

        var results = await RunAllAsync(new NonStreamingBenchmarks { Size = size });

        Assert.That(results.Keys, Is.EquivalentTo(new[] { "RawHttpClientSystemTextJson", "OpenPipeClient", "OpenAISdk", "MeaiOpenAIChatClient" }));
        Assert.That(results.Values, Is.All.EqualTo(expected));
        Assert.That(size == "small" ? Fixtures.Small.Length : Fixtures.Large.Length, size == "small" ? Is.InRange(800, 2048) : Is.InRange(48 * 1024, 80 * 1024), "the fixture has the size the scenario promises");
    }

    [Test]
    public async Task StreamingBenchmarks_EveryClient_ReadsTheWholeStreamOrItsFirstChunk()
    {
        var results = await RunAllAsync(new StreamingBenchmarks());

        string whole = $"{Fixtures.StreamChunks}|{Fixtures.StreamContent.Length}";
        Assert.That(results["RawSseParserSystemTextJson"], Is.EqualTo(whole));
        Assert.That(results["OpenPipeClient"], Is.EqualTo(whole));
        Assert.That(results["OpenAISdk"], Is.EqualTo(whole));
        Assert.That(results["MeaiOpenAIChatClient"], Is.EqualTo(whole));
        Assert.That(results.Where(r => r.Key.StartsWith("FirstChunk_", StringComparison.Ordinal)).Select(r => r.Value), Is.All.EqualTo("1|2"));
        Assert.That(results, Has.Count.EqualTo(8));
    }

    [Test]
    public async Task SerializationBenchmarks_BothSerializers_ProduceTheRequestAndReadTheResponse()
    {
        var results = await RunAllAsync(new SerializationBenchmarks());

        Assert.That(results["SerializeRequest_OpenPipeDtos"], Is.EqualTo(Encoding.UTF8.GetByteCount(OpenPipeJson.Serialize(Fixtures.FullRequest()))));
        Assert.That((int)results["SerializeRequest_SystemTextJson"]!, Is.GreaterThan(500));
        var completion = OpenPipeJson.Deserialize<ChatCompletion>(Encoding.UTF8.GetString(Fixtures.Large))!;
        string expected = Summary.Of("chatcmpl-bench", completion.Choices[0].Message.Content, 300, 3);
        Assert.That(results["DeserializeLarge_OpenPipeDtos"], Is.EqualTo(expected));
        Assert.That(results["DeserializeLarge_SystemTextJson"], Is.EqualTo(expected));
    }

    [Test]
    public async Task FirstChunkLatency_EveryClient_MeasuresAPositiveDelay()
    {
        var results = await FirstChunkLatency.MeasureAsync(iterations: 3, warmup: 1);

        Assert.That(results.Select(r => r.Client), Is.EqualTo(new[] { "raw SseParser + System.Text.Json", "OpenPipeClient", "OpenAI SDK", "M.E.AI OpenAI IChatClient" }));
        Assert.That(results.Select(r => r.P50Us), Is.All.GreaterThan(0));
        Assert.That(results.All(r => r.P99Us >= r.P50Us), Is.True);
        Assert.That(results.Select(r => r.ArrivalP50Us), Is.All.GreaterThan(0), "every client's connection stamped the arrival before its first chunk");
        Assert.That(results.All(r => r.ArrivalP50Us <= r.P50Us && r.ArrivalP99Us >= r.ArrivalP50Us), Is.True, "bytes arrive after the server starts writing");
    }

    [Test]
    public async Task ServerTargets_EveryComparison_ProjectAndPeersAnswerTheSameBytes()
    {
        await using var servers = await ServerTargets.StartAsync();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };

        async Task<string> PostAsync(ServerTarget target)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, target.Url) { Content = new ByteArrayContent(target.Body) };
            request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
            if (target.Key is not null)
            {
                request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", target.Key);
            }

            using var response = await http.SendAsync(request);
            Assert.That((int)response.StatusCode, Is.EqualTo(200), target.Url.ToString());

            // The gateway's echo stamps the time it answered.
            return System.Text.RegularExpressions.Regex.Replace(await response.Content.ReadAsStringAsync(), "\"created\":[0-9]+", "\"created\":0");
        }

        Assert.That(servers.Comparisons.Select(c => c.Name), Is.EquivalentTo(new[] { "JSON", "SSE", "gateway JSON", "gateway log line" }));
        foreach (var comparison in servers.Comparisons)
        {
            string project = await PostAsync(comparison.Project);
            foreach (var peer in comparison.Peers)
            {
                Assert.That(await PostAsync(peer), Is.EqualTo(project), $"{comparison.Name}: {peer.Name} writes what {comparison.Project.Name} writes");
            }

            if (comparison.Name == "SSE")
            {
                Assert.That(project.Split("\n\n", StringSplitOptions.RemoveEmptyEntries), Has.Length.EqualTo(Fixtures.ServerStreamChunks + 1));
            }
            else
            {
                Assert.That(project, Does.Contain("Say something short about load tests and warm-up."), "the echo");
            }
        }
    }

    [Test]
    public async Task ServerTargets_StjMinimalApi_EchoesTheKitsBytesAndRejectsAWrongKey()
    {
        // Arrange
        await using var servers = await ServerTargets.StartAsync();
        var json = servers.Comparisons.Single(c => c.Name == "JSON");
        var stj = json.Peers.Single(p => p.Name == "STJ minimal API");
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        async Task<(int Status, string? ContentType, string Body)> PostAsync(ServerTarget target, string? key)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, target.Url) { Content = new ByteArrayContent(target.Body) };
            request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
            if (key is not null)
            {
                request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
            }

            using var response = await http.SendAsync(request);
            return ((int)response.StatusCode, response.Content.Headers.ContentType?.MediaType, await response.Content.ReadAsStringAsync());
        }

        // Act
        var kit = await PostAsync(json.Project, ServerTargets.Key);
        var answer = await PostAsync(stj, ServerTargets.Key);
        var wrongKey = await PostAsync(stj, "not-the-key");
        var noKey = await PostAsync(stj, null);

        // Assert
        Assert.That(stj.Key, Is.EqualTo(ServerTargets.Key), "the load sends it the bearer key");
        Assert.That(answer.Status, Is.EqualTo(200));
        Assert.That(answer.ContentType, Is.EqualTo("application/json"));
        Assert.That(answer.Body, Is.EqualTo(kit.Body), "System.Text.Json into its own records writes the kit's bytes");
        Assert.That(answer.Body, Does.Contain("\"content\":\"Say something short about load tests and warm-up.\""), "the echo");
        Assert.That(answer.Body, Does.Contain("\"usage\":{\"prompt_tokens\":8,\"completion_tokens\":8,\"total_tokens\":16}"), "the word count");
        Assert.That(wrongKey.Status, Is.EqualTo(401));
        Assert.That(noKey.Status, Is.EqualTo(401));
    }

    [Test]
    public async Task ServerLoad_QuickRun_MeasuresEveryTargetInAlternatingRoundsWithRatios()
    {
        using var log = new StringWriter();

        var report = await ServerLoad.MeasureAsync(ServerLoadOptions.Quick with { InProcessLoad = true }, log);

        int targets = report.Comparisons.Sum(c => c.Peers.Count + 1);
        Assert.That(report.Runs, Has.Count.EqualTo(targets * 2), "every target, two rounds");
        foreach (var comparison in report.Comparisons)
        {
            var order = report.Runs.Where(r => r.Comparison == comparison.Name).Select(r => (r.Round, r.Target)).ToArray();
            var expected = new[] { 1, 2 }.SelectMany(round => comparison.Peers.Select(p => p.Name).Append(comparison.Project.Name).Select(t => (round, t))).ToArray();
            Assert.That(order, Is.EqualTo(expected), "peers then the project, round after round");
        }

        Assert.That(report.Runs.Select(r => r.Errors), Is.All.EqualTo(0));
        Assert.That(report.Runs.Select(r => r.RequestsPerSecond), Is.All.GreaterThan(0));
        Assert.That(report.Runs.Select(r => r.CpuMicrosecondsPerRequest), Is.All.GreaterThan(0));
        Assert.That(report.Runs.Select(r => r.AllocatedBytesPerRequest), Is.All.GreaterThan(0));
        Assert.That(report.Runs.All(r => r.P99Ms >= r.P50Ms), Is.True);
        Assert.That(report.Ratios().Count(), Is.EqualTo(report.Comparisons.Sum(c => c.Peers.Count) * 2));
        Assert.That(log.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries), Has.Length.EqualTo(report.Runs.Count + 2), "a header and a row per run");
    }

    [Test]
    public async Task ServerLoad_QuickInterleavedRun_EveryTargetTakesATurnEachCycleInRotatingOrder()
    {
        using var log = new StringWriter();

        var report = await ServerLoad.MeasureAsync(ServerLoadOptions.Quick with { InProcessLoad = true, Only = "SSE", Interleave = 3 }, log);

        var comparison = report.Comparisons.Single();
        var names = comparison.Peers.Select(p => p.Name).Append(comparison.Project.Name).ToArray();
        var expected = Enumerable.Range(1, 3).SelectMany(cycle => names.Select((_, turn) => (cycle, names[(turn + cycle - 1) % names.Length]))).ToArray();
        Assert.That(report.Runs.Select(r => (r.Round, r.Target)), Is.EqualTo(expected), "each cycle a turn for every target, starting one later each cycle");
        Assert.That(report.Runs.Select(r => r.Errors), Is.All.EqualTo(0));
        Assert.That(report.Runs.Select(r => r.RequestsPerSecond), Is.All.GreaterThan(0), "a resumed client sends again");
        Assert.That(report.Runs.All(r => r.P99Ms >= r.P50Ms && r.P50Ms > 0), Is.True, "each window has its own latencies");
        Assert.That(report.Ratios().Count(), Is.EqualTo(3));
        using var ratios = new StringWriter();
        report.WriteRatios(ratios);
        Assert.That(ratios.ToString(), Does.Contain("median"), "three or more rounds get a median row");
    }

    [Test]
    public async Task LoadClient_SeparateProcess_PausesResumesAndPrintsEachWindow()
    {
        var report = await ServerLoad.MeasureAsync(ServerLoadOptions.Quick with { Only = "SSE", Interleave = 2 }, TextWriter.Null);

        Assert.That(report.Runs, Has.Count.EqualTo(4));
        Assert.That(report.Runs.Select(r => r.Errors), Is.All.EqualTo(0));
        Assert.That(report.Runs.Select(r => r.RequestsPerSecond), Is.All.GreaterThan(0));
        Assert.That(report.Runs.All(r => r.P99Ms >= r.P50Ms && r.P50Ms > 0), Is.True, "the window latencies came back from the other process");
    }

    [Test]
    public async Task LoadClient_Paused_SendsNothingUntilResumed()
    {
        // Arrange: a client against a port nothing listens on counts a failure per attempt.
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        int port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        await using var load = LoadClient.Start(new Uri($"http://127.0.0.1:{port}/"), [], 2, null);
        load.BeginMeasure();
        load.Pause();
        await Task.Delay(200);
        load.TakeWindow();

        // Act
        await Task.Delay(300);
        var paused = load.TakeWindow();
        load.Resume();
        await Task.Delay(300);
        var resumed = load.TakeWindow();

        // Assert
        Assert.That(paused.Errors, Is.EqualTo(0), "no attempt while paused");
        Assert.That(resumed.Errors, Is.GreaterThan(0), "attempts again once resumed");
    }

    [Test]
    public async Task ClientTurns_Scenario_RunsEveryClientInRotatingTurnsAfterItsWarmUp()
    {
        // Arrange: clients that only record when they were called.
        var calls = new List<string>();
        Func<Task<string>> Recorder(string name) => () =>
        {
            calls.Add(name);
            return Task.FromResult(name);
        };
        var scenario = new ClientTurns.Scenario("fake", [("a", Recorder("a")), ("OpenAI SDK", Recorder("OpenAI SDK")), ("c", Recorder("c"))]);

        // Act
        var results = await ClientTurns.MeasureAsync(scenario, cycles: 3, batch: 2, warmup: 1);

        // Assert
        string[] expected =
        [
            "a", "OpenAI SDK", "c",
            "a", "a", "OpenAI SDK", "OpenAI SDK", "c", "c",
            "OpenAI SDK", "OpenAI SDK", "c", "c", "a", "a",
            "c", "c", "a", "a", "OpenAI SDK", "OpenAI SDK",
        ];
        Assert.That(calls, Is.EqualTo(expected), "warm-up, then each cycle starting one client later");
        Assert.That(results.Select(r => r.Client), Is.EqualTo(new[] { "a", "OpenAI SDK", "c" }));
        Assert.That(results.Single(r => r.Client == "OpenAI SDK").RatioToSdk, Is.EqualTo(1.0));
        Assert.That(results.Select(r => r.MedianUs), Is.All.GreaterThan(0));
    }

    [Test]
    public async Task ClientTurns_EveryScenario_MeasuresEveryClientAgainstTheFixtureServer()
    {
        var results = await ClientTurns.MeasureAsync(cycles: 2, batch: 1, warmup: 1);

        Assert.That(results.Select(r => r.Scenario).Distinct(), Is.EqualTo(new[] { "small call", "large call", "stream" }));
        Assert.That(results.GroupBy(r => r.Scenario).Select(g => g.Count()), Is.All.EqualTo(4));
        Assert.That(results.Select(r => r.MedianUs), Is.All.GreaterThan(0));
        Assert.That(results.Where(r => r.Client == "OpenAI SDK").Select(r => r.RatioToSdk), Is.All.EqualTo(1.0));
        Assert.That(results.Where(r => r.Client.StartsWith("raw ", StringComparison.Ordinal)).Select(r => r.RatioToRaw), Is.All.EqualTo(1.0), "the raw baseline is the second denominator");
    }

    [Test]
    public async Task LoadClient_SeparateProcess_TakesCommandsAndPrintsWhatItMeasured()
    {
        var report = await ServerLoad.MeasureAsync(ServerLoadOptions.Quick with { Only = "SSE", Rounds = 1 }, TextWriter.Null);

        Assert.That(report.Runs.Select(r => r.Comparison), Is.All.EqualTo("SSE"));
        Assert.That(report.Runs, Has.Count.EqualTo(2));
        Assert.That(report.Runs.Select(r => r.Errors), Is.All.EqualTo(0));
        Assert.That(report.Runs.Select(r => r.RequestsPerSecond), Is.All.GreaterThan(0));
        Assert.That(report.Runs.All(r => r.P99Ms >= r.P50Ms && r.P50Ms > 0), Is.True, "the latencies came back from the other process");
    }
}
