// Adds: the steps both mappings share, so the minimal-API route and the MVC controller answer
// byte for byte alike: parse the op-* headers and the body (errors in the API's shape), call the
// IChatCompletionHandler inside the OpenPipe.Server GenAI span, optionally check what it returns
// against the spec, and write JSON or a stream that has produced its first chunk.

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace OpenPipe.Server;

/// <summary>What the server parsed from a request before calling the handler.</summary>
internal sealed class OpenPipeRequestFeature(ChatCompletionRequest request, ChatCompletionContext context)
{
    public ChatCompletionRequest Request { get; } = request;

    public ChatCompletionContext Context { get; } = context;
}

/// <summary>
/// What every request of one app reads from its services, resolved once: the options (IOptions
/// values never change) and whether responses are checked, so a request makes one lookup, not four.
/// </summary>
internal sealed class OpenPipeServerRuntime
{
    public OpenPipeServerRuntime(IServiceProvider services)
    {
        Options = services.GetRequiredService<IOptions<OpenPipeServerOptions>>().Value;
        CheckResponses = Options.CheckResponses ?? services.GetService<IHostEnvironment>()?.IsDevelopment() == true;
        CheckLogger = services.GetRequiredService<ILoggerFactory>().CreateLogger(OpenPipeErrors.LogCategory);
        RejectionObservers = [.. services.GetServices<IChatCompletionRejectionObserver>()];
    }

    /// <summary>The observers told of rejected requests; none, and the rejected body is never copied.</summary>
    public IChatCompletionRejectionObserver[] RejectionObservers { get; }

    public OpenPipeServerOptions Options { get; }

    public bool CheckResponses { get; }

    public ILogger CheckLogger { get; }

    public static OpenPipeServerRuntime Of(HttpContext http) => http.RequestServices.GetRequiredService<OpenPipeServerRuntime>();
}

/// <summary>The steps of answering POST /chat/completions.</summary>
internal static class ChatCompletionPipeline
{
    /// <summary>The minimal-API endpoint: everything from the headers to the last byte.</summary>
    public static async Task HandleAsync(HttpContext http)
    {
        try
        {
            var (feature, error) = await PrepareAsync(http).ConfigureAwait(false);
            if (error is not null)
            {
                await error.ExecuteAsync(http).ConfigureAwait(false);
                return;
            }

            var handler = http.RequestServices.GetRequiredService<IChatCompletionHandler>();
            var result = await RespondAsync(handler, feature!.Request, feature.Context, http).ConfigureAwait(false);
            await ((IResult)result).ExecuteAsync(http).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            await OpenPipeErrors.WriteExceptionAsync(http, e).ConfigureAwait(false);
        }
    }

    /// <summary>Parses the headers and the body; the feature is also stored on the request.</summary>
    /// <remarks>
    /// This step and the next return ValueTasks: with a body already received and a handler that
    /// answers at once, a request passes through them without allocating a task.
    /// </remarks>
    public static async ValueTask<(OpenPipeRequestFeature? Feature, OpenPipeJsonResult? Error)> PrepareAsync(HttpContext http)
    {
        var runtime = OpenPipeServerRuntime.Of(http);
        bool observed = runtime.RejectionObservers.Length > 0;
        long started = observed ? Stopwatch.GetTimestamp() : 0;
        var context = ChatCompletionContext.TryCreate(http, out var headerError);
        if (context is null)
        {
            if (observed)
            {
                // The body is still read, so an observer learns whether it asked to be logged.
                var body = await ChatCompletionRequestReader.ReadAsync(http.Request, runtime.Options, fastPath: true, BodyCopy.Always, http.RequestAborted).ConfigureAwait(false);
                await NotifyAsync(http, runtime, StatusCodes.Status400BadRequest, headerError!, body, started).ConfigureAwait(false);
            }

            return (null, new OpenPipeJsonResult(headerError!, StatusCodes.Status400BadRequest));
        }

        var read = await ChatCompletionRequestReader.ReadAsync(http.Request, runtime.Options, fastPath: true, observed ? BodyCopy.OnRejection : BodyCopy.None, http.RequestAborted).ConfigureAwait(false);
        if (read.Error is not null)
        {
            if (observed)
            {
                await NotifyAsync(http, runtime, read.Status, read.Error, read, started).ConfigureAwait(false);
            }

            return (null, new OpenPipeJsonResult(read.Error, read.Status));
        }

        var feature = new OpenPipeRequestFeature(read.Request!, context);
        http.Features.Set(feature);
        return (feature, null);
    }

    /// <summary>Tells every rejection observer; one that throws is logged and the others still run.</summary>
    private static async ValueTask NotifyAsync(HttpContext http, OpenPipeServerRuntime runtime, int status, ErrorResponse error, BodyResult<ChatCompletionRequest> read, long started)
    {
        var caller = http.User.GetOpenPipeCaller();
        if (caller is null)
        {
            return;
        }

        var rejection = new ChatCompletionRejection(http, caller, status, error, read.Received, read.ReceivedAll, Stopwatch.GetElapsedTime(started));
        foreach (var observer in runtime.RejectionObservers)
        {
            try
            {
                await observer.OnRejectedAsync(rejection, http.RequestAborted).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException || !http.RequestAborted.IsCancellationRequested)
            {
                runtime.CheckLogger.LogError(e, "A rejection observer ({Observer}) failed.", observer.GetType().Name);
            }
        }
    }

    /// <summary>Calls the handler: a JSON result, or a stream result whose first chunk has been produced.</summary>
    public static async ValueTask<ActionResult> RespondAsync(IChatCompletionHandler handler, ChatCompletionRequest request, ChatCompletionContext context, HttpContext http)
    {
        var check = ResponseCheckFor(http);
        if (request.Stream == true)
        {
            var chunks = OpenPipeServerTelemetry.StreamAsync(request, handler.StreamAsync(request, context, http.RequestAborted), http.RequestAborted);
            return await ChatCompletionStreamResult.StartAsync(check is null ? chunks : Checked(chunks, check, http.RequestAborted), http.RequestAborted).ConfigureAwait(false);
        }

        var completion = await OpenPipeServerTelemetry.CompleteAsync(handler, request, context, http.RequestAborted).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"{handler.GetType().Name}.CompleteAsync returned null.");
        check?.Check(completion);
        return new OpenPipeJsonResult(completion);
    }

    /// <summary>The response check when it is on (<see cref="OpenPipeServerOptions.CheckResponses"/>, by default in Development).</summary>
    public static ResponseCheck? ResponseCheckFor(HttpContext http)
    {
        var runtime = OpenPipeServerRuntime.Of(http);
        return runtime.CheckResponses ? new ResponseCheck(runtime.CheckLogger) : null;
    }

    private static async IAsyncEnumerable<ChatCompletionChunk> Checked(IAsyncEnumerable<ChatCompletionChunk> chunks, ResponseCheck check, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var chunk in chunks.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            check.Check(chunk);
            yield return chunk;
        }
    }
}
