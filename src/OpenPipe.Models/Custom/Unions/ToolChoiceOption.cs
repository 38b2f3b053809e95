// Adds: ToolChoiceOption, the request's `tool_choice`: "none", "auto", "required" or an object
// naming the function to call (see ModeOrObject.cs). A string converts to it.

using System;
using Newtonsoft.Json;

namespace OpenPipe;

/// <summary>Which tool the model calls: a mode (<see cref="None"/>, <see cref="Auto"/>, <see cref="Required"/>) or a named function.</summary>
[JsonConverter(typeof(ModeOrObjectConverter<ToolChoiceOption, NamedToolChoice>))]
public sealed class ToolChoiceOption : IModeOrObject<ToolChoiceOption, NamedToolChoice>, IWireWritable
{
    private ToolChoiceOption(string? mode, NamedToolChoice? value)
    {
        Mode = mode;
        Object = value;
    }

    /// <summary>The model calls no tool (<c>"none"</c>).</summary>
    public static ToolChoiceOption None { get; } = new("none", null);

    /// <summary>The model decides (<c>"auto"</c>).</summary>
    public static ToolChoiceOption Auto { get; } = new("auto", null);

    /// <summary>The model calls at least one tool (<c>"required"</c>).</summary>
    public static ToolChoiceOption Required { get; } = new("required", null);

    /// <inheritdoc />
    public string? Mode { get; }

    /// <inheritdoc />
    public NamedToolChoice? Object { get; }

    /// <summary>The model calls the named function.</summary>
    /// <param name="name">The function's name.</param>
    /// <returns>The tool choice.</returns>
    public static ToolChoiceOption ForFunction(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        return new(null, new NamedToolChoice { Type = ToolType.Function, Function = new NamedToolChoiceFunction { Name = name } });
    }

    /// <inheritdoc />
    public static ToolChoiceOption FromMode(string mode)
    {
        ArgumentNullException.ThrowIfNull(mode);
        return new(mode, null);
    }

    /// <inheritdoc />
    public static ToolChoiceOption FromObject(NamedToolChoice value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return new(null, value);
    }

    /// <summary>Wraps a mode string.</summary>
    /// <param name="mode">The mode; null gives null.</param>
    [return: System.Diagnostics.CodeAnalysis.NotNullIfNotNull(nameof(mode))]
    public static implicit operator ToolChoiceOption?(string? mode) => mode is null ? null : FromMode(mode);

    /// <summary>Reads either form from UTF-8 (see <see cref="ModeOrObject"/>).</summary>
    internal static bool TryReadJson(ref System.Text.Json.Utf8JsonReader reader, [System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out ToolChoiceOption value) =>
        ModeOrObject.TryRead<ToolChoiceOption, NamedToolChoice>(ref reader, NamedToolChoice.TryReadJson, out value);

    void IWireWritable.WriteJson(JsonBytes writer) => WriteJson(writer);

    /// <summary>Checks the object form, at the option's own path (as in the JSON).</summary>
    internal void Validate(WireValidation validation) => Object?.Validate(validation);

    /// <summary>Writes the form it was given in.</summary>
    internal void WriteJson(JsonBytes writer) => ModeOrObject.Write<ToolChoiceOption, NamedToolChoice>(writer, this);
}
