// Adds: the one mapping from an exception to the response both mappings send: a handler's
// OpenPipeApiException keeps its status and body (an upstream's error passes through, with
// Retry-After), a bad request body read by the server keeps its 4xx, a client that left gets
// nothing, and anything else is a 500 with a generic message and the details in the log.
// Also OpenPipeJsonResult, which writes a body with the kit's JSON settings for either mapping.

using System;
using System.Buffers;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Logging;

namespace OpenPipe.Server;

/// <content>Exception mapping.</content>
public static partial class OpenPipeErrors
{
    /// <summary>The log category of failures the server turns into error responses.</summary>
    internal const string LogCategory = "OpenPipe.Server.ChatCompletions";

    /// <summary>Writes an error body directly to the response.</summary>
    /// <param name="context">The request.</param>
    /// <param name="status">The HTTP status code.</param>
    /// <param name="error">The body.</param>
    /// <returns>A task that completes when the body is written.</returns>
    public static Task WriteAsync(HttpContext context, int status, ErrorResponse error)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(error);
        return new OpenPipeJsonResult(error, status).ExecuteAsync(context);
    }

    /// <summary>Answers a request whose handling threw <paramref name="exception"/>.</summary>
    /// <param name="context">The request.</param>
    /// <param name="exception">What was thrown.</param>
    /// <returns>A task that completes when the response is written.</returns>
    public static Task WriteExceptionAsync(HttpContext context, Exception exception)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(exception);
        if (context.Response.HasStarted)
        {
            return Task.CompletedTask;
        }

        switch (exception)
        {
            case OperationCanceledException when context.RequestAborted.IsCancellationRequested:
                // The client left: nobody reads an answer.
                context.Response.StatusCode = 499;
                return Task.CompletedTask;

            case OpenPipeApiException api:
                return WriteApiExceptionAsync(context, api);

            case BadHttpRequestException bad:
                return WriteAsync(context, bad.StatusCode, bad.StatusCode == 413 ? "The request body is too large." : "The request is malformed.");

            default:
                Logger(context).LogError(exception, "The chat completion handler failed; answering 500.");
                return WriteAsync(context, StatusCodes.Status500InternalServerError, "Internal server error.");
        }
    }

    /// <summary>
    /// The event that ends a stream which failed after it started. An <see cref="OpenPipeApiException"/>
    /// (an upstream's failure, a handler's own error) keeps its message and code, so the caller learns
    /// what went wrong (an upstream time-out, a cut connection); anything else is a generic internal
    /// error whose details stay in the log.
    /// </summary>
    /// <param name="exception">What the stream's producer threw.</param>
    /// <returns>The error event.</returns>
    public static ChatCompletionStreamError StreamError(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        if (exception is OpenPipeApiException api)
        {
            int status = api.StatusCode is >= 400 and < 600 ? api.StatusCode : StatusCodes.Status502BadGateway;
            string message = api.Error?.Message is { Length: > 0 } m ? m : api.Message;
            return new ChatCompletionStreamError
            {
                Error = new OpenAIError { Message = message, Code = api.ErrorCode ?? CodeFor(status), Type = TypeFor(status) },
            };
        }

        return new ChatCompletionStreamError
        {
            Error = new OpenAIError { Message = "The stream failed: internal error.", Code = CodeFor(500), Type = TypeFor(500) },
        };
    }

    /// <summary>An <see cref="OpenPipeApiException"/> keeps its status and JSON body; none at all is a 502.</summary>
    private static Task WriteApiExceptionAsync(HttpContext context, OpenPipeApiException e)
    {
        int status = e.StatusCode is >= 400 and < 600 ? e.StatusCode : StatusCodes.Status502BadGateway;
        if (e.Headers.TryGetValue("Retry-After", out var retryAfter))
        {
            context.Response.Headers.RetryAfter = string.Join(",", retryAfter);
        }

        if (e.StatusCode == 0 || string.IsNullOrWhiteSpace(e.Response) || !e.Response.TrimStart().StartsWith('{'))
        {
            string message = e.StatusCode == 0 ? "The upstream did not answer." : e.Error?.Message ?? $"The upstream answered {e.StatusCode}.";
            return WriteAsync(context, status, message);
        }

        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(e.Response, context.RequestAborted);
    }

    private static ILogger Logger(HttpContext context) =>
        (context.RequestServices.GetService(typeof(ILoggerFactory)) as ILoggerFactory)?.CreateLogger(LogCategory)
        ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
}

/// <summary>A body written with the kit's JSON settings (Newtonsoft, the wire format), in minimal APIs or MVC.</summary>
public sealed class OpenPipeJsonResult : ActionResult, IResult, IStatusCodeHttpResult, IValueHttpResult
{
    /// <summary>Creates the result.</summary>
    /// <param name="value">The body.</param>
    /// <param name="statusCode">The status code.</param>
    public OpenPipeJsonResult(object value, int statusCode = StatusCodes.Status200OK)
    {
        ArgumentNullException.ThrowIfNull(value);
        Value = value;
        StatusCode = statusCode;
    }

    /// <summary>The body.</summary>
    public object Value { get; }

    /// <summary>The status code.</summary>
    public int StatusCode { get; }

    int? IStatusCodeHttpResult.StatusCode => StatusCode;

    /// <inheritdoc />
    public async Task ExecuteAsync(HttpContext httpContext)
    {
        ArgumentNullException.ThrowIfNull(httpContext);

        // Pooled UTF-8 bytes (the fast writer, or one cached serializer), written with their length:
        // no string, no per-call serializer, no HttpContent and its headers.
        using var body = new PooledBufferWriter();
        OpenPipeJson.Serialize(body, Value);
        var (buffer, length) = body.Detach();
        try
        {
            var response = httpContext.Response;
            response.StatusCode = StatusCode;
            response.ContentType = OpenPipeJson.ContentType;
            response.ContentLength = length;
            await response.Body.WriteAsync(buffer.AsMemory(0, length), httpContext.RequestAborted).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <inheritdoc />
    public override Task ExecuteResultAsync(ActionContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return ExecuteAsync(context.HttpContext);
    }
}
