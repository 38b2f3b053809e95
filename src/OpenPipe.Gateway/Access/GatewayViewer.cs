using System;

namespace OpenPipe.Gateway.Access;

/// <summary>
/// Who reads the log: an API key sees only what was logged under its own key id; an admin key sees
/// every key's. Only key ids are ever shown, never keys.
/// </summary>
/// <param name="KeyId">The viewer's key id.</param>
/// <param name="IsAdmin">Whether it is an admin key.</param>
public sealed record GatewayViewer(string KeyId, bool IsAdmin)
{
    /// <summary>
    /// The key id a query of this viewer is narrowed to: the viewer's own for an API key (asking for
    /// another key's is refused), the one asked for (or none, for all) for an admin key.
    /// </summary>
    /// <param name="requested">The key id the caller asked for, or null.</param>
    /// <param name="keyId">The key id to filter on, or null for every key.</param>
    /// <returns>False when an API key asked for another key's rows.</returns>
    public bool TryScope(string? requested, out string? keyId)
    {
        if (IsAdmin)
        {
            keyId = requested;
            return true;
        }

        keyId = KeyId;
        return requested is null || string.Equals(requested, KeyId, StringComparison.Ordinal);
    }

    /// <summary>Whether the viewer may see something owned by <paramref name="ownerKeyId"/>.</summary>
    /// <param name="ownerKeyId">The owner's key id.</param>
    /// <returns>True for an admin or the owner.</returns>
    public bool CanSee(string ownerKeyId) => IsAdmin || string.Equals(ownerKeyId, KeyId, StringComparison.Ordinal);
}
