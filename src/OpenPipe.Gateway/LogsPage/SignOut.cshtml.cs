using System.Threading.Tasks;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;

namespace OpenPipe.Gateway.LogsPage;

/// <summary><c>/logs/sign-out</c>: a POST (with the form's antiforgery token) ends the sign-in.</summary>
public sealed class SignOutModel : LogsPageModel
{
    /// <summary>Nothing to show: back to the calls.</summary>
    /// <returns>A redirect.</returns>
    public IActionResult OnGet() => LocalRedirect(LogsPageDefaults.BasePath);

    /// <summary>Signs out.</summary>
    /// <returns>A redirect to the sign-in.</returns>
    public async Task<IActionResult> OnPostAsync()
    {
        await HttpContext.SignOutAsync(LogsPageDefaults.AuthenticationScheme).ConfigureAwait(false);
        return LocalRedirect(LogsPageDefaults.SignInPath);
    }
}
