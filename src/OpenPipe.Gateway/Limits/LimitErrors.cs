using System;
using System.Globalization;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;
using OpenPipe.Client;
using OpenPipe.Server;

namespace OpenPipe.Gateway.Limits;

/// <summary>
/// The answer to a call over a limit: 429 with <c>Retry-After</c> (whole seconds) and the API's error
/// body whose <c>error</c> is OpenAI's rate-limit error (<c>code</c> <c>rate_limit_exceeded</c>,
/// <c>type</c> <c>requests</c> or <c>tokens</c>), so OpenAI's SDKs and OpenPipe's read it as a rate limit.
/// </summary>
internal static class LimitErrors
{
    /// <summary>OpenAI's error code of a rate limit.</summary>
    public const string Code = "rate_limit_exceeded";

    /// <summary>Writes the 429.</summary>
    /// <param name="context">The request.</param>
    /// <param name="type"><c>requests</c> or <c>tokens</c>.</param>
    /// <param name="message">What was exceeded, for a person.</param>
    /// <param name="retryAfter">How long until the limit allows the call again.</param>
    /// <returns>A task that completes when the answer is written.</returns>
    public static Task WriteAsync(HttpContext context, string type, string message, TimeSpan retryAfter)
    {
        var body = OpenPipeErrors.Create(StatusCodes.Status429TooManyRequests, message);
        body.Error = new OpenAIError { Message = message, Code = Code, Type = type };
        context.Response.Headers.RetryAfter = Math.Max(1, (long)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        return new OpenPipeJsonResult(body, StatusCodes.Status429TooManyRequests).ExecuteAsync(context);
    }
}
