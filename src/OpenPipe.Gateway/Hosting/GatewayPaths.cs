// Adds: OpenAI's path shape and a JSON answer for every request the gateway has no route for.
// OpenAI's SDKs end their base URL in /v1, so /v1/... is served as /api/v1/...: the path is
// rewritten before routing, so both shapes reach the same endpoints with the same authentication,
// authorization, limits and logging, including routes mapped on the API's group later. A response
// that the pipeline ends with an error status and no body (no route: 404; a route that exists with
// other methods: 405 with Allow) gets the API's error body instead of an empty one. This is the
// gateway's own choice: an app using the server kit keeps its own error pages.

using System;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using OpenPipe.Server;

namespace OpenPipe.Gateway.Hosting;

/// <summary>The gateway's path aliases and its JSON answers for unserved paths and methods.</summary>
internal static class GatewayPaths
{
    /// <summary>Where the API's routes are mapped.</summary>
    public const string ApiPrefix = "/api/v1";

    /// <summary>The base path OpenAI's SDKs use, served as <see cref="ApiPrefix"/>.</summary>
    public const string OpenAIPrefix = "/v1";

    private static readonly object OriginalPathKey = new();

    /// <summary>
    /// Answers every error status without a body with the API's JSON error. Add it first, so it
    /// sees what routing, authentication and the endpoints answer.
    /// </summary>
    /// <param name="app">The app.</param>
    /// <returns>The app.</returns>
    public static IApplicationBuilder UseGatewayErrorBodies(this IApplicationBuilder app) => app.UseStatusCodePages(WriteErrorAsync);

    /// <summary>
    /// Serves <c>/v1/...</c> as <c>/api/v1/...</c>. Add it before <c>UseRouting</c>: routing then
    /// matches the rewritten path, and authorization sees the endpoint it chose.
    /// </summary>
    /// <param name="app">The app.</param>
    /// <returns>The app.</returns>
    public static IApplicationBuilder UseOpenAIPaths(this IApplicationBuilder app) => app.Use((context, next) =>
    {
        if (context.Request.Path.StartsWithSegments(OpenAIPrefix, StringComparison.OrdinalIgnoreCase, out var rest))
        {
            context.Items[OriginalPathKey] = context.Request.Path.Value;
            context.Request.Path = new PathString(ApiPrefix).Add(rest);
        }

        return next(context);
    });

    private static Task WriteErrorAsync(StatusCodeContext statusContext)
    {
        var context = statusContext.HttpContext;
        if (context.RequestAborted.IsCancellationRequested)
        {
            return Task.CompletedTask;
        }

        int status = context.Response.StatusCode;
        string path = context.Items[OriginalPathKey] as string ?? context.Request.Path.Value ?? "/";
        string method = context.Request.Method;
        string message = status switch
        {
            StatusCodes.Status404NotFound => $"No route for {method} {path}. The API is under {ApiPrefix} (or {OpenAIPrefix}), e.g. POST {ApiPrefix}/chat/completions.",
            StatusCodes.Status405MethodNotAllowed when context.Response.Headers.Allow.Count > 0 =>
                $"{method} is not supported on {path}; use {context.Response.Headers.Allow}.",
            StatusCodes.Status405MethodNotAllowed => $"{method} is not supported on {path}.",
            _ => $"{status} {ReasonPhrases.GetReasonPhrase(status)}".TrimEnd() + ".",
        };
        return OpenPipeErrors.WriteAsync(context, status, message);
    }
}
