using System;
using System.Buffers;
using System.Collections.Generic;
using System.IO;
using System.IO.Pipelines;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.DependencyInjection;
using Newtonsoft.Json.Linq;
using NUnit.Framework;
using OpenPipe.Client;
using OpenPipe.Gateway.Logs;
using OpenPipe.Gateway.Storage;

namespace OpenPipe.Gateway.Tests.RequestLog;

/// <summary>
/// GET /logs/export through the generated client, on SQLite and PostgreSQL: every line is an example
/// of OpenAI's chat fine-tuning format (<see cref="FineTuningFormat"/>), tool calls and tool results
/// come through unchanged, failed and response-less calls are left out and counted in the trailers,
/// and the writer holds one row at a time.
/// </summary>
[TestFixture(RequestLogStorage.Sqlite)]
[TestFixture(RequestLogStorage.Postgres)]
[NonParallelizable]
public sealed class ExportTests(string storage)
{
    private GatewayFactory gateway = null!;
    private List<LogSeed> seeds = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        gateway = await RequestLogStorage.GatewayAsync(storage);
        seeds = LogSeed.Make();
        await LogSeed.WriteAsync(gateway, seeds);
    }

    [OneTimeTearDown]
    public void Stop() => gateway.Dispose();

    [Test]
    public async Task Export_OwnCalls_EveryLineIsAFineTuningExampleAndTheTrailersCountTheRest()
    {
        // Arrange
        using var client = gateway.CreateOpenPipeClient();
        var own = seeds.Where(s => s.KeyId == RequestLogStorage.KeyIdA).ToList();

        // Act
        var (lines, trailers, headers) = await ExportAsync(client);

        // Assert
        Assert.That(headers["Content-Type"].Single(), Does.StartWith("application/jsonl"));
        Assert.That(lines, Has.Count.EqualTo(own.Count(s => s.HasResponse)));
        Assert.That(lines.Select(FineTuningFormat.Problems), Is.All.Empty);
        Assert.That(Number(headers, "op-export-rows"), Is.EqualTo(own.Count), "counted before the first line");
        Assert.That(Number(headers, "op-export-skipped-failed"), Is.EqualTo(own.Count(s => s.Status != 200)));
        Assert.That(Number(headers, "op-export-skipped-no-response"), Is.EqualTo(own.Count(s => s.Status == 200 && !s.HasResponse)));
        Assert.That(trailers["op-export-written"], Is.EqualTo(lines.Count.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        Assert.That(trailers["op-export-skipped-unusable"], Is.EqualTo("0"));
        Assert.That(trailers["op-export-skipped"], Is.EqualTo((own.Count - lines.Count).ToString(System.Globalization.CultureInfo.InvariantCulture)));
    }

    [Test]
    public async Task Export_CallWithToolHistoryAndToolCallAnswer_KeepsEveryToolCallAndResult()
    {
        // Arrange
        var seed = seeds.First(s => s.KeyId == RequestLogStorage.KeyIdA && s.WithTools && s.HasResponse);
        using var client = gateway.CreateOpenPipeClient();
        var request = JObject.Parse(seed.RequestJson());
        var answer = JObject.Parse(seed.ResponseJson())["choices"]![0]!["message"]!;

        // Act
        var (lines, _, _) = await ExportAsync(client, q: $"question {seed.Index} ");
        var line = JObject.Parse(lines.Single());

        // Assert: the request's messages, then the answer, with nothing of theirs changed but what the format leaves out.
        var messages = (JArray)line["messages"]!;
        Assert.That(messages, Has.Count.EqualTo(((JArray)request["messages"]!).Count + 1));
        Assert.That(messages[0]!.ToString(Newtonsoft.Json.Formatting.None), Is.EqualTo("""{"role":"system","content":"Answer briefly."}"""));
        Assert.That(JToken.DeepEquals(messages[2], request["messages"]![2]), Is.True, "the earlier tool call");
        Assert.That(JToken.DeepEquals(messages[3], request["messages"]![3]), Is.True, "the tool's result");
        Assert.That(JToken.DeepEquals(messages[4], request["messages"]![4]), Is.True, "a user message in parts");
        Assert.That(JToken.DeepEquals(messages[5]!["tool_calls"], answer["tool_calls"]), Is.True, "the answer's tool call");
        Assert.That(messages[5]!["content"]!.Type, Is.EqualTo(JTokenType.Null));
        Assert.That(messages[5]!["refusal"], Is.Null, "refusal is not part of the format");
        var tool = (JObject)request["tools"]![0]!.DeepClone();
        ((JObject)tool["function"]!).Remove("strict");
        Assert.That(JToken.DeepEquals(line["tools"], new JArray(tool)), Is.True, "the tools, without what the format does not take");
        Assert.That((bool?)line["parallel_tool_calls"], Is.False);
        Assert.That(FineTuningFormat.Problems(lines.Single()), Is.Empty);
    }

    [Test]
    public async Task Export_RowsTheFormatCannotCarry_AreSkippedAndCountedAsUnusable()
    {
        // Arrange: key C's rows: one good, a rejected request with an unparsed body, a request without messages, and an audio part.
        var store = gateway.Services.GetRequiredService<IGatewayStore>();
        string answer = LogSeed.Make(0).ResponseJson();
        await store.WriteLogAsync(
        [
            Row(200, """{"model":"odd","messages":[{"role":"user","content":"fine"}]}""", answer),
            Row(400, """{"unparsed_body":{"bytes":5,"complete":true,"text":"{oops"}}""", null),
            Row(200, """{"model":"odd","prompt":"no messages"}""", answer),
            Row(200, """{"model":"odd","messages":[{"role":"user","content":[{"type":"input_audio","input_audio":{"data":"AAAA","format":"wav"}}]}]}""", answer),
        ]);
        using var client = gateway.CreateOpenPipeClient(RequestLogStorage.KeyC);

        // Act
        var (lines, trailers, headers) = await ExportAsync(client, model: "odd");

        // Assert
        Assert.That(lines, Has.Count.EqualTo(1));
        Assert.That(FineTuningFormat.Problems(lines[0]), Is.Empty);
        Assert.That((Number(headers, "op-export-rows"), Number(headers, "op-export-skipped-failed"), Number(headers, "op-export-skipped-no-response")), Is.EqualTo((4L, 1L, 0L)));
        Assert.That(trailers["op-export-written"], Is.EqualTo("1"));
        Assert.That(trailers["op-export-skipped-unusable"], Is.EqualTo("2"));
        Assert.That(trailers["op-export-skipped"], Is.EqualTo("3"));
    }

    [Test]
    public async Task Export_SameFiltersAsTheList_WritesTheListedCallsThatSucceeded()
    {
        // Arrange
        using var client = gateway.CreateOpenPipeClient();
        var listed = await client.ListLogsAsync(null, null, null, ["attempt=2"], null, null, null, null, null, null, 200, null);

        // Act
        var (lines, trailers, _) = await ExportAsync(client, tag: ["attempt=2"]);

        // Assert
        int usable = listed.Data.Count(e => e.Status == 200 && seeds.Single(s => s.CompletionId == e.CompletionId).HasResponse);
        Assert.That(lines, Has.Count.EqualTo(usable).And.Count.GreaterThan(0));
        Assert.That(long.Parse(trailers["op-export-written"]) + long.Parse(trailers["op-export-skipped"]), Is.EqualTo(listed.Data.Count));
    }

    [Test]
    public async Task Write_ManyRows_ReadsEachRowOnlyAfterTheLinesBeforeItWereFlushed()
    {
        // Arrange: 20,000 rows made as they are asked for, and a writer that records how much it was handed between flushes.
        var output = new RecordingWriter();
        long flushedWhenLastRowWasRead = 0;

        async IAsyncEnumerable<ExportRow> RowsAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            for (int i = 0; i < 20_000; i++)
            {
                await Task.Yield();
                flushedWhenLastRowWasRead = output.Flushed;
                var seed = LogSeed.Make(i % 60);
                yield return new ExportRow(200, seed.RequestJson(), seed.ResponseJson(), null);
            }
        }

        // Act
        var counts = await JsonlExport.WriteAsync(RowsAsync(), output);

        // Assert: the lines left in 64 KiB pieces while the rows were read, never all at the end.
        Assert.That(counts.Written, Is.EqualTo(20_000));
        Assert.That(output.LargestUnflushed, Is.LessThan(64 * 1024 + 4096), "at most one flush window and one line are held");
        Assert.That(flushedWhenLastRowWasRead, Is.GreaterThan(output.Flushed * 9 / 10), "most lines were flushed before the last row was read");
    }

    private static async Task<(List<string> Lines, Dictionary<string, string> Trailers, IReadOnlyDictionary<string, IEnumerable<string>> Headers)> ExportAsync(
        OpenPipeClient client, string? model = null, string[]? tag = null, string? q = null)
    {
        using var file = await client.ExportLogsAsync(model, null, null, tag, null, null, null, null, q, null);
        using var reader = new StreamReader(file.Stream);
        var lines = new List<string>();
        while (await reader.ReadLineAsync() is { } line)
        {
            lines.Add(line);
        }

        return (lines, file.TrailingHeaders.ToDictionary(t => t.Key, t => t.Value.Single(), StringComparer.OrdinalIgnoreCase), file.Headers);
    }

    private static long Number(IReadOnlyDictionary<string, IEnumerable<string>> headers, string name) =>
        long.Parse(headers.First(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Value.Single(), System.Globalization.CultureInfo.InvariantCulture);

    private static RequestLogEntry Row(int status, string request, string? response) => new()
    {
        ReceivedAt = LogSeed.Start,
        KeyId = RequestLogStorage.KeyIdC,
        Model = "odd",
        Backend = "echo",
        Status = status,
        RequestJson = request,
        ResponseJson = response,
    };

    /// <summary>A PipeWriter that drops what it is given, counting bytes handed over and the most held between flushes.</summary>
    private sealed class RecordingWriter : PipeWriter
    {
        private byte[] buffer = new byte[4096];
        private long unflushed;

        public long Flushed { get; private set; }

        public long LargestUnflushed { get; private set; }

        public override void Advance(int bytes)
        {
            unflushed += bytes;
            LargestUnflushed = Math.Max(LargestUnflushed, unflushed);
        }

        public override void CancelPendingFlush()
        {
        }

        public override void Complete(Exception? exception = null)
        {
        }

        public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
        {
            Flushed += unflushed;
            unflushed = 0;
            return ValueTask.FromResult(new FlushResult(false, false));
        }

        public override Memory<byte> GetMemory(int sizeHint = 0) => Buffer(sizeHint);

        public override Span<byte> GetSpan(int sizeHint = 0) => Buffer(sizeHint);

        private byte[] Buffer(int sizeHint)
        {
            if (buffer.Length < sizeHint)
            {
                buffer = new byte[sizeHint];
            }

            return buffer;
        }
    }
}
