using System;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Core.Infrastructure;
using Microsoft.AspNetCore.Mvc.Filters;

namespace OpenPipe.Gateway.LogsPage;

/// <summary>
/// A form post without a valid antiforgery token (forged elsewhere, or a page left open past its
/// sign-in) gets a short HTML page that says what to do, still 400, instead of an empty body that the
/// gateway's status pages would fill with the API's JSON error.
/// </summary>
internal sealed class AntiforgeryFailurePage : IAlwaysRunResultFilter
{
    /// <summary>The page: fixed text only, so nothing from the request is written into it.</summary>
    private const string Html = """
        <!DOCTYPE html>
        <html lang="en">
        <head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Form expired · OpenPipe gateway</title>
        <link rel="stylesheet" href="/logs/assets/logs.css"></head>
        <body><main id="main"><section class="card narrow"><h1>This form cannot be accepted</h1>
        <p class="message error" role="alert">It did not come from this page, or it was opened before a sign-in or sign-out. Nothing was changed.</p>
        <p><a href="/logs">Go to the calls</a> and try again.</p></section></main></body>
        </html>
        """;

    public void OnResultExecuting(ResultExecutingContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Result is IAntiforgeryValidationFailedResult)
        {
            var headers = context.HttpContext.Response.Headers;
            headers.ContentSecurityPolicy = LogsPageModel.ContentSecurityPolicy;
            headers.XContentTypeOptions = "nosniff";
            headers.XFrameOptions = "DENY";
            context.Result = new ContentResult { StatusCode = StatusCodes.Status400BadRequest, ContentType = "text/html; charset=utf-8", Content = Html };
        }
    }

    public void OnResultExecuted(ResultExecutedContext context)
    {
    }
}
