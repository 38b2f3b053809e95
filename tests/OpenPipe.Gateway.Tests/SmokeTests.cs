using System;
using System.Diagnostics;
using System.IO;
using System.Net.Http;
using System.Text;
using System.Text.RegularExpressions;
using System.Threading.Tasks;
using NUnit.Framework;
using OpenPipe.Client;
using OpenPipe.Client.Tests.Support;

namespace OpenPipe.Gateway.Tests;

/// <summary>The README's main command, run as a process, answers a request with no setup.</summary>
[TestFixture]
[NonParallelizable]
public sealed partial class SmokeTests
{
    [Test]
    public async Task DotnetRunGateway_FirstRunWithNoKeys_PrintsAKeyAndAnswersWithIt()
    {
        // Arrange: the README's command (already built by this test project), on a free port, with no keys configured.
        int port = FreePort.Next();
        string configuration = AppContext.BaseDirectory.Contains("/Release/", StringComparison.Ordinal) ? "Release" : "Debug";
        // Its database goes to the user's data folder ($XDG_DATA_HOME/openpipe-gateway), here a temporary one.
        string dataHome = Path.Combine(Path.GetTempPath(), $"openpipe-smoke-{Guid.NewGuid():N}");
        string database = Path.Combine(dataHome, "openpipe-gateway", "openpipe-gateway.db");
        var info = new ProcessStartInfo("dotnet", $"run --no-build -c {configuration} --project src/OpenPipe.Gateway -- --urls http://127.0.0.1:{port}")
        {
            WorkingDirectory = Repo.Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.Environment.Remove("OPENPIPE_GATEWAY_API_KEYS");
        info.Environment["XDG_DATA_HOME"] = dataHome;
        using var process = Process.Start(info)!;
        var output = new StringBuilder();
        var keySeen = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) =>
        {
            lock (output)
            {
                output.AppendLine(e.Data);
            }

            if (e.Data is not null && GeneratedKey().Match(e.Data) is { Success: true } match)
            {
                keySeen.TrySetResult(match.Value);
            }
        };
        process.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        try
        {
            // Act
            string key = await keySeen.Task.WaitAsync(TimeSpan.FromSeconds(60));
            using var http = new HttpClient();
            await WaitHealthyAsync(http, port, process, output);
            using var client = new OpenPipeClient(new OpenPipeClientOptions { ApiKey = key, BaseUrl = new Uri($"http://127.0.0.1:{port}/api/v1") });
            var completion = await client.CreateChatCompletionAsync(new ChatCompletionRequest
            {
                Model = "echo",
                Messages = [new UserMessage { Content = "smoke test" }],
            });

            // Assert
            Assert.That(completion.Choices[0].Message.Content, Is.EqualTo("smoke test"));
            lock (output)
            {
                Assert.That(Regex.Matches(output.ToString(), "this run accepts"), Has.Count.EqualTo(1), "the key is printed once");
                Assert.That(output.ToString(), Does.Contain($"Request log and response cache: SQLite file {database}."), "the start-up log says where the database is");
            }

            Assert.That(File.Exists(database), Is.True, "the database is in the data folder, not in bin/");
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            if (Directory.Exists(dataHome))
            {
                Directory.Delete(dataHome, recursive: true);
            }
        }
    }

    [Test]
    public async Task DotnetGatewayDll_StartedFromAnotherFolder_ReadsItsOwnAppsettingsAndKeepsItsDatabaseBesideIt()
    {
        // Arrange: the built gateway copied to a folder of its own (as a published one), with a route
        // only its appsettings.json names; started from a different working folder.
        string configuration = AppContext.BaseDirectory.Contains("/Release/", StringComparison.Ordinal) ? "Release" : "Debug";
        string built = Repo.PathOf("src", "OpenPipe.Gateway", "bin", configuration, "net10.0");
        string published = Path.Combine(Path.GetTempPath(), "openpipe-published-" + Guid.NewGuid().ToString("N")[..8]);
        string elsewhere = Path.Combine(Path.GetTempPath(), "openpipe-cwd-" + Guid.NewGuid().ToString("N")[..8]);
        CopyFolder(built, published);
        Directory.CreateDirectory(elsewhere);
        var settings = Newtonsoft.Json.Linq.JObject.Parse(File.ReadAllText(Path.Combine(published, "appsettings.json")));
        settings["Gateway"]!["Routes"] = Newtonsoft.Json.Linq.JArray.Parse("""[{"Model":"from-appsettings","Backend":"echo"}]""");
        settings["Gateway"]!["RequestLog"]!["Path"] = "data/gateway.db";
        File.WriteAllText(Path.Combine(published, "appsettings.json"), settings.ToString());
        int port = FreePort.Next();
        var info = new ProcessStartInfo("dotnet", $"{Path.Combine(published, "OpenPipe.Gateway.dll")} --urls http://127.0.0.1:{port}")
        {
            WorkingDirectory = elsewhere,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.Environment["OPENPIPE_GATEWAY_API_KEYS"] = "published-key";
        info.Environment.Remove("ASPNETCORE_CONTENTROOT");
        using var process = Process.Start(info)!;
        var output = new StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        try
        {
            // Act
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(20) };
            await WaitHealthyAsync(http, port, process, output);
            using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{port}/api/v1/models");
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "published-key");
            using var models = await http.SendAsync(request);
            string list = await models.Content.ReadAsStringAsync();

            // Assert
            Assert.That(list, Does.Contain("\"from-appsettings\""), "the gateway's own appsettings.json was read");
            Assert.That(File.Exists(Path.Combine(published, "data", "gateway.db")), Is.True, "the relative database path resolves from the gateway's folder");
            Assert.That(Directory.Exists(Path.Combine(elsewhere, "data")), Is.False, "nothing lands in the working folder");
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            Directory.Delete(published, recursive: true);
            Directory.Delete(elsewhere, recursive: true);
        }
    }

    private static void CopyFolder(string from, string to)
    {
        foreach (string folder in Directory.GetDirectories(from, "*", SearchOption.AllDirectories))
        {
            Directory.CreateDirectory(folder.Replace(from, to, StringComparison.Ordinal));
        }

        Directory.CreateDirectory(to);
        foreach (string file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
        {
            File.Copy(file, file.Replace(from, to, StringComparison.Ordinal));
        }
    }

    private static async Task WaitHealthyAsync(HttpClient http, int port, Process process, StringBuilder output)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            Assert.That(process.HasExited, Is.False, () => "the gateway exited:\n" + output);
            try
            {
                if ((await http.GetAsync($"http://127.0.0.1:{port}/healthz")).IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            await Task.Delay(200);
        }

        Assert.Fail("/healthz did not answer within 60 s:\n" + output);
    }

    [GeneratedRegex("opk_local_[0-9a-f]{32}")]
    private static partial Regex GeneratedKey();
}
