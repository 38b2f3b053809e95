// Adds: construction from OpenPipeClientOptions (the client then owns an HttpClient with the
// retry/time-out pipeline and disposes it), the constructor IHttpClientFactory's typed clients use,
// and the options the other partials read.

using System;
using System.Net.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace OpenPipe.Client;

public partial class OpenPipeClient : IDisposable
{
    private OpenPipeClientOptions options = new();
    private HttpClient? ownedHttpClient;

    /// <summary>Creates a client that manages its own HttpClient, with retries and time-outs as <paramref name="options"/> say.</summary>
    /// <param name="options">The key, base URL, retry and time-out settings.</param>
    public OpenPipeClient(OpenPipeClientOptions options)
        : this(CreateHttpClient(options))
    {
        ownedHttpClient = _httpClient;
        Configure(options);
    }

    /// <summary>Creates a client over an HttpClient from IHttpClientFactory (see <c>AddOpenPipeClient</c>).</summary>
    /// <param name="httpClient">The HttpClient, whose handlers include <see cref="OpenPipeResilienceHandler"/>.</param>
    /// <param name="options">The options.</param>
    [ActivatorUtilitiesConstructor]
    public OpenPipeClient(HttpClient httpClient, IOptions<OpenPipeClientOptions> options)
        : this(httpClient)
    {
        ArgumentNullException.ThrowIfNull(options);
        Configure(options.Value);
    }

    /// <summary>The options this client was created with.</summary>
    public OpenPipeClientOptions Options => options;

    /// <summary>Creates an HttpClient with the kit's retry and time-out pipeline.</summary>
    /// <param name="options">The retry and time-out settings.</param>
    /// <returns>An HttpClient the caller owns.</returns>
    public static HttpClient CreateHttpClient(OpenPipeClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var handler = new OpenPipeResilienceHandler(options)
        {
            InnerHandler = new SocketsHttpHandler
            {
                PooledConnectionLifetime = TimeSpan.FromMinutes(5),
                AutomaticDecompression = System.Net.DecompressionMethods.All,
            },
        };

        // Time-outs are per attempt, in the pipeline; the caller's token covers the whole call.
        return new HttpClient(handler) { Timeout = System.Threading.Timeout.InfiniteTimeSpan };
    }

    /// <summary>Disposes the HttpClient this client created, if it created one.</summary>
    public void Dispose()
    {
        ownedHttpClient?.Dispose();
        ownedHttpClient = null;
        GC.SuppressFinalize(this);
    }

    private void Configure(OpenPipeClientOptions value)
    {
        ArgumentNullException.ThrowIfNull(value);
        value.Validate();
        options = value;
        BaseUrl = value.ResolveBaseUrl().ToString();
    }
}
