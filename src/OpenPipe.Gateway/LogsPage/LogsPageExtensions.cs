using System;
using System.Linq;
using System.Text.Encodings.Web;
using System.Text.Unicode;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.ApplicationParts;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.WebEncoders;

namespace OpenPipe.Gateway.LogsPage;

/// <summary>
/// Registers and maps the request log's web page at <c>/logs</c>: Razor Pages (rooted at
/// <c>LogsPage/</c>), a cookie scheme of its own for sign-ins, the antiforgery checks of its forms, and
/// the downloads. The page calls the services the API's routes call (<see cref="Logs.LogQueryService"/>,
/// <see cref="Datasets.DatasetService"/>, <see cref="UsageReports.UsageService"/>), so a key sees on
/// the page exactly what the logs API gives it.
/// </summary>
public static class LogsPageExtensions
{
    /// <summary>
    /// Adds the page's services: Razor Pages, the cookie scheme <see cref="LogsPageDefaults.AuthenticationScheme"/>
    /// (never a default scheme: only <see cref="LogsPageDefaults.Policy"/> names it) and antiforgery,
    /// with cookies scoped to <c>/logs</c>, HttpOnly, SameSite=Strict and Secure on HTTPS requests; and
    /// <c>Gateway:LogsPage</c>, checked at start. Call after <c>AddOpenPipeGateway</c>.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <returns>The services.</returns>
    public static IServiceCollection AddGatewayLogsPage(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<LogsPageOptions>().BindConfiguration(LogsPageOptions.SectionName)
            .Validate(o => o.SignInLifetime > TimeSpan.Zero && o.SignInLifetime <= LogsPageOptions.MaxSignInLifetime,
                $"{LogsPageOptions.SectionName}:SignInLifetime must be positive and at most {LogsPageOptions.MaxSignInLifetime.TotalDays:0} days.")
            .ValidateOnStart();
        services.AddSingleton<LogsPageSessions>();

        services.AddRazorPages(options =>
        {
            options.RootDirectory = "/LogsPage";
            options.Conventions.AuthorizeFolder("/", LogsPageDefaults.Policy);
            options.Conventions.AllowAnonymousToPage("/SignIn");
            options.Conventions.ConfigureFilter(new AntiforgeryFailurePage());
        })
            .ConfigureApplicationPartManager(parts =>
            {
                // The pages are compiled into this assembly; a host other than the gateway's own Program finds them here.
                var assembly = typeof(LogsPageExtensions).Assembly;
                if (!parts.ApplicationParts.OfType<AssemblyPart>().Any(p => p.Assembly == assembly))
                {
                    foreach (var part in ApplicationPartFactory.GetApplicationPartFactory(assembly).GetApplicationParts(assembly))
                    {
                        parts.ApplicationParts.Add(part);
                    }
                }
            });

        services.AddAuthentication().AddCookie(LogsPageDefaults.AuthenticationScheme);
        services.AddOptions<CookieAuthenticationOptions>(LogsPageDefaults.AuthenticationScheme)
            .Configure<IOptions<LogsPageOptions>, LogsPageSessions>((cookie, page, sessions) =>
            {
                cookie.Cookie.Name = LogsPageDefaults.CookieName;
                cookie.Cookie.Path = LogsPageDefaults.BasePath;
                cookie.Cookie.HttpOnly = true;
                cookie.Cookie.SameSite = SameSiteMode.Strict;
                cookie.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                cookie.Cookie.IsEssential = true;
                cookie.LoginPath = LogsPageDefaults.SignInPath;
                cookie.LogoutPath = LogsPageDefaults.BasePath + "/sign-out";
                cookie.AccessDeniedPath = LogsPageDefaults.SignInPath;
                cookie.ExpireTimeSpan = page.Value.SignInLifetime;
                cookie.SlidingExpiration = true;
                cookie.Events.OnValidatePrincipal = sessions.ValidateAsync;
            });
        services.AddAuthorizationBuilder().AddPolicy(LogsPageDefaults.Policy, policy =>
            policy.AddAuthenticationSchemes(LogsPageDefaults.AuthenticationScheme).RequireAuthenticatedUser());

        // Razor still encodes < > & " ' and control characters, but writes letters of every script as they
        // are rather than as numeric references, so logged text in any language stays readable in the source.
        services.Configure<WebEncoderOptions>(encoder => encoder.TextEncoderSettings = new TextEncoderSettings(UnicodeRanges.All));

        services.AddAntiforgery(antiforgery =>
        {
            antiforgery.Cookie.Name = LogsPageDefaults.AntiforgeryCookieName;
            antiforgery.Cookie.Path = LogsPageDefaults.BasePath;
            antiforgery.Cookie.HttpOnly = true;
            antiforgery.Cookie.SameSite = SameSiteMode.Strict;
            antiforgery.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
        });
        return services;
    }

    /// <summary>
    /// Maps the page (unless <c>Gateway:LogsPage:Enabled</c> is false): the Razor Pages under <c>/logs</c>
    /// and the downloads and style sheet of <see cref="LogsPageEndpoints"/>. Call after
    /// <c>UseAuthentication</c> and <c>UseAuthorization</c>. Fails when the page's cookie scheme would be
    /// the app's default scheme, which would let it authenticate requests outside the page.
    /// </summary>
    /// <param name="app">The app.</param>
    /// <returns>The app.</returns>
    public static WebApplication MapGatewayLogsPage(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        if (!app.Services.GetRequiredService<IOptions<LogsPageOptions>>().Value.Enabled)
        {
            return app;
        }

        var schemes = app.Services.GetRequiredService<IAuthenticationSchemeProvider>();
        if (schemes.GetDefaultAuthenticateSchemeAsync().GetAwaiter().GetResult()?.Name == LogsPageDefaults.AuthenticationScheme
            || schemes.GetDefaultChallengeSchemeAsync().GetAwaiter().GetResult()?.Name == LogsPageDefaults.AuthenticationScheme)
        {
            throw new InvalidOperationException(
                $"The request log page's cookie scheme ({LogsPageDefaults.AuthenticationScheme}) is the app's default authentication scheme, so it would "
                + "authenticate requests outside /logs. Name the app's default scheme, or set the AppContext switch "
                + "Microsoft.AspNetCore.Authentication.SuppressAutoDefaultScheme as the gateway's Program.cs does.");
        }

        app.MapRazorPages();
        LogsPageEndpoints.Map(app);
        return app;
    }
}
