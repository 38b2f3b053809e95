// Adds: FinishReason, an open set of wire values (see ExtensibleValue.cs): the known values are named,
// any other value the service sends is kept and readable through Value.

using Newtonsoft.Json;

namespace OpenPipe.Client;

/// <summary>Why generation stopped. Compare with the named values; an unknown value is kept in <see cref="Value"/>.</summary>
/// <param name="Value">The value as it appears on the wire.</param>
[JsonConverter(typeof(ExtensibleValueConverter<FinishReason>))]
public readonly record struct FinishReason(string Value) : IExtensibleValue<FinishReason>
{
    /// <summary>The token limit was reached (<c>length</c>).</summary>
    public static FinishReason Length { get; } = new("length");

    /// <summary>The model called a function (<c>function_call</c>).</summary>
    public static FinishReason FunctionCall { get; } = new("function_call");

    /// <summary>The model called tools (<c>tool_calls</c>).</summary>
    public static FinishReason ToolCalls { get; } = new("tool_calls");

    /// <summary>A natural stop or a stop sequence (<c>stop</c>).</summary>
    public static FinishReason Stop { get; } = new("stop");

    /// <summary>A content filter removed content (<c>content_filter</c>).</summary>
    public static FinishReason ContentFilter { get; } = new("content_filter");

    /// <summary>Wraps a wire value, so a string can be used where a <see cref="FinishReason"/> is expected.</summary>
    /// <param name="value">The value as it appears on the wire.</param>
    public static implicit operator FinishReason(string value) => new(value);

    /// <inheritdoc />
    public static FinishReason FromValue(string value) => new(value);

    /// <summary>The wire value.</summary>
    /// <returns>The value as it appears on the wire, or an empty string for the default instance.</returns>
    public override string ToString() => Value ?? string.Empty;
}
