// Adds: AudioVoice, an open set of wire values (see ExtensibleValue.cs): the known values are named,
// any other value the service sends is kept and readable through Value.

using Newtonsoft.Json;

namespace OpenPipe.Client;

/// <summary>A voice for output audio. Compare with the named values; an unknown value is kept in <see cref="Value"/>.</summary>
/// <param name="Value">The value as it appears on the wire.</param>
[JsonConverter(typeof(ExtensibleValueConverter<AudioVoice>))]
public readonly record struct AudioVoice(string Value) : IExtensibleValue<AudioVoice>
{
    /// <summary>Alloy (<c>alloy</c>).</summary>
    public static AudioVoice Alloy { get; } = new("alloy");

    /// <summary>Ash (<c>ash</c>).</summary>
    public static AudioVoice Ash { get; } = new("ash");

    /// <summary>Ballad (<c>ballad</c>).</summary>
    public static AudioVoice Ballad { get; } = new("ballad");

    /// <summary>Coral (<c>coral</c>).</summary>
    public static AudioVoice Coral { get; } = new("coral");

    /// <summary>Echo (<c>echo</c>).</summary>
    public static AudioVoice Echo { get; } = new("echo");

    /// <summary>Sage (<c>sage</c>).</summary>
    public static AudioVoice Sage { get; } = new("sage");

    /// <summary>Shimmer (<c>shimmer</c>).</summary>
    public static AudioVoice Shimmer { get; } = new("shimmer");

    /// <summary>Verse (<c>verse</c>).</summary>
    public static AudioVoice Verse { get; } = new("verse");

    /// <summary>Wraps a wire value, so a string can be used where a <see cref="AudioVoice"/> is expected.</summary>
    /// <param name="value">The value as it appears on the wire.</param>
    public static implicit operator AudioVoice(string value) => new(value);

    /// <inheritdoc />
    public static AudioVoice FromValue(string value) => new(value);

    /// <summary>The wire value.</summary>
    /// <returns>The value as it appears on the wire, or an empty string for the default instance.</returns>
    public override string ToString() => Value ?? string.Empty;
}
