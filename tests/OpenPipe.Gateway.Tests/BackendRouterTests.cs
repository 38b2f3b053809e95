using System;
using System.Collections.Generic;
using System.Net.Http;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Options;
using NUnit.Framework;
using OpenPipe.Client;
using OpenPipe.Gateway.Backends;

namespace OpenPipe.Gateway.Tests;

/// <summary>
/// Which backend a model goes to: the first exact route, else the first of the longest matching
/// prefix routes, else the default backend.
/// </summary>
[TestFixture]
public sealed class BackendRouterTests
{
    [TestCase("gpt-4o", "exact")]
    [TestCase("gpt-4o-mini", "longer")]
    [TestCase("gpt-4", "short-first")]
    [TestCase("gpt-", "short-first")]
    [TestCase("gpt", "echo")]
    [TestCase("claude", "echo")]
    [TestCase("", "echo")]
    [TestCase("openpipe:gpt-4o", "anything")]
    [TestCase("*", "echo")]
    public void For_ModelAgainstTheRoutes_PicksExactThenLongestPrefixThenDefault(string model, string expected)
    {
        // Arrange: an exact route after a prefix that also matches it, two prefixes of one length
        // (the first wins), a longer prefix, a second exact route for one model, and a prefix for "openpipe:".
        var options = new GatewayOptions();
        options.Routes.Add(new ModelRoute { Model = "gpt-*", Backend = "short-first" });
        options.Routes.Add(new ModelRoute { Model = "gpt-*", Backend = "short-second" });
        options.Routes.Add(new ModelRoute { Model = "gpt-4o", Backend = "exact" });
        options.Routes.Add(new ModelRoute { Model = "gpt-4o-*", Backend = "longer" });
        options.Routes.Add(new ModelRoute { Model = "gpt-4o", Backend = "exact-second" });
        options.Routes.Add(new ModelRoute { Model = "openpipe:*", Backend = "anything" });
        string[] names = ["short-first", "short-second", "exact", "longer", "exact-second", "anything"];
        var registered = Array.ConvertAll(names, name => (IChatBackend)new NamedBackend(name));
        using var router = new BackendRouter(Options.Create(options), new EchoBackend(TimeProvider.System), new NoHandlers(), registered);

        // Act
        string? chosen = router.For(model)?.Name;

        // Assert
        Assert.That(chosen, Is.EqualTo(expected));
    }

    [TestCase("gpt-4o", "exact")]
    [TestCase("gpt-4o-mini", null)]
    [TestCase("echo", null)]
    public void For_EmptyDefaultBackend_IsNullForAModelNoRouteMatches(string model, string? expected)
    {
        // Arrange
        var options = new GatewayOptions { DefaultBackend = "" };
        options.Routes.Add(new ModelRoute { Model = "gpt-4o", Backend = "exact" });
        using var router = new BackendRouter(Options.Create(options), new EchoBackend(TimeProvider.System), new NoHandlers(), [new NamedBackend("exact")]);

        // Act
        var chosen = router.For(model);

        // Assert
        Assert.That(chosen?.Name, Is.EqualTo(expected));
        Assert.That(router.RoutedModels(), Is.EqualTo(new[] { ("gpt-4o", "exact") }), "only what is served is listed");
    }

    /// <summary>A backend known by its name only; the router never calls it.</summary>
    private sealed class NamedBackend(string name) : IChatBackend
    {
        public string Name => name;

        public Task<ChatCompletion> CompleteAsync(ChatCompletionRequest request, OpenPipeRequestOptions? openPipe = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public async IAsyncEnumerable<ChatCompletionChunk> StreamAsync(ChatCompletionRequest request, OpenPipeRequestOptions? openPipe = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            await Task.CompletedTask;
            yield break;
        }
    }

    /// <summary>No upstreams are configured, so no handler is asked for.</summary>
    private sealed class NoHandlers : IHttpMessageHandlerFactory
    {
        public HttpMessageHandler CreateHandler(string name) => throw new NotSupportedException();
    }
}
