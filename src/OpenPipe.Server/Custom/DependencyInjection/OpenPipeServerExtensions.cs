// Adds: AddOpenPipeServer (options validated at start, the key validator, the bearer scheme under
// its own name, never the app's default; the MVC conventions that apply only to OpenPipe
// controllers), AddChatCompletionHandler, AddOpenPipeChatCompletionsController for MVC apps, and
// MapOpenPipeChatCompletions, the minimal-API route group, and the opt-in MapOpenPipeNotFound.
// Nothing here changes the app's other endpoints (under the kit's prefix too), controllers, JSON
// settings, error pages or default authentication scheme, implied or named.

using System;
using System.Linq;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.ApplicationModels;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection.Extensions;
using OpenPipe.Server;

namespace Microsoft.Extensions.DependencyInjection
{
    /// <summary>Registers the OpenPipe-compatible server.</summary>
    public static class OpenPipeServerServiceCollectionExtensions
    {
        /// <summary>
        /// Registers the server's options, the key validator and the bearer scheme
        /// (<see cref="OpenPipeDefaults.AuthenticationScheme"/>, which does not become the default
        /// scheme: pass it to <c>AddAuthentication</c> to make it one). Then register a handler with
        /// <see cref="AddChatCompletionHandler{THandler}"/> and map it with
        /// <c>app.MapOpenPipeChatCompletions()</c>, or use MVC controllers.
        /// </summary>
        /// <param name="services">The services.</param>
        /// <param name="configure">Sets the options (API keys, body limit, response check).</param>
        /// <returns>The services.</returns>
        public static IServiceCollection AddOpenPipeServer(this IServiceCollection services, Action<OpenPipeServerOptions>? configure = null)
        {
            ArgumentNullException.ThrowIfNull(services);
            var options = services.AddOptions<OpenPipeServerOptions>();
            if (configure is not null)
            {
                options.Configure(configure);
            }

            options
                .Validate(o => o.MaxRequestBodyBytes > 0, "OpenPipe:Server:MaxRequestBodyBytes must be positive.")
                .Validate(o => o.MaxWorkBytes > 0, "OpenPipe:Server:MaxWorkBytes must be positive.")
                .Validate(o => o.StreamWriteTimeout > TimeSpan.Zero, "OpenPipe:Server:StreamWriteTimeout must be positive.")
                .ValidateOnStart();

            // Content-Encoding (gzip, br, deflate) of request bodies, decoded by the kit's reader on its own routes only.
            services.AddRequestDecompression();
            services.TryAddSingleton<IOpenPipeKeyValidator, ConfiguredKeyValidator>();
            services.TryAddSingleton<OpenPipeServerRuntime>();
            services.AddAuthentication()
                .AddScheme<OpenPipeBearerOptions, OpenPipeBearerHandler>(OpenPipeDefaults.AuthenticationScheme, null);

            // The framework's scheme provider, which would make a lone scheme the default, gives way
            // to one that never picks the kit's by implication; an app's own provider is left alone.
            if (services.LastOrDefault(d => d.ServiceType == typeof(IAuthenticationSchemeProvider)) is { ImplementationType: { } type } provider
                && type == typeof(AuthenticationSchemeProvider))
            {
                services.Remove(provider);
                services.AddSingleton<IAuthenticationSchemeProvider, OpenPipeAuthenticationSchemeProvider>();
            }

            services.AddAuthorization(authorization => authorization.AddPolicy(
                OpenPipeDefaults.AuthorizationPolicy,
                policy => policy.AddAuthenticationSchemes(OpenPipeDefaults.AuthenticationScheme).RequireAuthenticatedUser()));
            services.TryAddEnumerable(ServiceDescriptor.Transient<IApplicationModelProvider, OpenPipeApplicationModelProvider>());
            return services;
        }

        /// <summary>Registers the server (see <see cref="AddOpenPipeServer(IServiceCollection, Action{OpenPipeServerOptions}?)"/>) and its handler.</summary>
        /// <typeparam name="THandler">The handler, resolved once per request.</typeparam>
        /// <param name="services">The services.</param>
        /// <param name="configure">Sets the options.</param>
        /// <returns>The services.</returns>
        public static IServiceCollection AddOpenPipeServer<THandler>(this IServiceCollection services, Action<OpenPipeServerOptions>? configure = null)
            where THandler : class, IChatCompletionHandler =>
            services.AddOpenPipeServer(configure).AddChatCompletionHandler<THandler>();

        /// <summary>Registers the <see cref="IChatCompletionHandler"/> both mappings call, scoped to the request.</summary>
        /// <typeparam name="THandler">The handler.</typeparam>
        /// <param name="services">The services.</param>
        /// <returns>The services.</returns>
        public static IServiceCollection AddChatCompletionHandler<THandler>(this IServiceCollection services)
            where THandler : class, IChatCompletionHandler
        {
            ArgumentNullException.ThrowIfNull(services);
            services.RemoveAll<IChatCompletionHandler>();
            services.AddScoped<IChatCompletionHandler, THandler>();
            return services;
        }

        /// <summary>
        /// Adds the kit's MVC controller, which serves POST api/v1/chat/completions with the
        /// registered <see cref="IChatCompletionHandler"/>; <c>app.MapControllers()</c> maps it.
        /// Its JSON, errors and authentication apply to it alone.
        /// </summary>
        /// <param name="mvc">The MVC builder (from <c>AddControllers()</c>).</param>
        /// <returns>The MVC builder.</returns>
        public static IMvcBuilder AddOpenPipeChatCompletionsController(this IMvcBuilder mvc)
        {
            ArgumentNullException.ThrowIfNull(mvc);
            return mvc.ConfigureApplicationPartManager(parts =>
            {
                if (!parts.FeatureProviders.OfType<HandlerControllerFeatureProvider>().Any())
                {
                    parts.FeatureProviders.Add(new HandlerControllerFeatureProvider());
                }
            });
        }
    }
}

namespace Microsoft.AspNetCore.Builder
{
    /// <summary>Maps the OpenPipe-compatible API with minimal APIs.</summary>
    public static class OpenPipeEndpointRouteBuilderExtensions
    {
        /// <summary>
        /// Maps POST <c>{prefix}/chat/completions</c> to the registered <see cref="IChatCompletionHandler"/>,
        /// authenticated with <see cref="OpenPipeDefaults.AuthenticationScheme"/>. Other methods on that
        /// route get 405 in the API's error shape. Nothing else changes: the app's own routes under the
        /// same prefix, and its answers to unknown paths there, stay the app's
        /// (see <see cref="MapOpenPipeNotFound"/> to answer those with the API's 404 instead).
        /// </summary>
        /// <param name="endpoints">The app or a group.</param>
        /// <param name="prefix">The API's base path; by default <c>/api/v1</c>, as OpenPipe serves it.</param>
        /// <returns>The route group, to chain <c>RequireRateLimiting</c>, <c>WithTags</c>, <c>RequireAuthorization</c>, ...</returns>
        public static RouteGroupBuilder MapOpenPipeChatCompletions(this IEndpointRouteBuilder endpoints, string prefix = "/api/v1")
        {
            ArgumentNullException.ThrowIfNull(endpoints);
            ArgumentNullException.ThrowIfNull(prefix);
            var group = endpoints.MapGroup(prefix);
            group.MapPost("/chat/completions", ChatCompletionPipeline.HandleAsync)
                .RequireAuthorization(OpenPipeDefaults.AuthorizationPolicy)
                .WithName("OpenPipe.CreateChatCompletion")
                .WithDisplayName("OpenPipe: POST chat/completions");
            group.MapMethods("/chat/completions", [HttpMethods.Get, HttpMethods.Put, HttpMethods.Patch, HttpMethods.Delete], context =>
                {
                    context.Response.Headers.Allow = HttpMethods.Post;
                    return OpenPipeErrors.WriteAsync(context, StatusCodes.Status405MethodNotAllowed, $"{context.Request.Method} is not supported on this route; use POST.");
                })
                .AllowAnonymous()
                .WithDisplayName("OpenPipe: 405");
            return group;
        }

        /// <summary>
        /// Opt-in: answers every request under <paramref name="endpoints"/> (the group
        /// <see cref="MapOpenPipeChatCompletions"/> returns, or the app) that no endpoint matches with
        /// 404 in the API's error shape. Map it only where every route is the API's: a catch-all
        /// also matches any method, so the framework does not answer 405 for a route under it
        /// that exists with other methods.
        /// </summary>
        /// <param name="endpoints">The API's route group, or the app.</param>
        /// <returns>The fallback endpoint's builder.</returns>
        public static IEndpointConventionBuilder MapOpenPipeNotFound(this IEndpointRouteBuilder endpoints)
        {
            ArgumentNullException.ThrowIfNull(endpoints);
            return endpoints.MapFallback("{**path}", context => OpenPipeErrors.WriteAsync(context, StatusCodes.Status404NotFound, $"No route for {context.Request.Method} {context.Request.Path}."))
                .AllowAnonymous()
                .WithDisplayName("OpenPipe: 404");
        }
    }
}
