namespace OpenPipe.Gateway.LogsPage;

/// <summary>The names the request log's web page uses: its path, authentication scheme, policy and cookies.</summary>
public static class LogsPageDefaults
{
    /// <summary>Where the page is served; its cookies are sent only under this path.</summary>
    public const string BasePath = "/logs";

    /// <summary>The sign-in page.</summary>
    public const string SignInPath = BasePath + "/sign-in";

    /// <summary>
    /// The page's cookie authentication scheme. It is never the app's default: only the page's own
    /// policy names it, so it authenticates nothing under <c>/api/v1</c>.
    /// </summary>
    public const string AuthenticationScheme = "OpenPipe.Gateway.LogsPage";

    /// <summary>The policy of every page but the sign-in: a signed-in key (API or admin), by the page's cookie only.</summary>
    public const string Policy = "OpenPipe.Gateway.LogsPage";

    /// <summary>The cookie that holds a sign-in (the key's id, encrypted; never the key).</summary>
    public const string CookieName = "openpipe_logs";

    /// <summary>The antiforgery cookie of the page's forms.</summary>
    public const string AntiforgeryCookieName = "openpipe_logs_csrf";

    /// <summary>
    /// The claim that carries the signed-in key's id. It is not the bearer scheme's
    /// <c>openpipe:key_id</c>, so a page sign-in never reads as an API caller.
    /// </summary>
    public const string KeyIdClaim = "openpipe:logs_page_key_id";
}
