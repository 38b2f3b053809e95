// Adds: ToolType, an open set of wire values (see ExtensibleValue.cs): the known values are named,
// any other value the service sends is kept and readable through Value.

using Newtonsoft.Json;

namespace OpenPipe.Client;

/// <summary>A kind of tool. Compare with the named values; an unknown value is kept in <see cref="Value"/>.</summary>
/// <param name="Value">The value as it appears on the wire.</param>
[JsonConverter(typeof(ExtensibleValueConverter<ToolType>))]
public readonly record struct ToolType(string Value) : IExtensibleValue<ToolType>
{
    /// <summary>A function the model calls (<c>function</c>).</summary>
    public static ToolType Function { get; } = new("function");

    /// <summary>Wraps a wire value, so a string can be used where a <see cref="ToolType"/> is expected.</summary>
    /// <param name="value">The value as it appears on the wire.</param>
    public static implicit operator ToolType(string value) => new(value);

    /// <inheritdoc />
    public static ToolType FromValue(string value) => new(value);

    /// <summary>The wire value.</summary>
    /// <returns>The value as it appears on the wire, or an empty string for the default instance.</returns>
    public override string ToString() => Value ?? string.Empty;
}
