using System;

namespace OpenPipe.Gateway.LogsPage;

/// <summary>
/// The request log's web page at <c>/logs</c> (<c>Gateway:LogsPage</c>): whether the gateway serves it,
/// and how long a sign-in lasts without a request.
/// </summary>
public sealed class LogsPageOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Gateway:LogsPage";

    /// <summary>The longest <see cref="SignInLifetime"/> accepted.</summary>
    public static readonly TimeSpan MaxSignInLifetime = TimeSpan.FromDays(30);

    /// <summary>Whether the gateway serves the page (default true). False leaves <c>/logs</c> unmapped (404).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// How long a sign-in lasts (default 8 hours); each request renews it once half of it has passed,
    /// so it ends after this long without a request.
    /// </summary>
    public TimeSpan SignInLifetime { get; set; } = TimeSpan.FromHours(8);
}
