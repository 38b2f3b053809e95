using System.Collections.Generic;

namespace OpenPipe.Gateway.Access;

/// <summary>
/// Admin keys (<c>Gateway:Admin:Keys</c>, or <c>OPENPIPE_GATEWAY_ADMIN_KEYS</c> comma-separated).
/// An admin key reads every key's logged calls, datasets and usage; it is not an API key: chat
/// completions, <c>/report</c>, <c>/logs/update-tags</c> and <c>/models</c> answer it with 403, so
/// nothing is ever logged under it. A key may not be both.
/// </summary>
public sealed class AdminOptions
{
    /// <summary>The environment variable that adds admin keys, comma-separated.</summary>
    public const string EnvironmentVariable = "OPENPIPE_GATEWAY_ADMIN_KEYS";

    /// <summary>The admin keys.</summary>
    public IList<string> Keys { get; } = [];
}
