// Adds: AddOpenPipeServer and UseOpenPipeServer, the one call each that wires a server: MVC with
// Newtonsoft.Json and the client's wire settings, JSON names in validation errors, the error
// shape for bad input, client errors, unknown routes and unhandled exceptions, the body size
// limit, and bearer authentication with the pluggable key validator.

using System;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Filters;
using Microsoft.AspNetCore.Mvc.Infrastructure;
using Microsoft.AspNetCore.Mvc.NewtonsoftJson;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenPipe.Client;
using OpenPipe.Server;

namespace Microsoft.Extensions.DependencyInjection
{
    /// <summary>Registers the OpenPipe-compatible server.</summary>
    public static class OpenPipeServerServiceCollectionExtensions
    {
        /// <summary>
        /// Registers controllers (with Newtonsoft.Json and the kit's wire settings), the error shape,
        /// the body size limit and the bearer scheme. Derive a controller from
        /// <see cref="ChatCompletionsControllerBase"/>; then call <c>app.UseOpenPipeServer()</c>.
        /// </summary>
        /// <param name="services">The services.</param>
        /// <param name="configure">Sets the options (API keys, body limit).</param>
        /// <returns>The MVC builder, e.g. to add application parts.</returns>
        public static IMvcBuilder AddOpenPipeServer(this IServiceCollection services, Action<OpenPipeServerOptions>? configure = null)
        {
            ArgumentNullException.ThrowIfNull(services);
            var options = services.AddOptions<OpenPipeServerOptions>();
            if (configure is not null)
            {
                options.Configure(configure);
            }

            services.TryAddSingleton<IOpenPipeKeyValidator, ConfiguredKeyValidator>();
            services.AddAuthentication(OpenPipeBearerDefaults.AuthenticationScheme)
                .AddScheme<OpenPipeBearerOptions, OpenPipeBearerHandler>(OpenPipeBearerDefaults.AuthenticationScheme, null);
            services.AddAuthorization();
            services.AddSingleton<IClientErrorFactory, OpenPipeClientErrorFactory>();
            return services
                .AddControllers(mvc =>
                {
                    mvc.Filters.Add<OpenPipeRequestLimitFilter>();
                    mvc.ModelMetadataDetailsProviders.Add(new NewtonsoftJsonValidationMetadataProvider());
                })
                .AddNewtonsoftJson(json => OpenPipeJson.Configure(json.SerializerSettings))
                .ConfigureApiBehaviorOptions(api => api.InvalidModelStateResponseFactory = context => OpenPipeErrors.FromModelState(context.ModelState));
        }
    }
}

namespace Microsoft.AspNetCore.Builder
{
    /// <summary>Adds the OpenPipe-compatible server to the request pipeline.</summary>
    public static class OpenPipeServerApplicationExtensions
    {
        /// <summary>
        /// Unhandled exceptions become a generic 500 (details to the log), empty error responses
        /// such as unknown routes get the error body, then authentication, authorization and the
        /// controllers.
        /// </summary>
        /// <param name="app">The application.</param>
        /// <returns>The application.</returns>
        public static WebApplication UseOpenPipeServer(this WebApplication app)
        {
            ArgumentNullException.ThrowIfNull(app);
            app.UseExceptionHandler(new ExceptionHandlerOptions { ExceptionHandler = WriteUnhandledAsync, SuppressDiagnosticsCallback = _ => false });
            app.UseStatusCodePages(context =>
            {
                int status = context.HttpContext.Response.StatusCode;
                string message = status == 404 ? $"No route for {context.HttpContext.Request.Method} {context.HttpContext.Request.Path}." : $"The request failed with status {status}.";
                return OpenPipeErrors.WriteAsync(context.HttpContext, status, message);
            });
            app.UseAuthentication();
            app.UseAuthorization();
            app.MapControllers();
            return app;
        }

        private static Task WriteUnhandledAsync(HttpContext context)
        {
            var error = context.Features.Get<IExceptionHandlerFeature>()?.Error;
            if (error is BadHttpRequestException bad)
            {
                return OpenPipeErrors.WriteAsync(context, bad.StatusCode, bad.StatusCode == 413 ? "The request body is too large." : "The request is malformed.");
            }

            // The exception was already logged by the exception handler middleware: the caller gets no details.
            return OpenPipeErrors.WriteAsync(context, 500, "Internal server error.");
        }
    }
}

namespace OpenPipe.Server
{
    /// <summary>Answers 413 before reading a body larger than <see cref="OpenPipeServerOptions.MaxRequestBodyBytes"/>.</summary>
    internal sealed class OpenPipeRequestLimitFilter(IOptions<OpenPipeServerOptions> options) : IAsyncResourceFilter
    {
        public Task OnResourceExecutionAsync(ResourceExecutingContext context, ResourceExecutionDelegate next)
        {
            long limit = options.Value.MaxRequestBodyBytes;
            var request = context.HttpContext.Request;
            if (request.ContentLength > limit)
            {
                context.Result = OpenPipeErrors.Result(413, $"The request body is {request.ContentLength} bytes; the limit is {limit}.");
                return Task.CompletedTask;
            }

            if (context.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature)
            {
                feature.MaxRequestBodySize = limit;
            }

            return next();
        }
    }
}
