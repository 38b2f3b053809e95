// Adds: AudioFormat, an open set of wire values (see ExtensibleValue.cs): the known values are named,
// any other value the service sends is kept and readable through Value.

using Newtonsoft.Json;

namespace OpenPipe.Client;

/// <summary>The encoding of output audio. Compare with the named values; an unknown value is kept in <see cref="Value"/>.</summary>
/// <param name="Value">The value as it appears on the wire.</param>
[JsonConverter(typeof(ExtensibleValueConverter<AudioFormat>))]
public readonly record struct AudioFormat(string Value) : IExtensibleValue<AudioFormat>
{
    /// <summary>WAV (<c>wav</c>).</summary>
    public static AudioFormat Wav { get; } = new("wav");

    /// <summary>MP3 (<c>mp3</c>).</summary>
    public static AudioFormat Mp3 { get; } = new("mp3");

    /// <summary>FLAC (<c>flac</c>).</summary>
    public static AudioFormat Flac { get; } = new("flac");

    /// <summary>Opus (<c>opus</c>).</summary>
    public static AudioFormat Opus { get; } = new("opus");

    /// <summary>Raw 16-bit PCM (<c>pcm16</c>).</summary>
    public static AudioFormat Pcm16 { get; } = new("pcm16");

    /// <summary>Wraps a wire value, so a string can be used where a <see cref="AudioFormat"/> is expected.</summary>
    /// <param name="value">The value as it appears on the wire.</param>
    public static implicit operator AudioFormat(string value) => new(value);

    /// <inheritdoc />
    public static AudioFormat FromValue(string value) => new(value);

    /// <summary>The wire value.</summary>
    /// <returns>The value as it appears on the wire, or an empty string for the default instance.</returns>
    public override string ToString() => Value ?? string.Empty;
}
