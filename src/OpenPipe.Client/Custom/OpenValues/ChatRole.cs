// Adds: ChatRole, an open set of wire values (see ExtensibleValue.cs): the known values are named,
// any other value the service sends is kept and readable through Value.

using Newtonsoft.Json;

namespace OpenPipe.Client;

/// <summary>The author of a message. Compare with the named values; an unknown value is kept in <see cref="Value"/>.</summary>
/// <param name="Value">The value as it appears on the wire.</param>
[JsonConverter(typeof(ExtensibleValueConverter<ChatRole>))]
public readonly record struct ChatRole(string Value) : IExtensibleValue<ChatRole>
{
    /// <summary>Instructions from the application (<c>system</c>).</summary>
    public static ChatRole System { get; } = new("system");

    /// <summary>Instructions from the developer (<c>developer</c>).</summary>
    public static ChatRole Developer { get; } = new("developer");

    /// <summary>The end user (<c>user</c>).</summary>
    public static ChatRole User { get; } = new("user");

    /// <summary>The model (<c>assistant</c>).</summary>
    public static ChatRole Assistant { get; } = new("assistant");

    /// <summary>A tool's result (<c>tool</c>).</summary>
    public static ChatRole Tool { get; } = new("tool");

    /// <summary>A function's result (deprecated) (<c>function</c>).</summary>
    public static ChatRole Function { get; } = new("function");

    /// <summary>Wraps a wire value, so a string can be used where a <see cref="ChatRole"/> is expected.</summary>
    /// <param name="value">The value as it appears on the wire.</param>
    public static implicit operator ChatRole(string value) => new(value);

    /// <inheritdoc />
    public static ChatRole FromValue(string value) => new(value);

    /// <summary>The wire value.</summary>
    /// <returns>The value as it appears on the wire, or an empty string for the default instance.</returns>
    public override string ToString() => Value ?? string.Empty;
}
