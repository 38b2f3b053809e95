// Benchmarks of the kit against the OpenAI .NET SDK and a raw HttpClient + System.Text.Json baseline.
//   dotnet run -c Release --project tests/OpenPipe.Benchmarks -- --filter '*'     client and serialization benchmarks
//   dotnet run -c Release --project tests/OpenPipe.Benchmarks -- --server-load    server throughput against minimal-API peers (see ServerLoad.cs; --quick for a smoke run)
//   dotnet run -c Release --project tests/OpenPipe.Benchmarks -- --log-throughput  gateway request log rows/s, SQLite and PostgreSQL (see LogThroughput.cs)
//   dotnet run -c Release --project tests/OpenPipe.Benchmarks -- --log-queries    filtered log pages and the JSONL export over 1,000,000 rows on PostgreSQL (see LogQueries.cs)
//   dotnet run -c Release --project tests/OpenPipe.Benchmarks -- --first-chunk    server write -> first chunk seen (see FirstChunkLatency.cs)
//   dotnet run -c Release --project tests/OpenPipe.Benchmarks -- --client-turns   the client comparisons in alternating batches (see ClientTurns.cs)

using System;
using System.Linq;
using System.Threading.Tasks;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using OpenPipe.Benchmarks;

if (args.Length > 0 && args[0] == "--server-load")
{
    return await ServerLoad.RunAsync(args[1..]);
}

if (args.Length > 0 && args[0] == "--first-chunk")
{
    return await FirstChunkLatency.RunAsync(args[1..]);
}

if (args.Length > 0 && args[0] == "--client-turns")
{
    return await ClientTurns.RunAsync(args[1..]);
}

if (args.Length > 0 && args[0] == "--log-throughput")
{
    return await LogThroughput.RunAsync(args[1..]);
}

if (args.Length > 0 && args[0] == "--log-queries")
{
    return await LogQueries.RunAsync(args[1..]);
}

if (args.Length > 0 && args[0] == "--load-client")
{
    return await LoadClient.RunProcessAsync(args[1..]);
}

// --in-process runs the benchmarks in this process (no separate Release build of a generated project: quicker, same numbers within noise).
bool inProcess = args.Contains("--in-process");
args = args.Where(a => a != "--in-process").ToArray();
var job = Job.Default.WithWarmupCount(3).WithIterationCount(12).WithLaunchCount(1);
if (inProcess)
{
    job = job.WithToolchain(BenchmarkDotNet.Toolchains.InProcess.Emit.InProcessEmitToolchain.Instance);
}

var config = DefaultConfig.Instance
    .AddJob(job)
    .WithSummaryStyle(SummaryStyle.Default.WithRatioStyle(RatioStyle.Value))
    .AddColumn(StatisticColumn.P95)
    .WithOptions(ConfigOptions.JoinSummary);
var summaries = BenchmarkSwitcher.FromAssembly(typeof(Fixtures).Assembly).Run(args, config).ToArray();
ClientRatios.Write(summaries, Console.Out);
return 0;
