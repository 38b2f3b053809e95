// Benchmarks of the kit against the OpenAI .NET SDK and a raw HttpClient + System.Text.Json baseline.
//   dotnet run -c Release --project tests/OpenPipe.Benchmarks -- --filter '*'     client and serialization benchmarks
//   dotnet run -c Release --project tests/OpenPipe.Benchmarks -- --server-load    server throughput (see ServerLoad.cs)
//   dotnet run -c Release --project tests/OpenPipe.Benchmarks -- --log-throughput  gateway request log rows/s, SQLite and PostgreSQL (see LogThroughput.cs)
//   dotnet run -c Release --project tests/OpenPipe.Benchmarks -- --first-chunk    server write -> first chunk seen (see FirstChunkLatency.cs)

using System;
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

if (args.Length > 0 && args[0] == "--log-throughput")
{
    return await LogThroughput.RunAsync(args[1..]);
}

if (args.Length > 0 && args[0] == "--load-client")
{
    return await LoadClient.RunAsync(args[1..]);
}

var config = DefaultConfig.Instance
    .AddJob(Job.Default.WithWarmupCount(3).WithIterationCount(12).WithLaunchCount(1))
    .WithSummaryStyle(SummaryStyle.Default.WithRatioStyle(RatioStyle.Value))
    .AddColumn(StatisticColumn.P95)
    .WithOptions(ConfigOptions.JoinSummary);
BenchmarkSwitcher.FromAssembly(typeof(Fixtures).Assembly).Run(args, config);
return 0;
