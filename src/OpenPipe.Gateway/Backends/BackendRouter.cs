using System;
using System.Collections.Generic;
using System.Linq;
using System.Net.Http;
using Microsoft.Extensions.Options;
using OpenPipe.Client;
using OpenPipe.Gateway.Upstreams;

namespace OpenPipe.Gateway.Backends;

/// <summary>Chooses the backend for a model, as <see cref="GatewayOptions.Routes"/> say.</summary>
public sealed class BackendRouter : IDisposable
{
    private readonly Dictionary<string, IChatBackend> backends = new(StringComparer.Ordinal);
    private readonly GatewayOptions options;
    private readonly List<HttpClient> httpClients = [];

    /// <summary>Creates the router and one client per configured upstream.</summary>
    /// <param name="options">The gateway options.</param>
    /// <param name="echo">The embedded backend.</param>
    /// <param name="handlers">Makes the upstreams' inner HTTP handlers (named <c>upstream:NAME</c>), under the kit's retry handler.</param>
    /// <param name="registered">Backends registered in code (<see cref="ChatClientBackendExtensions.AddGatewayChatClient"/>).</param>
    public BackendRouter(IOptions<GatewayOptions> options, EchoBackend echo, IHttpMessageHandlerFactory handlers, IEnumerable<IChatBackend> registered)
    {
        ArgumentNullException.ThrowIfNull(registered);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(echo);
        ArgumentNullException.ThrowIfNull(handlers);
        this.options = options.Value;
        backends[echo.Name] = echo;
        foreach (var (name, upstream) in this.options.Upstreams)
        {
            var clientOptions = UpstreamClientOptions(upstream, name);
            var faults = new UpstreamFaultHandler(upstream) { InnerHandler = handlers.CreateHandler(HttpClientName(name)) };
            var pipeline = new OpenPipeResilienceHandler(clientOptions) { InnerHandler = faults };
            var http = new HttpClient(pipeline) { Timeout = System.Threading.Timeout.InfiniteTimeSpan };
            httpClients.Add(http);
            var client = new OpenPipeClient(http, Options.Create(clientOptions));
            backends[name] = new UpstreamBackend(name, client, upstream.SpeaksOpenPipe);
        }

        foreach (var backend in registered)
        {
            backends[backend.Name] = backend;
        }

        var targets = this.options.Routes.Select(r => r.Backend);
        if (!string.IsNullOrEmpty(this.options.DefaultBackend))
        {
            targets = targets.Append(this.options.DefaultBackend);
        }

        foreach (string target in targets.Where(t => !backends.ContainsKey(t)))
        {
            throw new OptionsValidationException(GatewayOptions.SectionName, typeof(GatewayOptions),
                [$"Backend '{target}' is named in Gateway:Routes or Gateway:DefaultBackend but is neither 'echo' nor an entry of Gateway:Upstreams."]);
        }
    }

    /// <summary>
    /// The models this gateway routes, in OpenAI's model-list order: each route's model (a prefix
    /// keeps its <c>*</c>) with the backend that serves it, and <c>echo</c> when it is the default.
    /// </summary>
    /// <returns>(model, backend) pairs.</returns>
    public IReadOnlyList<(string Model, string Backend)> RoutedModels()
    {
        var models = options.Routes.Select(r => (r.Model, r.Backend)).ToList();
        if (options.DefaultBackend == GatewayOptions.EchoBackend && !models.Any(m => m.Model == GatewayOptions.EchoBackend))
        {
            models.Add((GatewayOptions.EchoBackend, GatewayOptions.EchoBackend));
        }

        return models;
    }

    /// <summary>Disposes the upstream clients.</summary>
    public void Dispose() => httpClients.ForEach(c => c.Dispose());

    /// <summary>The HttpClient name of an upstream.</summary>
    /// <param name="upstream">The upstream's name.</param>
    /// <returns>The name.</returns>
    public static string HttpClientName(string upstream) => "upstream:" + upstream;

    /// <summary>The client options of an upstream.</summary>
    /// <param name="upstream">The upstream.</param>
    /// <param name="name">Its name, for errors.</param>
    /// <returns>The options.</returns>
    public static OpenPipeClientOptions UpstreamClientOptions(UpstreamOptions upstream, string name)
    {
        ArgumentNullException.ThrowIfNull(upstream);
        return new OpenPipeClientOptions
        {
            BaseUrl = upstream.BaseUrl ?? throw new OptionsValidationException(GatewayOptions.SectionName, typeof(GatewayOptions), [$"Gateway:Upstreams:{name}:BaseUrl is required."]),
            ApiKey = string.IsNullOrEmpty(upstream.ApiKey) ? "none" : upstream.ApiKey,
            MaxRetries = upstream.MaxRetries,
            NetworkTimeout = upstream.NetworkTimeout,
            MaxRetryAfter = upstream.MaxRetryAfter,
        };
    }

    /// <summary>The backend for <paramref name="model"/>: an exact entry, else the longest matching prefix entry, else the default.</summary>
    /// <param name="model">The requested model.</param>
    /// <returns>The backend, or null when no route matches and <see cref="GatewayOptions.DefaultBackend"/> is empty.</returns>
    public IChatBackend? For(string model)
    {
        ArgumentNullException.ThrowIfNull(model);

        // One pass per request, allocating nothing: the first exact entry, else the first of the longest prefixes.
        ModelRoute? prefix = null;
        var routes = options.Routes;
        for (int i = 0; i < routes.Count; i++)
        {
            var route = routes[i];
            if (route.Model == model)
            {
                return backends[route.Backend];
            }

            if (route.Model.EndsWith('*')
                && model.AsSpan().StartsWith(route.Model.AsSpan(0, route.Model.Length - 1), StringComparison.Ordinal)
                && (prefix is null || route.Model.Length > prefix.Model.Length))
            {
                prefix = route;
            }
        }

        string? chosen = prefix?.Backend ?? options.DefaultBackend;
        return string.IsNullOrEmpty(chosen) ? null : backends[chosen];
    }
}
