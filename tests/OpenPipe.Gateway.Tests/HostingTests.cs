using System;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.FileProviders;
using OpenPipe.Gateway.Health;
using OpenPipe.Gateway.Storage;
using Newtonsoft.Json.Linq;
using NUnit.Framework;

namespace OpenPipe.Gateway.Tests;

/// <summary>Start-up validation and the health endpoints.</summary>
[TestFixture]
[NonParallelizable]
public sealed class HostingTests
{
    [Test]
    public async Task Healthz_Live_AnswersOkWithoutAuth()
    {
        // Arrange
        using var factory = new GatewayFactory(new Uri("http://127.0.0.1:9/v1"));
        using var http = factory.CreateClient();

        // Act
        using var response = await http.GetAsync("/healthz");

        // Assert
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await response.Content.ReadAsStringAsync(), Is.EqualTo("ok"));
    }

    [Test]
    public void Start_SettingsFiles_AreWatchedByTheFrameworksWatcherNotPolled()
    {
        // Arrange: the database is not in the content root, so nothing asks the file providers to poll.
        using var factory = new GatewayFactory(new Uri("http://127.0.0.1:9/v1"));
        using var http = factory.CreateClient();

        // Act
        var configuration = (IConfigurationRoot)factory.Services.GetRequiredService<IConfiguration>();
        var settingsFiles = configuration.Providers.OfType<FileConfigurationProvider>().Where(p => p.Source.ReloadOnChange).ToList();

        // Assert: unless the environment itself chose polling, nothing polls.
        string? chosen = System.Environment.GetEnvironmentVariable("DOTNET_USE_POLLING_FILE_WATCHER");
        bool polls = chosen is not null && (chosen == "1" || chosen.Equals("true", StringComparison.OrdinalIgnoreCase));
        Assert.That(settingsFiles, Is.Not.Empty);
        Assert.That(settingsFiles.Select(p => (p.Source.FileProvider as PhysicalFileProvider)?.UseActivePolling), Has.All.EqualTo(polls));
    }

    [Test]
    public void DatabasePath_NotConfigured_IsInTheUsersDataFolderOutsideTheGatewaysFolder()
    {
        // Arrange
        string contentRoot = AppContext.BaseDirectory;
        string localData = System.Environment.GetFolderPath(System.Environment.SpecialFolder.LocalApplicationData, System.Environment.SpecialFolderOption.DoNotVerify);

        // Act
        string path = GatewayDataFolder.DatabasePath(null, contentRoot);

        // Assert
        Assert.That(path, Is.EqualTo(Path.Combine(localData, "openpipe-gateway", "openpipe-gateway.db")));
        Assert.That(path, Does.Not.StartWith(contentRoot));
    }

    [TestCase("data/gateway.db")]
    [TestCase("gateway.db")]
    public void DatabasePath_Relative_IsUnderTheContentRoot(string configured)
    {
        // Act
        string path = GatewayDataFolder.DatabasePath(configured, "/srv/gateway");

        // Assert
        Assert.That(path, Is.EqualTo(Path.GetFullPath(Path.Combine("/srv/gateway", configured))));
    }

    [Test]
    public async Task Readyz_UpstreamAnswers_IsHealthyWithStorageAndUpstreamChecks()
    {
        // Arrange: an upstream that answers every request with 404 (an answer is all readiness needs).
        await using var upstream = await TinyHttpServer.StartAsync();
        using var factory = new GatewayFactory(new Uri($"http://127.0.0.1:{upstream.Port}/v1"));
        using var http = factory.CreateClient();

        // Act
        using var response = await http.GetAsync("/readyz");

        // Assert
        var report = JObject.Parse(await response.Content.ReadAsStringAsync());
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), report.ToString());
        Assert.That((string?)report.SelectToken("checks.startup.status"), Is.EqualTo("Healthy"));
        Assert.That((string?)report.SelectToken("checks.backends.status"), Is.EqualTo("Healthy"));
        Assert.That((string?)report.SelectToken("checks.storage.status"), Is.EqualTo("Healthy"));
        Assert.That((string?)report.SelectToken("checks.upstreams.status"), Is.EqualTo("Healthy"));
        Assert.That(upstream.Requests, Is.GreaterThanOrEqualTo(1));
        Assert.That(upstream.SawAuthorization, Is.False, "the probe never sends the upstream key");
    }

    [Test]
    public async Task Readyz_UpstreamUnreachable_IsDegraded200NamingTheUpstream()
    {
        // Arrange: nothing listens on the upstream's port.
        int closed = Client.Tests.Support.FreePort.Next();
        using var factory = new GatewayFactory(new Uri($"http://127.0.0.1:{closed}/v1"));
        using var http = factory.CreateClient();
        http.Timeout = TimeSpan.FromSeconds(30);

        // Act
        using var response = await http.GetAsync("/readyz");

        // Assert: other models (echo here) are still served, so this instance stays in service.
        var report = JObject.Parse(await response.Content.ReadAsStringAsync());
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((string?)report["status"], Is.EqualTo("Degraded"));
        Assert.That((string?)report.SelectToken("checks.upstreams.status"), Is.EqualTo("Degraded"));
        Assert.That((string?)report.SelectToken("checks.upstreams.description"), Does.Contain("wm"));
        Assert.That((string?)report.SelectToken("checks.storage.status"), Is.EqualTo("Healthy"));
    }

    [Test]
    public async Task Readyz_StorageDoesNotAnswer_IsDegraded200WithTheDetailWhileRequestsAreServed()
    {
        // Arrange: the storage opens at start but every read fails afterwards.
        using var factory = new GatewayFactory(new Uri("http://127.0.0.1:9/v1"));
        using var broken = factory.WithWebHostBuilder(b => b.ConfigureTestServices(services =>
        {
            var registered = services.Last(d => d.ServiceType == typeof(IGatewayStore));
            services.AddSingleton<IGatewayStore>(sp => new ReadFailingStore((IGatewayStore)registered.ImplementationFactory!(sp)));
        }));
        using var http = broken.CreateClient();

        // Act
        using var response = await http.GetAsync("/readyz");
        using var chat = new HttpRequestMessage(HttpMethod.Post, "/api/v1/chat/completions")
        {
            Content = new StringContent("""{"model":"echo","messages":[{"role":"user","content":"still served"}]}""", Encoding.UTF8, "application/json"),
        };
        chat.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", GatewayFactory.Key);
        chat.Headers.Add("op-cache", "readWrite");
        using var served = await http.SendAsync(chat);

        // Assert
        var report = JObject.Parse(await response.Content.ReadAsStringAsync());
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((string?)report["status"], Is.EqualTo("Degraded"));
        Assert.That((string?)report.SelectToken("checks.storage.status"), Is.EqualTo("Degraded"));
        Assert.That((string?)report.SelectToken("checks.storage.description"), Does.Contain("does not answer").And.Contain("wait in the queue"));
        Assert.That((int?)report.SelectToken("checks.storage.data.queued_entries"), Is.Not.Null);
        Assert.That((int?)report.SelectToken("checks.storage.data.dropped_entries"), Is.Not.Null);
        Assert.That(report.ToString(), Does.Not.Contain("disk gone"), "the exception stays in the log");
        Assert.That(served.StatusCode, Is.EqualTo(HttpStatusCode.OK), "requests are served meanwhile");
    }

    [Test]
    public async Task Readyz_NoBackendConfigured_Is503NamingTheSettings()
    {
        // Arrange: no route and no default backend.
        using var factory = new WebApplicationFactory<Program>().WithWebHostBuilder(b => b
            .UseSetting("OpenPipe:Server:ApiKeys:0", GatewayFactory.Key)
            .UseSetting("Gateway:DefaultBackend", "")
            .UseSetting("Gateway:RequestLog:Path", Path.Combine(Path.GetTempPath(), $"openpipe-gateway-{Guid.NewGuid():N}.db")));
        using var http = factory.CreateClient();

        // Act
        using var response = await http.GetAsync("/readyz");

        // Assert
        var report = JObject.Parse(await response.Content.ReadAsStringAsync());
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
        Assert.That((string?)report.SelectToken("checks.backends.status"), Is.EqualTo("Unhealthy"));
        Assert.That((string?)report.SelectToken("checks.backends.description"), Does.Contain("Gateway:Routes").And.Contain("Gateway:DefaultBackend"));
        Assert.That((string?)report.SelectToken("checks.storage.status"), Is.EqualTo("Healthy"));
    }

    [Test]
    public async Task StartupCheck_BeforeStartedAndWhenStopping_IsUnhealthy()
    {
        // Arrange
        using var lifetime = new FakeLifetime();
        var check = new StartupCheck(lifetime);

        // Act
        var starting = await check.CheckHealthAsync(new HealthCheckContext());
        await lifetime.Started.CancelAsync();
        var started = await check.CheckHealthAsync(new HealthCheckContext());
        await lifetime.Stopping.CancelAsync();
        var stopping = await check.CheckHealthAsync(new HealthCheckContext());

        // Assert
        Assert.That(starting.Status, Is.EqualTo(HealthStatus.Unhealthy));
        Assert.That(starting.Description, Does.Contain("starting"));
        Assert.That(started.Status, Is.EqualTo(HealthStatus.Healthy));
        Assert.That(stopping.Status, Is.EqualTo(HealthStatus.Unhealthy));
        Assert.That(stopping.Description, Does.Contain("stopping"));
    }

    private sealed class FakeLifetime : Microsoft.Extensions.Hosting.IHostApplicationLifetime, IDisposable
    {
        public CancellationTokenSource Started { get; } = new();

        public CancellationTokenSource Stopping { get; } = new();

        public CancellationToken ApplicationStarted => Started.Token;

        public CancellationToken ApplicationStopping => Stopping.Token;

        public CancellationToken ApplicationStopped => CancellationToken.None;

        public void StopApplication() => Stopping.Cancel();

        public void Dispose()
        {
            Started.Dispose();
            Stopping.Dispose();
        }
    }

    [TestCase("api/v1", Description = "relative")]
    [TestCase("ftp://example.com/v1", Description = "not http")]
    public void Start_BadUpstreamUrl_FailsNamingTheSetting(string url)
    {
        // Arrange
        using var factory = new GatewayFactory(new Uri("http://127.0.0.1:9/v1"));
        using var bad = factory.WithWebHostBuilder(b => b.UseSetting("Gateway:Upstreams:bad:BaseUrl", url));

        // Act
        var error = Assert.Catch(() => bad.CreateClient());

        // Assert
        Assert.That(error!.ToString(), Does.Contain("Gateway:Upstreams:bad:BaseUrl"));
    }

    [Test]
    public void Start_RouteToUnknownBackend_FailsNamingTheSetting()
    {
        // Arrange
        using var factory = new GatewayFactory(new Uri("http://127.0.0.1:9/v1"));
        using var bad = factory.WithWebHostBuilder(b => b.UseSetting("Gateway:Routes:1:Model", "x:*").UseSetting("Gateway:Routes:1:Backend", "nowhere"));

        // Act
        var error = Assert.Catch(() => bad.CreateClient());

        // Assert
        Assert.That(error!.ToString(), Does.Contain("Gateway:Routes:1:Backend 'nowhere'"));
    }

    [Test]
    public void Start_ProductionWithoutKeys_FailsNamingTheSetting()
    {
        // Arrange: Production, no key in configuration or environment.
        using var factory = new WebApplicationFactory<Program>().WithWebHostBuilder(b => b
            .UseEnvironment("Production")
            .UseSetting("Gateway:RequestLog:Path", Path.Combine(Path.GetTempPath(), $"openpipe-gateway-{Guid.NewGuid():N}.db")));

        // Act
        var error = Assert.Catch(() => factory.CreateClient());

        // Assert
        Assert.That(error!.ToString(), Does.Contain("OpenPipe:Server:ApiKeys is empty"));
    }

    /// <summary>Answers every HTTP request with 404 and counts them.</summary>
    private sealed class TinyHttpServer : IAsyncDisposable
    {
        private readonly TcpListener listener = new(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource stop = new();
        private Task loop = Task.CompletedTask;
        private int requests;

        public int Port => ((IPEndPoint)listener.LocalEndpoint).Port;

        public int Requests => Volatile.Read(ref requests);

        public bool SawAuthorization { get; private set; }

        public static Task<TinyHttpServer> StartAsync()
        {
            var server = new TinyHttpServer();
            server.listener.Start();
            server.loop = server.RunAsync();
            return Task.FromResult(server);
        }

        private async Task RunAsync()
        {
            while (!stop.IsCancellationRequested)
            {
                TcpClient client;
                try
                {
                    client = await listener.AcceptTcpClientAsync(stop.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                using (client)
                {
                    var stream = client.GetStream();
                    var buffer = new byte[8192];
                    int read = await stream.ReadAsync(buffer, stop.Token);
                    string head = Encoding.ASCII.GetString(buffer, 0, read);
                    SawAuthorization |= head.Contains("Authorization:", StringComparison.OrdinalIgnoreCase);
                    Interlocked.Increment(ref requests);
                    await stream.WriteAsync(Encoding.ASCII.GetBytes("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"), stop.Token);
                }
            }
        }

        public async ValueTask DisposeAsync()
        {
            await stop.CancelAsync();
            listener.Stop();
            await loop.ConfigureAwait(false);
            stop.Dispose();
        }
    }

    /// <summary>A store whose cache reads fail, as a storage that went away would.</summary>
    private sealed class ReadFailingStore(IGatewayStore inner) : IGatewayStore
    {
        public string Provider => inner.Provider;

        public Task InitializeAsync(CancellationToken cancellationToken = default) => inner.InitializeAsync(cancellationToken);

        public Task WriteLogAsync(System.Collections.Generic.IReadOnlyList<RequestLogEntry> entries, CancellationToken cancellationToken = default) => inner.WriteLogAsync(entries, cancellationToken);

        public Task<string?> GetCachedAsync(string key, DateTimeOffset now, CancellationToken cancellationToken = default) => throw new IOException("disk gone");

        public Task PutCachedAsync(string key, string completionJson, DateTimeOffset createdAt, DateTimeOffset expiresAt, CancellationToken cancellationToken = default) => inner.PutCachedAsync(key, completionJson, createdAt, expiresAt, cancellationToken);

        public Task<int> UpdateTagsAsync(string keyId, System.Collections.Generic.IReadOnlyList<LogFilter> filters, System.Collections.Generic.IReadOnlyDictionary<string, OpenPipe.TagValue> tags, CancellationToken cancellationToken = default) => inner.UpdateTagsAsync(keyId, filters, tags, cancellationToken);
    }
}
