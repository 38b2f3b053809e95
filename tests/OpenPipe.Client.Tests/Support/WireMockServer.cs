using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Newtonsoft.Json.Linq;

namespace OpenPipe.Client.Tests.Support;

/// <summary>
/// WireMock (the Java server WireMock.Net ports) from the npm package `wiremock`, on a free port of
/// 127.0.0.1, driven through its admin REST API.
/// </summary>
internal sealed class WireMockServer : IAsyncDisposable
{
    private readonly Process process;
    private readonly HttpClient admin;

    private WireMockServer(Process process, int port)
    {
        this.process = process;
        Port = port;
        admin = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/__admin/") };
    }

    public int Port { get; }

    /// <summary>The chat completions API's base URL on this server.</summary>
    public Uri ApiBaseUrl => new($"http://127.0.0.1:{Port}/api/v1");

    public static async Task<WireMockServer> StartAsync(string rootDir)
    {
        string jar = Directory.GetFiles(Repo.PathOf("node_modules", "wiremock"), "wiremock-standalone-*.jar", SearchOption.AllDirectories).FirstOrDefault()
            ?? throw new InvalidOperationException("The WireMock jar is missing: run `npm ci` at the repository root.");
        int port = FreePort();
        var info = new ProcessStartInfo("java")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string a in new[] { "-jar", jar, "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind-address", "127.0.0.1", "--disable-banner", "--root-dir", rootDir })
        {
            info.ArgumentList.Add(a);
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException("java could not be started.");
        var log = new StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (log) { log.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (log) { log.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new WireMockServer(process, port);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"WireMock exited with {process.ExitCode}:\n{log}");
            }

            try
            {
                using var health = await server.admin.GetAsync("health");
                if (health.IsSuccessStatusCode)
                {
                    return server;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            await Task.Delay(100);
        }

        await server.DisposeAsync();
        throw new TimeoutException($"WireMock did not answer /__admin/health within 60 s:\n{log}");
    }

    /// <summary>Removes every stub, the request journal and scenario states.</summary>
    public async Task ResetAsync()
    {
        using var response = await admin.PostAsync("reset", null);
        response.EnsureSuccessStatusCode();
    }

    /// <summary>Loads a mapping file ({"mappings": [...]}) from Mappings/, replacing $NAME placeholders.</summary>
    public async Task StubAsync(string mappingFile, params (string Name, string Value)[] replacements)
    {
        string json = await File.ReadAllTextAsync(Repo.TestFile("Mappings", mappingFile));
        foreach (var (name, value) in replacements)
        {
            // A NUM_ placeholder is a number: it replaces the quoted placeholder, so the file stays valid JSON.
            json = name.StartsWith("NUM_", StringComparison.Ordinal)
                ? json.Replace("\"$" + name + "\"", value, StringComparison.Ordinal)
                : json.Replace("$" + name, value, StringComparison.Ordinal);
        }

        using var content = new StringContent(json, Encoding.UTF8, "application/json");
        using var response = await admin.PostAsync("mappings/import", content);
        string body = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"WireMock rejected {mappingFile}: {(int)response.StatusCode} {body}");
        }
    }

    /// <summary>The requests WireMock received, oldest first.</summary>
    public async Task<JArray> RequestsAsync()
    {
        string json = await admin.GetStringAsync("requests");
        var requests = (JArray)JObject.Parse(json)["requests"]!;
        return new JArray(requests.Reverse());
    }

    /// <summary>Requests that matched no stub (WireMock answered 404 for them).</summary>
    public async Task<JArray> UnmatchedAsync()
    {
        string json = await admin.GetStringAsync("requests/unmatched");
        return (JArray)JObject.Parse(json)["requests"]!;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            using var response = await admin.PostAsync("shutdown", null, cts.Token);
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
        {
            // Already gone.
        }

        if (!process.WaitForExit(5000))
        {
            process.Kill(entireProcessTree: true);
        }

        process.Dispose();
        admin.Dispose();
    }

    /// <summary>A free TCP port on 127.0.0.1.</summary>
    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
