using System;
using System.Collections.Concurrent;
using System.IO;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OpenPipe.Client;

namespace OpenPipe.Gateway.Tests;

/// <summary>The gateway in memory, with a key, a temporary request log, and an upstream named "wm" for models "up:*".</summary>
public sealed class GatewayFactory : WebApplicationFactory<Program>
{
    public const string Key = "gw-test-key";
    public const string UpstreamKey = "upstream-secret";

    private readonly Uri upstream;
    private readonly System.Collections.Generic.IReadOnlyDictionary<string, string?> settings;
    private readonly TimeProvider? time;

    /// <param name="upstream">The base URL of the upstream "wm".</param>
    /// <param name="settings">More configuration, applied last.</param>
    /// <param name="time">Replaces the system clock.</param>
    public GatewayFactory(Uri upstream, System.Collections.Generic.IReadOnlyDictionary<string, string?>? settings = null, TimeProvider? time = null)
    {
        this.upstream = upstream;
        this.settings = settings ?? new System.Collections.Generic.Dictionary<string, string?>();
        this.time = time;
        DatabasePath = Path.Combine(Path.GetTempPath(), $"openpipe-gateway-{Guid.NewGuid():N}.db");
    }

    public string DatabasePath { get; }

    /// <summary>More services, applied after the gateway's own (e.g. Kestrel's limits).</summary>
    public Action<Microsoft.Extensions.DependencyInjection.IServiceCollection>? MoreServices { get; init; }

    /// <summary>Records each upstream request and whether its cancellation token fired.</summary>
    public UpstreamProbe Probe { get; } = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("OpenPipe:Server:ApiKeys:0", Key);
        builder.UseSetting("Gateway:RequestLog:Path", DatabasePath);
        builder.UseSetting("Gateway:Upstreams:wm:BaseUrl", upstream.ToString());
        builder.UseSetting("Gateway:Upstreams:wm:ApiKey", UpstreamKey);
        builder.UseSetting("Gateway:Upstreams:wm:MaxRetries", "0");
        builder.UseSetting("Gateway:Routes:0:Model", "up:*");
        builder.UseSetting("Gateway:Routes:0:Backend", "wm");
        foreach (var (key, value) in settings)
        {
            builder.UseSetting(key, value);
        }

        builder.ConfigureTestServices(services =>
        {
            services.ConfigureHttpClientDefaults(http => http.AddHttpMessageHandler(() => new ProbeHandler(Probe)));
            if (time is not null)
            {
                services.AddSingleton(time);
            }

            MoreServices?.Invoke(services);
        });
    }

    /// <summary>The generated client over the in-memory server, with the kit's retry and error handler.</summary>
    public OpenPipeClient CreateOpenPipeClient(string key = Key)
    {
        var options = new OpenPipeClientOptions { ApiKey = key, MaxRetries = 0 };
        var http = CreateDefaultClient(new OpenPipeResilienceHandler(options));
        http.Timeout = Timeout.InfiniteTimeSpan;
        options.BaseUrl = new Uri(http.BaseAddress!, "api/v1");
        return new OpenPipeClient(http, Options.Create(options));
    }

    /// <summary>Rows of the request log, as column-name dictionaries.</summary>
    public async Task<System.Collections.Generic.List<System.Collections.Generic.Dictionary<string, object?>>> RowsAsync()
    {
        var rows = new System.Collections.Generic.List<System.Collections.Generic.Dictionary<string, object?>>();
        if (!File.Exists(DatabasePath))
        {
            return rows;
        }

        await using var connection = new SqliteConnection($"Data Source={DatabasePath};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT * FROM request_log ORDER BY id";
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            var row = new System.Collections.Generic.Dictionary<string, object?>();
            for (int i = 0; i < reader.FieldCount; i++)
            {
                row[reader.GetName(i)] = reader.IsDBNull(i) ? null : reader.GetValue(i);
            }

            rows.Add(row);
        }

        return rows;
    }

    /// <summary>Waits until a row matches <paramref name="match"/>, or 10 s.</summary>
    public async Task<System.Collections.Generic.Dictionary<string, object?>?> WaitForRowAsync(Func<System.Collections.Generic.Dictionary<string, object?>, bool> match)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            var row = (await RowsAsync()).Find(r => match(r));
            if (row is not null || DateTime.UtcNow > deadline)
            {
                return row;
            }

            await Task.Delay(50);
        }
    }

    /// <summary>Sends a raw JSON request with the test key and optional headers.</summary>
    public async Task<HttpResponseMessage> PostAsync(string path, string json, params (string Name, string Value)[] headers)
    {
        using var http = CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Key);
        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var response = await http.SendAsync(request, timeout.Token);
        await response.Content.LoadIntoBufferAsync(timeout.Token);
        return response;
    }

    /// <summary>Waits until the log holds <paramref name="count"/> rows (the writer is asynchronous), or 10 s.</summary>
    public async Task<System.Collections.Generic.List<System.Collections.Generic.Dictionary<string, object?>>> WaitForRowsAsync(int count, string? requestContains = null)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            var rows = await RowsAsync();
            if (requestContains is not null)
            {
                rows = rows.FindAll(r => ((string)r["request_json"]!).Contains(requestContains, StringComparison.Ordinal));
            }

            if (rows.Count >= count || DateTime.UtcNow > deadline)
            {
                return rows;
            }

            await Task.Delay(50);
        }
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        SqliteConnection.ClearAllPools();
        foreach (string file in new[] { DatabasePath, DatabasePath + "-wal", DatabasePath + "-shm" })
        {
            File.Delete(file);
        }
    }
}

public sealed class UpstreamProbe
{
    public ConcurrentQueue<string> Requests { get; } = new();

    /// <summary>Completes when an upstream call ends early: its token fired before the headers, or its body was released unread.</summary>
    public TaskCompletionSource Cancelled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}

/// <summary>
/// Watches upstream calls. HttpClient stops linking the caller's token once headers arrive, so
/// after that an abandoned call shows as its body being disposed before the end was read.
/// </summary>
internal sealed class ProbeHandler(UpstreamProbe probe) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        probe.Requests.Enqueue(request.Content is null ? string.Empty : await request.Content.ReadAsStringAsync(cancellationToken));
        using var registration = cancellationToken.Register(() => probe.Cancelled.TrySetResult());
        var response = await base.SendAsync(request, cancellationToken);
        var watched = new WatchedContent(await response.Content.ReadAsStreamAsync(cancellationToken), () => probe.Cancelled.TrySetResult());
        foreach (var header in response.Content.Headers)
        {
            watched.Headers.TryAddWithoutValidation(header.Key, header.Value);
        }

        response.Content = watched;
        return response;
    }

    private sealed class WatchedContent(System.IO.Stream body, Action releasedEarly) : StreamContent(new WatchedStream(body, releasedEarly))
    {
    }

    private sealed class WatchedStream(System.IO.Stream inner, Action releasedEarly) : System.IO.Stream
    {
        private bool ended;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Track(inner.Read(buffer, offset, count));

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            Track(await inner.ReadAsync(buffer, cancellationToken));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush()
        {
        }

        public override long Seek(long offset, System.IO.SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                if (!ended)
                {
                    releasedEarly();
                }

                inner.Dispose();
            }

            base.Dispose(disposing);
        }

        private int Track(int read)
        {
            ended |= read == 0;
            return read;
        }
    }
}
