using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Logging;

namespace OpenPipe.Gateway.LogsPage;

/// <summary>
/// <c>/logs/sign-in</c>: a form that posts a key (API or admin). The key is read from the form body only
/// (never bound, echoed, logged or put in a URL); a known key signs in with the page's cookie scheme and
/// goes back to the page it came from.
/// </summary>
/// <param name="sessions">Checks keys and makes the sign-in.</param>
/// <param name="logger">Logs sign-ins by key id.</param>
public sealed partial class SignInModel(LogsPageSessions sessions, ILogger<SignInModel> logger) : LogsPageModel
{
    private const string ReturnParameter = "ReturnUrl";

    /// <summary>Why the sign-in failed, or null.</summary>
    public string? Message { get; private set; }

    /// <summary>Where the form posts: this page, with the page to go back to.</summary>
    public string FormAction => ReturnTarget == LogsPageDefaults.BasePath
        ? LogsPageDefaults.SignInPath
        : LogsPageDefaults.SignInPath + QueryString.Create(ReturnParameter, ReturnTarget).ToUriComponent();

    /// <summary>Where to go once signed in: the page the sign-in interrupted, if it is one of the page's own.</summary>
    private string ReturnTarget => Request.Query[ReturnParameter].ToString() is var target && LogsPageQuery.IsPagePath(target) ? target : LogsPageDefaults.BasePath;

    /// <summary>Shows the form, or goes on when already signed in.</summary>
    /// <returns>The page or a redirect.</returns>
    public async Task<IActionResult> OnGetAsync()
    {
        var current = await HttpContext.AuthenticateAsync(LogsPageDefaults.AuthenticationScheme).ConfigureAwait(false);
        return current.Succeeded && sessions.ViewerOf(current.Principal) is not null ? LocalRedirect(ReturnTarget) : Page();
    }

    /// <summary>Signs in with the posted key.</summary>
    /// <param name="cancellationToken">Cancels the check.</param>
    /// <returns>A redirect, or the form with a message (400).</returns>
    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        string key = Request.HasFormContentType ? Request.Form["key"].ToString() : string.Empty;
        if (string.IsNullOrWhiteSpace(key))
        {
            return Refused("Enter a key.");
        }

        var principal = await sessions.SignInAsync(key, cancellationToken).ConfigureAwait(false);
        if (principal is null)
        {
            LogRefused(logger);
            return Refused("That key is neither an API key nor an admin key of this gateway.");
        }

        await HttpContext.SignInAsync(LogsPageDefaults.AuthenticationScheme, principal, new AuthenticationProperties { IsPersistent = false }).ConfigureAwait(false);
        LogSignedIn(logger, principal.Identity!.Name!);
        return LocalRedirect(ReturnTarget);
    }

    private PageResult Refused(string message)
    {
        Message = message;
        Response.StatusCode = StatusCodes.Status400BadRequest;
        return Page();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Request log page: {KeyId} signed in.")]
    private static partial void LogSignedIn(ILogger logger, string keyId);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Request log page: a sign-in with an unknown key was refused.")]
    private static partial void LogRefused(ILogger logger);
}
