using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Net.Http;
using System.Text;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;
using NUnit.Framework;
using OpenPipe.Client;
using OpenPipe.Client.Tests.Support;

namespace OpenPipe.Server.Tests;

/// <summary>The README's server example is a Program.cs that compiles in a new `dotnet new web` project and answers.</summary>
[TestFixture]
[NonParallelizable]
public sealed partial class ReadmeExampleTests
{
    private static readonly TimeSpan BuildTimeout = TimeSpan.FromMinutes(6);

    /// <summary>The first C# block of the README's "Serving the API from ASP.NET Core" section.</summary>
    internal static string ServerExample()
    {
        string readme = File.ReadAllText(Repo.PathOf("README.md"));
        int section = readme.IndexOf("\n## Serving the API from ASP.NET Core", StringComparison.Ordinal);
        Assert.That(section, Is.GreaterThan(0), "README.md has the server section");
        int next = readme.IndexOf("\n## ", section + 1, StringComparison.Ordinal);
        var block = CSharpBlock().Match(readme[section..(next < 0 ? readme.Length : next)]);
        Assert.That(block.Success, Is.True, "the section has a ```csharp block");
        return block.Groups[1].Value;
    }

    [Test]
    public async Task ReadmeServerExample_InANewWebProject_CompilesStartsAndAnswersJsonAndStreams()
    {
        // Arrange: `dotnet new web`, a reference to OpenPipe.Server, and the README's block as Program.cs.
        string program = ServerExample();
        const string Key = "sk-my-key";
        Assert.That(program, Does.Contain($"\"{Key}\""), "the example configures the key this test calls with");
        string configuration = AppContext.BaseDirectory.Contains("/Release/", StringComparison.Ordinal) ? "Release" : "Debug";
        string dir = Path.Combine(Path.GetTempPath(), $"openpipe-readme-{Guid.NewGuid():N}");
        Process? server = null;
        var output = new StringBuilder();
        try
        {
            await RunAsync("dotnet", $"new web -n ReadmeServer -o \"{dir}\"", Path.GetTempPath());
            await RunAsync("dotnet", $"add \"{dir}/ReadmeServer.csproj\" reference \"{Repo.PathOf("src", "OpenPipe.Server", "OpenPipe.Server.csproj")}\"", dir);
            await File.WriteAllTextAsync(Path.Combine(dir, "Program.cs"), program);

            // Build only the new project: OpenPipe.Server is already built with this test project.
            await RunAsync("dotnet", $"build -c {configuration} -p:BuildProjectReferences=false -nodeReuse:false", dir);

            int port = FreePort.Next();
            var info = new ProcessStartInfo("dotnet", $"\"{Path.Combine(dir, "bin", configuration, "net10.0", "ReadmeServer.dll")}\" --urls http://127.0.0.1:{port}")
            {
                WorkingDirectory = dir,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            server = Process.Start(info)!;
            server.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
            server.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
            server.BeginOutputReadLine();
            server.BeginErrorReadLine();
            var baseUrl = new Uri($"http://127.0.0.1:{port}/api/v1");
            await WaitListeningAsync(port, server, output);
            using var client = new OpenPipeClient(new OpenPipeClientOptions { ApiKey = Key, BaseUrl = baseUrl, MaxRetries = 0, NetworkTimeout = TimeSpan.FromSeconds(30) });
            var request = new ChatCompletionRequest { Model = "readme", Messages = [new UserMessage { Content = "hello from the readme" }] };
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));

            // Act
            var completion = await client.CreateChatCompletionAsync(request, timeout.Token);
            var chunks = new List<ChatCompletionChunk>();
            await foreach (var chunk in client.CreateChatCompletionStreamingAsync(request, timeout.Token))
            {
                chunks.Add(chunk);
            }

            using var stranger = new OpenPipeClient(new OpenPipeClientOptions { ApiKey = "sk-not-mine", BaseUrl = baseUrl, MaxRetries = 0 });
            var unauthorized = Assert.ThrowsAsync<OpenPipeApiException>(() => stranger.CreateChatCompletionAsync(request, timeout.Token));

            // Assert
            Assert.That(completion.Choices[0].Message.Content, Is.EqualTo("hello from the readme"));
            Assert.That(completion.Object, Is.EqualTo("chat.completion"));
            Assert.That(chunks, Has.Count.EqualTo(5), "four words and the finish");
            Assert.That(chunks[0].Choices[0].Delta.Role, Is.EqualTo(ChatRole.Assistant), "the first chunk names the role, as OpenAI's do");
            Assert.That(chunks.Skip(1).Select(c => c.Choices[0].Delta.Role), Has.All.Null);
            var merged = new ChatCompletionAccumulator();
            chunks.ForEach(merged.Append);
            Assert.That(merged.ToChatCompletion().Choices[0].Message.Content, Is.EqualTo("hello from the readme"));
            Assert.That(merged.ToChatCompletion().Choices[0].FinishReason, Is.EqualTo(FinishReason.Stop));
            Assert.That(unauthorized!.StatusCode, Is.EqualTo(401));
        }
        finally
        {
            if (server is not null)
            {
                server.Kill(entireProcessTree: true);
                await server.WaitForExitAsync();
                server.Dispose();
            }

            if (Directory.Exists(dir))
            {
                Directory.Delete(dir, recursive: true);
            }
        }
    }

    private static async Task RunAsync(string file, string arguments, string workingDirectory)
    {
        var (exitCode, text) = await Repo.RunAsync(file, arguments, workingDirectory, BuildTimeout, ("DOTNET_NOLOGO", "1"), ("DOTNET_SKIP_FIRST_TIME_EXPERIENCE", "1"));
        Assert.That(exitCode, Is.Zero, $"{file} {arguments}\n{text}");
    }

    private static async Task WaitListeningAsync(int port, Process server, StringBuilder output)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (server.HasExited)
            {
                lock (output)
                {
                    Assert.Fail($"The example exited with {server.ExitCode}:\n{output}");
                }
            }

            try
            {
                using var response = await http.GetAsync($"http://127.0.0.1:{port}/api/v1/chat/completions");
                return; // any answer (405) means it listens
            }
            catch (HttpRequestException)
            {
                await Task.Delay(200);
            }
        }

        lock (output)
        {
            Assert.Fail($"The example did not listen on {port} within 60 s:\n{output}");
        }
    }

    [GeneratedRegex("```csharp\\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex CSharpBlock();
}
