// Adds: tools and tool calls of kinds this kit does not model (OpenAI's `type: "custom"`, and any
// later kind) read, keep their JSON and write back unchanged. The spec's `function` member is
// required for `type: "function"` only: for another type it is null and the kind's own members
// (`custom`, ...) are in AdditionalProperties.

using System;
using Newtonsoft.Json;

namespace OpenPipe;

[JsonConverter(typeof(OpenToolConverter<ChatCompletionTool>))]
public partial class ChatCompletionTool
{
    /// <summary>Whether this is a function tool, whose <see cref="Function"/> is set.</summary>
    [JsonIgnore]
    public bool IsFunction => Type == ToolType.Function;

    /// <summary>The spec's constraints (a required <c>function</c>) are those of function tools; another kind has its own.</summary>
    partial void ValidatingMembers(ref bool check) => check = IsFunction;
}

[JsonConverter(typeof(OpenToolConverter<ChatCompletionToolCall>))]
public partial class ChatCompletionToolCall
{
    /// <summary>Whether this is a function call, whose <see cref="Function"/> is set.</summary>
    [JsonIgnore]
    public bool IsFunction => Type == ToolType.Function;

    /// <summary>The spec's constraints (a required <c>function</c>) are those of function calls; another kind has its own.</summary>
    partial void ValidatingMembers(ref bool check) => check = IsFunction;
}

/// <summary>
/// Reads a tool (or tool call) by its <c>type</c>: <c>function</c> (or no type) with the
/// contract's required checks, any other type leniently, its unknown members kept; writes
/// every member back, whichever the type.
/// </summary>
/// <typeparam name="T">The tool or tool call class.</typeparam>
internal sealed class OpenToolConverter<T> : JsonConverter
    where T : class, new()
{
    public override bool CanConvert(Type objectType) => objectType == typeof(T);

    public override object? ReadJson(JsonReader reader, Type objectType, object? existingValue, JsonSerializer serializer)
    {
        if (reader.TokenType == JsonToken.Null)
        {
            JsonObjectIO.RejectNullArrayItem(reader, $"a {typeof(T).Name}");
            return null;
        }

        var (json, path) = JsonObjectIO.LoadObject(reader, $"a {typeof(T).Name}");
        var instance = new T();
        if (json["type"] is not { } type || (type.Type == Newtonsoft.Json.Linq.JTokenType.String && (string?)type == ToolType.Function.Value))
        {
            using JsonReader inner = JsonObjectIO.ReaderAt(json, path);
            serializer.Populate(inner, instance);
            return instance;
        }

        // Another kind of tool: its `function` (this kit's required member) is absent, not a default object.
        var contract = (Newtonsoft.Json.Serialization.JsonObjectContract)serializer.ContractResolver.ResolveContract(typeof(T));
        contract.Properties.GetClosestMatchProperty("function")?.ValueProvider?.SetValue(instance, null);
        JsonObjectIO.PopulateOpen(instance, json, path, serializer);
        return instance;
    }

    public override void WriteJson(JsonWriter writer, object? value, JsonSerializer serializer)
    {
        if (value is null)
        {
            writer.WriteNull();
            return;
        }

        JsonObjectIO.WriteObject(writer, value, serializer);
    }
}
