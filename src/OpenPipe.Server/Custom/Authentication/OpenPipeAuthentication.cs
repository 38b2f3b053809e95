// Adds: bearer authentication for the API: an ASP.NET Core authentication handler that reads
// `Authorization: Bearer <key>`, asks a pluggable IOpenPipeKeyValidator, and answers a missing,
// malformed or unknown key with 401, `WWW-Authenticate: Bearer` and the error body. The default
// validator compares against configured keys in constant time. Keys are never logged; the caller
// is known by a key id derived from a hash. The scheme takes no part in the default ASP.NET Core
// picks by implication (a lone registered scheme): the app's own lone scheme stays its default, and
// the kit's never becomes one unless the app names it (AddAuthentication(scheme)).

using System;
using System.Collections.Generic;
using System.Linq;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace OpenPipe.Server;

/// <summary>Who called: the validated key's id (never the key) and an optional display name.</summary>
/// <param name="KeyId">A stable id of the key, safe to log and store.</param>
/// <param name="Name">A display name, if the validator has one.</param>
public sealed record OpenPipeCaller(string KeyId, string? Name = null)
{
    /// <summary>The claim type that carries <see cref="KeyId"/>.</summary>
    public const string KeyIdClaim = "openpipe:key_id";

    /// <summary>The id of a key: "key_" and the first 12 hex digits of its SHA-256.</summary>
    /// <param name="key">The key.</param>
    /// <returns>The id.</returns>
    public static string KeyIdOf(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        Hash(key, hash);
        return KeyIdOfHash(hash);
    }

    /// <summary>The key id of a key whose SHA-256 is <paramref name="sha256"/> (the first 6 bytes, in hex).</summary>
    internal static string KeyIdOfHash(ReadOnlySpan<byte> sha256) => "key_" + Convert.ToHexStringLower(sha256[..6]);

    /// <summary>Writes the SHA-256 of <paramref name="key"/>'s UTF-8 into <paramref name="destination"/>; the key's bytes pass through a pooled buffer that is cleared after.</summary>
    internal static void Hash(string key, Span<byte> destination)
    {
        byte[] utf8 = System.Buffers.ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(key.Length));
        try
        {
            SHA256.HashData(utf8.AsSpan(0, Encoding.UTF8.GetBytes(key, utf8)), destination);
        }
        finally
        {
            // The key's bytes do not stay in a shared buffer.
            CryptographicOperations.ZeroMemory(utf8);
            System.Buffers.ArrayPool<byte>.Shared.Return(utf8);
        }
    }
}

/// <summary>Decides whether an API key is valid; implement it to look keys up elsewhere.</summary>
public interface IOpenPipeKeyValidator
{
    /// <summary>Validates a key.</summary>
    /// <param name="apiKey">The key from the Authorization header.</param>
    /// <param name="cancellationToken">Cancels the check.</param>
    /// <returns>The caller for a valid key; null for an unknown one.</returns>
    ValueTask<OpenPipeCaller?> ValidateAsync(string apiKey, CancellationToken cancellationToken = default);
}

/// <summary>Accepts the keys in <see cref="OpenPipeServerOptions.ApiKeys"/>, comparing in constant time.</summary>
public sealed class ConfiguredKeyValidator : IOpenPipeKeyValidator
{
    /// <summary>Widths up to this many bytes are compared on the stack; wider keys use a pooled buffer.</summary>
    private const int StackWidth = 256;

    private readonly IOptionsMonitor<OpenPipeServerOptions> options;
    private KnownKeys? keys;

    /// <summary>Creates the validator.</summary>
    /// <param name="options">The server options holding the keys.</param>
    public ConfiguredKeyValidator(IOptionsMonitor<OpenPipeServerOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        this.options = options;
    }

    /// <inheritdoc />
    /// <remarks>
    /// The presented key's UTF-8 is laid into a zeroed buffer as wide as the longest configured
    /// key and compared with every configured key, padded to the same width, in constant time,
    /// along with its length. So the time depends on the presented key's length (which its sender
    /// knows) and on the configuration, never on how much of a key matched, which key matched, or
    /// how long the configured keys are next to the presented one. A key longer than every
    /// configured key is compared as an empty one, and its length fails it. The work grows with the
    /// number of keys times the longest key's length; an app with many keys does better with a
    /// validator of its own that looks the key up.
    /// </remarks>
    public ValueTask<OpenPipeCaller?> ValidateAsync(string apiKey, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(apiKey);
        var known = Known();
        byte[]? rented = null;
        Span<byte> presented = known.Width <= StackWidth
            ? stackalloc byte[StackWidth]
            : (rented = System.Buffers.ArrayPool<byte>.Shared.Rent(known.Width));
        presented = presented[..known.Width];
        presented.Clear();
        int length = Encoding.UTF8.GetByteCount(apiKey);
        if (length <= known.Width)
        {
            Encoding.UTF8.GetBytes(apiKey, presented);
        }

        OpenPipeCaller? caller = null;
        for (int i = 0; i < known.Padded.Length; i++)
        {
            // Both checks run for every key (no short circuit), so the time is the same whatever matched.
            if (CryptographicOperations.FixedTimeEquals(presented, known.Padded[i]) & (length == known.Lengths[i]))
            {
                caller = known.Callers[i];
            }
        }

        // The presented key does not stay on the stack or in a shared buffer.
        CryptographicOperations.ZeroMemory(presented);
        if (rented is not null)
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(rented);
        }

        return ValueTask.FromResult(caller);
    }

    /// <summary>The configured keys, padded, and their callers, made once per options instance (options reloads give a new one).</summary>
    private KnownKeys Known()
    {
        var current = options.CurrentValue;
        var cached = Volatile.Read(ref keys);
        if (cached is null || !ReferenceEquals(cached.Source, current) || cached.Count != current.ApiKeys.Count)
        {
            // A new object each time: readers see the old set or the new one, never a mix.
            byte[][] utf8 = [.. current.ApiKeys.Select(Encoding.UTF8.GetBytes)];
            int width = Math.Max(1, utf8.Select(k => k.Length).DefaultIfEmpty(0).Max());
            byte[][] padded = [.. utf8.Select(k =>
            {
                byte[] bytes = new byte[width];
                k.CopyTo(bytes, 0);
                return bytes;
            })];
            int[] lengths = [.. utf8.Select(k => k.Length)];
            OpenPipeCaller[] callers = [.. current.ApiKeys.Select(k => new OpenPipeCaller(OpenPipeCaller.KeyIdOf(k)))];
            cached = new KnownKeys(current, current.ApiKeys.Count, width, padded, lengths, callers);
            Volatile.Write(ref keys, cached);
        }

        return cached;
    }

    /// <summary>One options instance's keys as zero-padded UTF-8 of one width, their lengths, and the caller each one authenticates (immutable, so shared by every request).</summary>
    private sealed record KnownKeys(OpenPipeServerOptions Source, int Count, int Width, byte[][] Padded, int[] Lengths, OpenPipeCaller[] Callers);
}

/// <summary>The names the OpenPipe server registers.</summary>
public static class OpenPipeDefaults
{
    /// <summary>The authentication scheme's name.</summary>
    public const string AuthenticationScheme = "OpenPipeBearer";

    /// <summary>
    /// The authorization policy on the kit's routes: an authenticated caller of
    /// <see cref="AuthenticationScheme"/>, independent of the app's default policy.
    /// </summary>
    public const string AuthorizationPolicy = "OpenPipe";
}

/// <summary>Options of the OpenPipe bearer scheme (none beyond the framework's).</summary>
public sealed class OpenPipeBearerOptions : AuthenticationSchemeOptions
{
}

/// <summary>Authenticates <c>Authorization: Bearer &lt;key&gt;</c> through <see cref="IOpenPipeKeyValidator"/>.</summary>
public sealed class OpenPipeBearerHandler : AuthenticationHandler<OpenPipeBearerOptions>
{
    private const string Prefix = "Bearer ";
    private readonly IOpenPipeKeyValidator validator;

    /// <summary>Creates the handler.</summary>
    /// <param name="options">The scheme options.</param>
    /// <param name="logger">The logger factory.</param>
    /// <param name="encoder">The URL encoder.</param>
    /// <param name="validator">The key validator.</param>
    public OpenPipeBearerHandler(IOptionsMonitor<OpenPipeBearerOptions> options, ILoggerFactory logger, UrlEncoder encoder, IOpenPipeKeyValidator validator)
        : base(options, logger, encoder)
    {
        this.validator = validator;
    }

    /// <inheritdoc />
    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string? header = Request.Headers.Authorization;
        if (string.IsNullOrEmpty(header))
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        if (!header.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase))
        {
            return Task.FromResult(AuthenticateResult.Fail("The Authorization header must be 'Bearer <key>'."));
        }

        // The key is compared exactly: whitespace around it is not forgiven (HTTP already drops it at the end of the header).
        string key = header[Prefix.Length..];
        if (key.Length == 0)
        {
            return Task.FromResult(AuthenticateResult.Fail("The bearer token is empty."));
        }

        if (char.IsWhiteSpace(key[0]) || char.IsWhiteSpace(key[^1]))
        {
            return Task.FromResult(AuthenticateResult.Fail("The bearer token has whitespace around it."));
        }

        // A validator that answers at once (the configured keys do) costs no async state machine.
        var validating = validator.ValidateAsync(key, Context.RequestAborted);
        return validating.IsCompletedSuccessfully ? Task.FromResult(Authenticate(validating.Result)) : AuthenticateAsync(validating);

        async Task<AuthenticateResult> AuthenticateAsync(ValueTask<OpenPipeCaller?> pending) =>
            Authenticate(await pending.ConfigureAwait(false));
    }

    /// <summary>The ticket for a valid key's caller, or the failure for an unknown key.</summary>
    private AuthenticateResult Authenticate(OpenPipeCaller? caller)
    {
        if (caller is null)
        {
            return AuthenticateResult.Fail("The API key is not valid.");
        }

        var identity = new ClaimsIdentity(Scheme.Name);
        AddClaim(identity, OpenPipeCaller.KeyIdClaim, caller.KeyId);
        AddClaim(identity, ClaimTypes.NameIdentifier, caller.KeyId);
        if (caller.Name is not null)
        {
            AddClaim(identity, ClaimTypes.Name, caller.Name);
        }

        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), Scheme.Name));
    }

    /// <summary>
    /// Adds a claim made for <paramref name="identity"/> (the identity keeps it as it is; a claim
    /// made apart would be copied), with the issuer and value type a plain <c>new Claim(type, value)</c> has.
    /// </summary>
    private static void AddClaim(ClaimsIdentity identity, string type, string value) =>
        identity.AddClaim(new Claim(type, value, ClaimValueTypes.String, ClaimsIdentity.DefaultIssuer, ClaimsIdentity.DefaultIssuer, identity));

    /// <inheritdoc />
    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var result = await HandleAuthenticateOnceSafeAsync().ConfigureAwait(false);
        string message = result.Failure?.Message ?? "Missing Authorization header: send 'Authorization: Bearer <key>'.";
        Response.Headers.WWWAuthenticate = "Bearer";
        await OpenPipeErrors.WriteAsync(Context, 401, message).ConfigureAwait(false);
    }

    /// <inheritdoc />
    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        OpenPipeErrors.WriteAsync(Context, 403, "This API key may not use this route.");
}

/// <summary>
/// The framework's scheme provider, except that the kit's scheme takes no part in the default the
/// framework picks by implication. ASP.NET Core (since 7) makes the only registered scheme the
/// default for every action. Counting the kit's scheme would change that choice for the app: an app
/// whose one scheme is the kit's would authenticate all of its requests with OpenPipe keys, and an app
/// with one scheme of its own (JwtBearer, say) would lose its implicit default, so its
/// <c>[Authorize]</c> endpoints and challenges would fail. So the implied default is the app's own
/// lone scheme, chosen as the framework chooses it with the kit's scheme left out; a default named in
/// <see cref="AuthenticationOptions"/> is honoured as usual.
/// </summary>
internal sealed class OpenPipeAuthenticationSchemeProvider(IOptions<AuthenticationOptions> options) : AuthenticationSchemeProvider(options)
{
    private static readonly Task<AuthenticationScheme?> None = Task.FromResult<AuthenticationScheme?>(null);
    private readonly AuthenticationOptions named = options.Value;

    // The app's implied default, recomputed after the set of schemes changes (the base constructor
    // adds the configured schemes through the virtual methods below, before this class's fields are set).
    private Task<AuthenticationScheme?>? implied;

    public override Task<AuthenticationScheme?> GetDefaultAuthenticateSchemeAsync() =>
        Named(named.DefaultAuthenticateScheme ?? named.DefaultScheme) ? base.GetDefaultAuthenticateSchemeAsync() : Implied();

    public override Task<AuthenticationScheme?> GetDefaultChallengeSchemeAsync() =>
        Named(named.DefaultChallengeScheme ?? named.DefaultScheme) ? base.GetDefaultChallengeSchemeAsync() : Implied();

    public override Task<AuthenticationScheme?> GetDefaultForbidSchemeAsync() =>
        Named(named.DefaultForbidScheme ?? named.DefaultChallengeScheme ?? named.DefaultScheme) ? base.GetDefaultForbidSchemeAsync() : Implied();

    public override Task<AuthenticationScheme?> GetDefaultSignInSchemeAsync() =>
        Named(named.DefaultSignInScheme ?? named.DefaultScheme) ? base.GetDefaultSignInSchemeAsync() : Implied();

    public override Task<AuthenticationScheme?> GetDefaultSignOutSchemeAsync() =>
        Named(named.DefaultSignOutScheme ?? named.DefaultSignInScheme ?? named.DefaultScheme) ? base.GetDefaultSignOutSchemeAsync() : Implied();

    public override bool TryAddScheme(AuthenticationScheme scheme)
    {
        bool added = base.TryAddScheme(scheme);
        Volatile.Write(ref implied, null);
        return added;
    }

    public override void RemoveScheme(string name)
    {
        base.RemoveScheme(name);
        Volatile.Write(ref implied, null);
    }

    /// <summary>The framework's own switch that turns its implied default off, honoured here too.</summary>
    private static bool AutoDefaultSuppressed =>
        AppContext.TryGetSwitch("Microsoft.AspNetCore.Authentication.SuppressAutoDefaultScheme", out bool suppressed) && suppressed;

    private static bool Named(string? name) => name is not null;

    /// <summary>The framework's rule applied to the app's schemes: its only scheme, unless the app turned the rule off.</summary>
    private Task<AuthenticationScheme?> Implied()
    {
        var cached = Volatile.Read(ref implied);
        if (cached is not null)
        {
            return cached;
        }

        var all = GetAllSchemesAsync();
        IEnumerable<AuthenticationScheme> schemes = all.IsCompletedSuccessfully ? all.Result : all.GetAwaiter().GetResult();
        AuthenticationScheme[] apps = [.. schemes.Where(s => s.Name != OpenPipeDefaults.AuthenticationScheme)];
        cached = !AutoDefaultSuppressed && apps.Length == 1 ? Task.FromResult<AuthenticationScheme?>(apps[0]) : None;
        Volatile.Write(ref implied, cached);
        return cached;
    }
}

/// <summary>Reads the caller of the current request.</summary>
public static class OpenPipeCallerExtensions
{
    /// <summary>The caller whose key authenticated <paramref name="user"/>, or null when anonymous.</summary>
    /// <param name="user">The request's user.</param>
    /// <returns>The caller.</returns>
    public static OpenPipeCaller? GetOpenPipeCaller(this ClaimsPrincipal user)
    {
        ArgumentNullException.ThrowIfNull(user);
        string? id = user.FindFirst(OpenPipeCaller.KeyIdClaim)?.Value;
        return id is null ? null : new OpenPipeCaller(id, user.FindFirst(ClaimTypes.Name)?.Value);
    }
}
