// Adds: ImageDetail, an open set of wire values (see ExtensibleValue.cs): the known values are named,
// any other value the service sends is kept and readable through Value.

using Newtonsoft.Json;

namespace OpenPipe.Client;

/// <summary>How closely the model looks at an image. Compare with the named values; an unknown value is kept in <see cref="Value"/>.</summary>
/// <param name="Value">The value as it appears on the wire.</param>
[JsonConverter(typeof(ExtensibleValueConverter<ImageDetail>))]
public readonly record struct ImageDetail(string Value) : IExtensibleValue<ImageDetail>
{
    /// <summary>The model chooses (<c>auto</c>).</summary>
    public static ImageDetail Auto { get; } = new("auto");

    /// <summary>A low-resolution look (<c>low</c>).</summary>
    public static ImageDetail Low { get; } = new("low");

    /// <summary>A high-resolution look (<c>high</c>).</summary>
    public static ImageDetail High { get; } = new("high");

    /// <summary>Wraps a wire value, so a string can be used where a <see cref="ImageDetail"/> is expected.</summary>
    /// <param name="value">The value as it appears on the wire.</param>
    public static implicit operator ImageDetail(string value) => new(value);

    /// <inheritdoc />
    public static ImageDetail FromValue(string value) => new(value);

    /// <summary>The wire value.</summary>
    /// <returns>The value as it appears on the wire, or an empty string for the default instance.</returns>
    public override string ToString() => Value ?? string.Empty;
}
