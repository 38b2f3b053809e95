// Adds: FunctionCallOption, the deprecated request field `function_call`: "none", "auto" or an
// object naming the function to call (see ModeOrObject.cs). A string converts to it.

using System;
using Newtonsoft.Json;

namespace OpenPipe;

/// <summary>Which function the model calls (deprecated in favour of <see cref="ToolChoiceOption"/>).</summary>
[JsonConverter(typeof(ModeOrObjectConverter<FunctionCallOption, FunctionCallName>))]
public sealed class FunctionCallOption : IModeOrObject<FunctionCallOption, FunctionCallName>, IWireWritable
{
    private FunctionCallOption(string? mode, FunctionCallName? value)
    {
        Mode = mode;
        Object = value;
    }

    /// <summary>The model calls no function (<c>"none"</c>).</summary>
    public static FunctionCallOption None { get; } = new("none", null);

    /// <summary>The model decides (<c>"auto"</c>).</summary>
    public static FunctionCallOption Auto { get; } = new("auto", null);

    /// <inheritdoc />
    public string? Mode { get; }

    /// <inheritdoc />
    public FunctionCallName? Object { get; }

    /// <summary>The model calls the named function.</summary>
    /// <param name="name">The function's name.</param>
    /// <returns>The option.</returns>
    public static FunctionCallOption ForFunction(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        return new(null, new FunctionCallName { Name = name });
    }

    /// <inheritdoc />
    public static FunctionCallOption FromMode(string mode)
    {
        ArgumentNullException.ThrowIfNull(mode);
        return new(mode, null);
    }

    /// <inheritdoc />
    public static FunctionCallOption FromObject(FunctionCallName value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return new(null, value);
    }

    /// <summary>Wraps a mode string.</summary>
    /// <param name="mode">The mode; null gives null.</param>
    [return: System.Diagnostics.CodeAnalysis.NotNullIfNotNull(nameof(mode))]
    public static implicit operator FunctionCallOption?(string? mode) => mode is null ? null : FromMode(mode);

    /// <summary>Reads either form from UTF-8 (see <see cref="ModeOrObject"/>).</summary>
    internal static bool TryReadJson(ref System.Text.Json.Utf8JsonReader reader, [System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out FunctionCallOption value) =>
        ModeOrObject.TryRead<FunctionCallOption, FunctionCallName>(ref reader, FunctionCallName.TryReadJson, out value);

    void IWireWritable.WriteJson(JsonBytes writer) => WriteJson(writer);

    /// <summary>Checks the object form, at the option's own path (as in the JSON).</summary>
    internal void Validate(WireValidation validation) => Object?.Validate(validation);

    /// <summary>Writes the form it was given in.</summary>
    internal void WriteJson(JsonBytes writer) => ModeOrObject.Write<FunctionCallOption, FunctionCallName>(writer, this);
}
