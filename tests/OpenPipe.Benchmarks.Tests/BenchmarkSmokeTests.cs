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

        Assert.That(results.Keys, Is.EquivalentTo(new[] { "RawHttpClientSystemTextJson", "OpenPipeClient", "OpenAISdk" }));
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
        Assert.That(results.Where(r => r.Key.StartsWith("FirstChunk_", StringComparison.Ordinal)).Select(r => r.Value), Is.All.EqualTo("1|2"));
        Assert.That(results, Has.Count.EqualTo(6));
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

        Assert.That(results.Select(r => r.Client), Is.EqualTo(new[] { "raw SseParser + System.Text.Json", "OpenPipeClient", "OpenAI SDK" }));
        Assert.That(results.Select(r => r.P50Us), Is.All.GreaterThan(0));
        Assert.That(results.All(r => r.P99Us >= r.P50Us), Is.True);
    }

    [Test]
    public async Task ServerLoad_EachScenarioEndpoint_AnswersTheSameBytesAndTheLoadClientCounts()
    {
        await using var host = await ServerLoad.StartAsync();
        using var http = new HttpClient { BaseAddress = host.Root };
        const string json = """{"model":"openpipe:bench","messages":[{"role":"user","content":"x"}]}""";
        const string stream = """{"model":"openpipe:bench","messages":[{"role":"user","content":"x"}],"stream":true}""";

        async Task<string> PostAsync(string path, string body, bool auth)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            if (auth)
            {
                request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", ServerLoad.Key);
            }

            using var response = await http.SendAsync(request);
            Assert.That((int)response.StatusCode, Is.EqualTo(200), path);
            return await response.Content.ReadAsStringAsync();
        }

        string controllerJson = await PostAsync("api/v1/chat/completions", json, auth: true);
        string minimalJson = await PostAsync("minimal/json", json, auth: false);
        string controllerStream = await PostAsync("api/v1/chat/completions", stream, auth: true);
        string minimalStream = await PostAsync("minimal/stream", stream, auth: false);

        Assert.That(controllerJson, Is.EqualTo(minimalJson), "the controller writes the fixture's bytes");
        Assert.That(controllerStream, Is.EqualTo(minimalStream));
        Assert.That(controllerStream.Split("\n\n", StringSplitOptions.RemoveEmptyEntries), Has.Length.EqualTo(Fixtures.ServerStreamChunks + 1));

        // The load client, for one second at concurrency 2.
        string bodyFile = Path.GetTempFileName();
        await File.WriteAllTextAsync(bodyFile, json);
        var original = Console.Out;
        using var captured = new StringWriter();
        Console.SetOut(captured);
        try
        {
            await LoadClient.RunAsync([new Uri(host.Root, "minimal/json").ToString(), bodyFile, "2", "1", "0", "-"]);
        }
        finally
        {
            Console.SetOut(original);
            File.Delete(bodyFile);
        }

        var columns = captured.ToString().Trim().Split('|').Select(c => c.Trim()).ToArray();
        Assert.That(double.Parse(columns[0], System.Globalization.CultureInfo.InvariantCulture), Is.GreaterThan(0), "requests/s");
        Assert.That(columns[3], Is.EqualTo("0"), "errors");
    }
}
