// Adds: InputAudioFormat, an open set of wire values (see ExtensibleValue.cs): the known values are named,
// any other value the service sends is kept and readable through Value.

using Newtonsoft.Json;

namespace OpenPipe.Client;

/// <summary>The encoding of input audio. Compare with the named values; an unknown value is kept in <see cref="Value"/>.</summary>
/// <param name="Value">The value as it appears on the wire.</param>
[JsonConverter(typeof(ExtensibleValueConverter<InputAudioFormat>))]
public readonly record struct InputAudioFormat(string Value) : IExtensibleValue<InputAudioFormat>
{
    /// <summary>WAV (<c>wav</c>).</summary>
    public static InputAudioFormat Wav { get; } = new("wav");

    /// <summary>MP3 (<c>mp3</c>).</summary>
    public static InputAudioFormat Mp3 { get; } = new("mp3");

    /// <summary>Wraps a wire value, so a string can be used where a <see cref="InputAudioFormat"/> is expected.</summary>
    /// <param name="value">The value as it appears on the wire.</param>
    public static implicit operator InputAudioFormat(string value) => new(value);

    /// <inheritdoc />
    public static InputAudioFormat FromValue(string value) => new(value);

    /// <summary>The wire value.</summary>
    /// <returns>The value as it appears on the wire, or an empty string for the default instance.</returns>
    public override string ToString() => Value ?? string.Empty;
}
