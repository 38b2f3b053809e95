using System;
using Microsoft.AspNetCore.Mvc.Filters;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.DependencyInjection;
using OpenPipe.Gateway.Access;

namespace OpenPipe.Gateway.LogsPage;

/// <summary>
/// The base of the page's models: the signed-in viewer, and the response headers of every page. Logged
/// content is untrusted, so besides encoding everything, a page allows no script at all, loads nothing
/// from elsewhere and is never framed; and it is not cached, since it shows logged calls.
/// </summary>
public abstract class LogsPageModel : PageModel
{
    /// <summary>The page's content security policy: its own style sheet and forms, nothing else.</summary>
    public const string ContentSecurityPolicy =
        "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

    private GatewayViewer? viewer;

    /// <summary>The signed-in key (its id, and whether it is an admin key); set on every page but the sign-in.</summary>
    public GatewayViewer Viewer => viewer ??= HttpContext.RequestServices.GetRequiredService<LogsPageSessions>().ViewerOf(User)
        ?? throw new InvalidOperationException("The request log page was reached without a sign-in; its pages require the page's policy.");

    /// <inheritdoc />
    public override void OnPageHandlerSelected(PageHandlerSelectedContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var headers = context.HttpContext.Response.Headers;
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "no-referrer";
        // What antiforgery sets on a page with a form anyway (it warns when it has to override anything else).
        headers.CacheControl = "no-cache, no-store";
        headers.Pragma = "no-cache";
        base.OnPageHandlerSelected(context);
    }
}
