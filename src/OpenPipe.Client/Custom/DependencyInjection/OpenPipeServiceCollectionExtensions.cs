// Adds: AddOpenPipeClient, which registers OpenPipeClient as a typed client of IHttpClientFactory
// with the options pattern and the retry/time-out handler, and AddOpenPipeChatClient, which registers
// Microsoft.Extensions.AI's IChatClient over it and returns the ChatClientBuilder for middleware.

using System;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenPipe.Client;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the OpenPipe client.</summary>
public static class OpenPipeServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="IOpenPipeClient"/> and <see cref="OpenPipeClient"/> as a typed HttpClient
    /// configured from <see cref="OpenPipeClientOptions"/>.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Sets the options; unset key and base URL fall back to OPENPIPE_API_KEY and OPENPIPE_BASE_URL.</param>
    /// <returns>The HttpClient builder, to add handlers.</returns>
    public static IHttpClientBuilder AddOpenPipeClient(this IServiceCollection services, Action<OpenPipeClientOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var optionsBuilder = services.AddOptions<OpenPipeClientOptions>();
        if (configure is not null)
        {
            optionsBuilder.Configure(configure);
        }

        var builder = services.AddHttpClient<IOpenPipeClient, OpenPipeClient>(http => http.Timeout = System.Threading.Timeout.InfiniteTimeSpan)
            .AddHttpMessageHandler(sp =>
            {
                var options = sp.GetRequiredService<IOptions<OpenPipeClientOptions>>().Value;
                var loggers = options.LoggerFactory ?? sp.GetService<ILoggerFactory>();
                return new OpenPipeResilienceHandler(options, loggers?.CreateLogger<OpenPipeResilienceHandler>());
            });
        services.AddTransient(sp => (OpenPipeClient)sp.GetRequiredService<IOpenPipeClient>());
        return builder;
    }

    /// <summary>
    /// Registers the OpenPipe client (as <see cref="AddOpenPipeClient"/> does) and an <see cref="IChatClient"/> over it,
    /// and returns the builder so middleware can be added: <c>.UseFunctionInvocation()</c>, <c>.UseDistributedCache()</c>,
    /// <c>.UseLogging()</c>, <c>.UseOpenTelemetry()</c>.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="defaultModelId">The model used when <see cref="ChatOptions.ModelId"/> is not set.</param>
    /// <param name="configure">Sets the client options.</param>
    /// <returns>The chat client builder.</returns>
    public static ChatClientBuilder AddOpenPipeChatClient(this IServiceCollection services, string? defaultModelId = null, Action<OpenPipeClientOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOpenPipeClient(configure);
        return services.AddChatClient(sp => sp.GetRequiredService<IOpenPipeClient>().AsIChatClient(defaultModelId));
    }
}
