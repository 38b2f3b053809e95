using System;
using System.Buffers.Text;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;

namespace OpenPipe.Gateway.Logs;

/// <summary>
/// Where a page of the log ended: the last row's <c>received_at</c> and <c>id</c>. Pages are ordered
/// by both, newest first, so the next page is every row strictly before this position: rows logged
/// meanwhile (at the top, or with an earlier time) never shift a page, and no row comes twice.
/// The text form is opaque to callers (base64url of <c>v1:ticks:id</c>).
/// </summary>
/// <param name="ReceivedAt">The last row's <c>received_at</c>, exactly as stored.</param>
/// <param name="Id">The last row's id.</param>
public readonly record struct LogCursor(DateTimeOffset ReceivedAt, long Id)
{
    private const string Version = "v1";

    /// <summary>The cursor as the API hands it out.</summary>
    /// <returns>The opaque text.</returns>
    public string Encode() =>
        Base64Url.EncodeToString(Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{Version}:{ReceivedAt.UtcTicks}:{Id}")));

    /// <summary>Reads a cursor made by <see cref="Encode"/>.</summary>
    /// <param name="text">The text.</param>
    /// <param name="cursor">The cursor.</param>
    /// <returns>False when the text is not a cursor.</returns>
    public static bool TryDecode(string? text, [NotNullWhen(true)] out LogCursor? cursor)
    {
        cursor = null;
        if (string.IsNullOrEmpty(text) || text.Length > 100)
        {
            return false;
        }

        byte[] bytes;
        try
        {
            bytes = Base64Url.DecodeFromChars(text);
        }
        catch (FormatException)
        {
            return false;
        }

        string[] parts = Encoding.ASCII.GetString(bytes).Split(':');
        if (parts.Length != 3 || parts[0] != Version
            || !long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out long ticks)
            || !long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out long id)
            || ticks > DateTimeOffset.MaxValue.UtcTicks)
        {
            return false;
        }

        cursor = new LogCursor(new DateTimeOffset(ticks, TimeSpan.Zero), id);
        return true;
    }
}
