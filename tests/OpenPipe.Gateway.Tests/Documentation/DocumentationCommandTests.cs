using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading.Tasks;
using Npgsql;
using NUnit.Framework;
using OpenPipe.Client.Tests.Support;
using OpenPipe.Gateway.Tests.Support;

namespace OpenPipe.Gateway.Tests.Documentation;

/// <summary>
/// The documentation's multi-step shell commands, run as written by bash from the repository root:
/// only the ports are changed (free ones, and the throwaway PostgreSQL's).
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class DocumentationCommandTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);

    [Test]
    public async Task SeveralGateways_TheBlockAsWritten_ShareTheCacheAndTheLog()
    {
        // Arrange: the block, a PostgreSQL with the database and user it names, and free ports.
        var block = DocumentationSnippets.Blocks("bash").Single(b => b.File == "docs/gateway.md" && b.Section == "Several gateways");
        RequireOnPath("curl", "curl");
        RequireOnPath("psql", "postgresql-client");
        await using var postgres = await PostgresRequirement.StartServerAsync();
        await using (var connection = new NpgsqlConnection(postgres.ConnectionString()))
        {
            await connection.OpenAsync();
            // CREATE DATABASE cannot share a command (a transaction) with another statement.
            foreach (string sql in new[] { "CREATE ROLE gateway LOGIN", "CREATE DATABASE openpipe OWNER gateway" })
            {
                await using var command = new NpgsqlCommand(sql, connection);
                await command.ExecuteNonQueryAsync();
            }
        }

        string pgPort = postgres.Port.ToString(CultureInfo.InvariantCulture);
        string first = FreePort.Next().ToString(CultureInfo.InvariantCulture);
        string second = FreePort.Next().ToString(CultureInfo.InvariantCulture);
        Assert.That(block.Code, Does.Contain("Port=5432").And.Contain("5080").And.Contain("5081").And.Contain("host=127.0.0.1 "));
        string script = "set -e\n" + block.Code
            .Replace("Port=5432", "Port=" + pgPort, StringComparison.Ordinal)
            .Replace("host=127.0.0.1 ", $"host=127.0.0.1 port={pgPort} ", StringComparison.Ordinal)
            .Replace("5080", first, StringComparison.Ordinal)
            .Replace("5081", second, StringComparison.Ordinal);

        // Act
        var (exitCode, output) = await RunInItsOwnProcessGroupAsync(script);

        // Assert: the first gateway's MISS is the second's HIT, and both calls are in the shared log.
        Assert.That(exitCode, Is.EqualTo(0), output);
        var statuses = output.Split('\n').Where(l => l.StartsWith("op-cache-status:", StringComparison.OrdinalIgnoreCase)).Select(l => l.Split(':')[1].Trim()).ToList();
        Assert.That(statuses, Is.EqualTo(new[] { "MISS", "HIT" }), output);
        var rows = output.Split('\n').Where(l => l.Contains("| echo ", StringComparison.Ordinal)).ToList();
        Assert.That(rows, Has.Count.EqualTo(2), output);
        Assert.That(rows.Select(r => r.Split('|')[3].Trim()), Is.EquivalentTo(new[] { "1", "0" }), "cache_hit of the two rows");
    }

    private static void RequireOnPath(string program, string package)
    {
        bool found = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator).Any(d => File.Exists(Path.Combine(d, program)));
        if (!found)
        {
            Assert.Ignore($"{program} is not installed: apt-get install {package}");
        }
    }

    /// <summary>Runs the script with bash in a new session, then stops everything it started in the background.</summary>
    private static async Task<(int ExitCode, string Output)> RunInItsOwnProcessGroupAsync(string script)
    {
        string file = Path.Combine(Path.GetTempPath(), $"openpipe-doc-{Guid.NewGuid():N}.sh");
        await File.WriteAllTextAsync(file, script);
        var info = new ProcessStartInfo("setsid", $"bash \"{file}\"")
        {
            WorkingDirectory = Repo.Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string name in new[] { "OPENPIPE_GATEWAY_API_KEYS", "OPENPIPE_GATEWAY_ADMIN_KEYS", "ASPNETCORE_URLS", "ASPNETCORE_ENVIRONMENT" })
        {
            info.Environment.Remove(name);
        }

        info.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["XDG_DATA_HOME"] = Path.Combine(Path.GetTempPath(), $"openpipe-doc-data-{Guid.NewGuid():N}");
        using var process = Process.Start(info)!;
        var output = new StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (output) { output.Append(e.Data).Append('\n'); } };
        process.ErrorDataReceived += (_, e) => { lock (output) { output.Append(e.Data).Append('\n'); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            // Not WaitForExitAsync: it also waits for the end of the output, which the background gateways keep open.
            var deadline = Stopwatch.StartNew();
            while (!process.HasExited && deadline.Elapsed < Timeout)
            {
                await Task.Delay(200);
            }

            if (!process.HasExited)
            {
                lock (output)
                {
                    output.Append($"[the script did not finish in {Timeout}]\n");
                }
            }
        }
        finally
        {
            // setsid made bash the leader of a new process group; the gateways it started in the background are in it.
            using var kill = Process.Start(new ProcessStartInfo("kill", $"-TERM -- -{process.Id.ToString(CultureInfo.InvariantCulture)}") { UseShellExecute = false, RedirectStandardError = true })!;
            await kill.WaitForExitAsync();
            File.Delete(file);
        }

        await Task.Delay(500);
        lock (output)
        {
            return (process.HasExited ? process.ExitCode : -1, output.ToString());
        }
    }
}
