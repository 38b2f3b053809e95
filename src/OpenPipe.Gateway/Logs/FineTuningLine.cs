using System;
using System.Buffers;
using System.Text.Json;

namespace OpenPipe.Gateway.Logs;

/// <summary>Why a row was left out of an export.</summary>
public enum ExportSkip
{
    /// <summary>The call failed (a status outside 2xx).</summary>
    Failed,

    /// <summary>The call has no response.</summary>
    NoResponse,

    /// <summary>The request or response holds no conversation OpenAI's fine-tuning format can carry.</summary>
    Unusable,
}

/// <summary>
/// Writes one training example of OpenAI's chat fine-tuning JSONL: <c>{"messages": [...], "tools":
/// [...]}</c>. For a logged call, the messages are its request's followed by its response's message
/// (the answer to learn); for a dataset entry, its own messages, which end with that answer. Each
/// message keeps what the format takes: <c>role</c> (<c>developer</c> becomes <c>system</c>),
/// <c>content</c> (text; a user's text and image parts as they are), <c>name</c>, an assistant's
/// <c>tool_calls</c> (<c>id</c>, <c>type</c>, <c>function</c> with <c>name</c> and the
/// <c>arguments</c> string) or legacy <c>function_call</c> and <c>weight</c>, a tool message's
/// <c>tool_call_id</c>; <c>tools</c> keep each function's name, description and parameters, and
/// <c>functions</c> and <c>parallel_tool_calls</c> are kept when present. Anything else in the log
/// (model, sampling settings, usage, refusals, annotations) is not part of an example.
/// </summary>
public static class FineTuningLine
{
    /// <summary>Writes the example of a logged call, or says why it cannot be one.</summary>
    /// <param name="status">The call's status.</param>
    /// <param name="requestJson">The call's request.</param>
    /// <param name="responseJson">The call's response, or null.</param>
    /// <param name="output">Gets the line's JSON (no newline); left partly written on failure.</param>
    /// <param name="problem">Why the row is unusable, for a person.</param>
    /// <returns>Null when written, else why it was skipped.</returns>
    public static ExportSkip? TryWriteCall(int status, string? requestJson, string? responseJson, IBufferWriter<byte> output, out string? problem)
    {
        problem = null;
        if (status is < 200 or > 299)
        {
            return ExportSkip.Failed;
        }

        if (responseJson is null)
        {
            return ExportSkip.NoResponse;
        }

        try
        {
            using var request = JsonDocument.Parse(requestJson ?? "null");
            using var response = JsonDocument.Parse(responseJson);
            if (request.RootElement.ValueKind != JsonValueKind.Object || !request.RootElement.TryGetProperty("messages", out var messages) || messages.ValueKind != JsonValueKind.Array)
            {
                problem = "the request has no messages";
                return ExportSkip.Unusable;
            }

            if (!TryAnswer(response.RootElement, out var answer))
            {
                problem = "the response has no message";
                return ExportSkip.Unusable;
            }

            using var writer = new Utf8JsonWriter(output);
            return Write(writer, request.RootElement, messages, answer, out problem) ? null : ExportSkip.Unusable;
        }
        catch (JsonException)
        {
            problem = "the request or response is not JSON";
            return ExportSkip.Unusable;
        }
    }

    /// <summary>Writes the example of a dataset entry (its messages end with the answer), or says why it cannot be one.</summary>
    /// <param name="entryJson">The entry: <c>messages</c> and optionally <c>tools</c>, <c>functions</c>, <c>parallel_tool_calls</c>.</param>
    /// <param name="output">Gets the line's JSON (no newline); left partly written on failure.</param>
    /// <param name="problem">Why the entry is unusable, for a person.</param>
    /// <returns>True when written.</returns>
    public static bool TryWriteEntry(string entryJson, IBufferWriter<byte> output, out string? problem)
    {
        ArgumentNullException.ThrowIfNull(entryJson);
        try
        {
            using var entry = JsonDocument.Parse(entryJson);
            var root = entry.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("messages", out var messages) || messages.ValueKind != JsonValueKind.Array || messages.GetArrayLength() == 0)
            {
                problem = "an entry needs at least one message";
                return false;
            }

            var last = messages[messages.GetArrayLength() - 1];
            if (Role(last) != "assistant")
            {
                problem = "an entry's last message must be the assistant's answer";
                return false;
            }

            using var writer = new Utf8JsonWriter(output);
            return Write(writer, root, messages, answer: null, out problem);
        }
        catch (JsonException)
        {
            problem = "the entry is not JSON";
            return false;
        }
    }

    /// <summary>The message of a completion's first choice.</summary>
    private static bool TryAnswer(JsonElement response, out JsonElement answer)
    {
        answer = default;
        return response.ValueKind == JsonValueKind.Object
            && response.TryGetProperty("choices", out var choices) && choices.ValueKind == JsonValueKind.Array && choices.GetArrayLength() > 0
            && choices[0].ValueKind == JsonValueKind.Object && choices[0].TryGetProperty("message", out answer) && answer.ValueKind == JsonValueKind.Object;
    }

    private static bool Write(Utf8JsonWriter writer, JsonElement source, JsonElement messages, JsonElement? answer, out string? problem)
    {
        writer.WriteStartObject();
        writer.WritePropertyName("messages");
        writer.WriteStartArray();
        int index = 0;
        foreach (var message in messages.EnumerateArray())
        {
            if (!WriteMessage(writer, message, forceAssistant: false, out problem))
            {
                problem = $"messages[{index}]: {problem}";
                return false;
            }

            index++;
        }

        if (answer is { } final && !WriteMessage(writer, final, forceAssistant: true, out problem))
        {
            problem = $"the response's message: {problem}";
            return false;
        }

        writer.WriteEndArray();
        if (source.TryGetProperty("tools", out var tools) && tools.ValueKind == JsonValueKind.Array && tools.GetArrayLength() > 0)
        {
            writer.WritePropertyName("tools");
            writer.WriteStartArray();
            foreach (var tool in tools.EnumerateArray())
            {
                if (tool.ValueKind != JsonValueKind.Object || Text(tool, "type") is not (null or "function")
                    || !tool.TryGetProperty("function", out var function) || !WriteFunction(writer, function, wrap: true))
                {
                    problem = "a tool is not a function the format can carry";
                    return false;
                }
            }

            writer.WriteEndArray();
        }

        if (source.TryGetProperty("functions", out var functions) && functions.ValueKind == JsonValueKind.Array && functions.GetArrayLength() > 0)
        {
            writer.WritePropertyName("functions");
            writer.WriteStartArray();
            foreach (var function in functions.EnumerateArray())
            {
                if (!WriteFunction(writer, function, wrap: false))
                {
                    problem = "a function has no name";
                    return false;
                }
            }

            writer.WriteEndArray();
        }

        if (source.TryGetProperty("parallel_tool_calls", out var parallel) && parallel.ValueKind is JsonValueKind.True or JsonValueKind.False)
        {
            writer.WriteBoolean("parallel_tool_calls", parallel.GetBoolean());
        }

        writer.WriteEndObject();
        writer.Flush();
        problem = null;
        return true;
    }

    /// <summary>A function definition: name, and description and parameters when given; wrapped as a tool when <paramref name="wrap"/>.</summary>
    private static bool WriteFunction(Utf8JsonWriter writer, JsonElement function, bool wrap)
    {
        if (function.ValueKind != JsonValueKind.Object || Text(function, "name") is not { Length: > 0 } name)
        {
            return false;
        }

        if (wrap)
        {
            writer.WriteStartObject();
            writer.WriteString("type", "function");
            writer.WritePropertyName("function");
        }

        writer.WriteStartObject();
        writer.WriteString("name", name);
        if (Text(function, "description") is { } description)
        {
            writer.WriteString("description", description);
        }

        if (function.TryGetProperty("parameters", out var parameters) && parameters.ValueKind == JsonValueKind.Object)
        {
            writer.WritePropertyName("parameters");
            parameters.WriteTo(writer);
        }

        writer.WriteEndObject();
        if (wrap)
        {
            writer.WriteEndObject();
        }

        return true;
    }

    private static bool WriteMessage(Utf8JsonWriter writer, JsonElement message, bool forceAssistant, out string? problem)
    {
        problem = null;
        if (message.ValueKind != JsonValueKind.Object)
        {
            problem = "not an object";
            return false;
        }

        string? role = forceAssistant ? "assistant" : Role(message);
        switch (role)
        {
            case "system" or "developer":
                return WriteTextMessage(writer, "system", message, out problem);
            case "user":
                return WriteUser(writer, message, out problem);
            case "assistant":
                return WriteAssistant(writer, message, out problem);
            case "tool":
                if (Text(message, "tool_call_id") is not { Length: > 0 } callId)
                {
                    problem = "a tool message has no tool_call_id";
                    return false;
                }

                writer.WriteStartObject();
                writer.WriteString("role", "tool");
                writer.WriteString("tool_call_id", callId);
                return WriteContentText(writer, message, required: false, out problem) && End(writer);
            case "function":
                if (Text(message, "name") is not { Length: > 0 } functionName)
                {
                    problem = "a function message has no name";
                    return false;
                }

                writer.WriteStartObject();
                writer.WriteString("role", "function");
                writer.WriteString("name", functionName);
                return WriteContentText(writer, message, required: false, out problem) && End(writer);
            default:
                problem = $"the role '{role}' is not one the format takes";
                return false;
        }
    }

    private static bool WriteTextMessage(Utf8JsonWriter writer, string role, JsonElement message, out string? problem)
    {
        writer.WriteStartObject();
        writer.WriteString("role", role);
        if (!WriteContentText(writer, message, required: false, out problem))
        {
            return false;
        }

        WriteName(writer, message);
        return End(writer);
    }

    private static bool WriteUser(Utf8JsonWriter writer, JsonElement message, out string? problem)
    {
        problem = null;
        writer.WriteStartObject();
        writer.WriteString("role", "user");
        message.TryGetProperty("content", out var content);
        switch (content.ValueKind)
        {
            case JsonValueKind.String:
                writer.WriteString("content", content.GetString());
                break;
            case JsonValueKind.Array:
                writer.WritePropertyName("content");
                writer.WriteStartArray();
                foreach (var part in content.EnumerateArray())
                {
                    string? type = part.ValueKind == JsonValueKind.Object ? Text(part, "type") : null;
                    if (type == "text" && Text(part, "text") is { } text)
                    {
                        writer.WriteStartObject();
                        writer.WriteString("type", "text");
                        writer.WriteString("text", text);
                        writer.WriteEndObject();
                    }
                    else if (type == "image_url" && part.TryGetProperty("image_url", out var image) && image.ValueKind == JsonValueKind.Object && Text(image, "url") is { } url)
                    {
                        writer.WriteStartObject();
                        writer.WriteString("type", "image_url");
                        writer.WritePropertyName("image_url");
                        writer.WriteStartObject();
                        writer.WriteString("url", url);
                        if (Text(image, "detail") is { } detail)
                        {
                            writer.WriteString("detail", detail);
                        }

                        writer.WriteEndObject();
                        writer.WriteEndObject();
                    }
                    else
                    {
                        problem = $"a user content part of type '{type}' is not one the format takes";
                        return false;
                    }
                }

                writer.WriteEndArray();
                break;
            default:
                problem = "a user message has no content";
                return false;
        }

        WriteName(writer, message);
        return End(writer);
    }

    private static bool WriteAssistant(Utf8JsonWriter writer, JsonElement message, out string? problem)
    {
        problem = null;
        bool hasCalls = message.TryGetProperty("tool_calls", out var calls) && calls.ValueKind == JsonValueKind.Array && calls.GetArrayLength() > 0;
        bool hasFunction = message.TryGetProperty("function_call", out var functionCall) && functionCall.ValueKind == JsonValueKind.Object;
        string? text = ContentText(message, out bool contentOk);
        if (!contentOk)
        {
            problem = "an assistant message's content is neither text nor text parts";
            return false;
        }

        if (text is null && !hasCalls && !hasFunction)
        {
            problem = "an assistant message has neither content nor tool calls";
            return false;
        }

        writer.WriteStartObject();
        writer.WriteString("role", "assistant");
        if (text is null)
        {
            writer.WriteNull("content");
        }
        else
        {
            writer.WriteString("content", text);
        }

        if (hasCalls)
        {
            writer.WritePropertyName("tool_calls");
            writer.WriteStartArray();
            foreach (var call in calls.EnumerateArray())
            {
                if (call.ValueKind != JsonValueKind.Object || Text(call, "id") is not { Length: > 0 } id || Text(call, "type") is not (null or "function")
                    || !call.TryGetProperty("function", out var function) || function.ValueKind != JsonValueKind.Object
                    || Text(function, "name") is not { Length: > 0 } name)
                {
                    problem = "a tool call is not a function call with an id and a name";
                    return false;
                }

                writer.WriteStartObject();
                writer.WriteString("id", id);
                writer.WriteString("type", "function");
                writer.WritePropertyName("function");
                writer.WriteStartObject();
                writer.WriteString("name", name);
                writer.WriteString("arguments", Arguments(function));
                writer.WriteEndObject();
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
        }

        if (hasFunction)
        {
            if (Text(functionCall, "name") is not { Length: > 0 } name)
            {
                problem = "a function call has no name";
                return false;
            }

            writer.WritePropertyName("function_call");
            writer.WriteStartObject();
            writer.WriteString("name", name);
            writer.WriteString("arguments", Arguments(functionCall));
            writer.WriteEndObject();
        }

        WriteName(writer, message);
        if (message.TryGetProperty("weight", out var weight) && weight.ValueKind == JsonValueKind.Number && weight.TryGetInt32(out int value) && value is 0 or 1)
        {
            writer.WriteNumber("weight", value);
        }

        return End(writer);
    }

    /// <summary>A function call's arguments as the format's string (a model that sent an object gets it as JSON text).</summary>
    private static string Arguments(JsonElement function) =>
        !function.TryGetProperty("arguments", out var arguments) || arguments.ValueKind == JsonValueKind.Null ? "{}"
        : arguments.ValueKind == JsonValueKind.String ? arguments.GetString()!
        : arguments.GetRawText();

    /// <summary>Writes <c>content</c> as text (a string, or text parts joined); null content becomes "" unless <paramref name="required"/>.</summary>
    private static bool WriteContentText(Utf8JsonWriter writer, JsonElement message, bool required, out string? problem)
    {
        problem = null;
        string? text = ContentText(message, out bool ok);
        if (!ok || (required && text is null))
        {
            problem = "the content is neither text nor text parts";
            return false;
        }

        writer.WriteString("content", text ?? string.Empty);
        return true;
    }

    /// <summary>The text of <c>content</c>: a string as it is, text (or refusal) parts joined; null when absent or null.</summary>
    private static string? ContentText(JsonElement message, out bool ok)
    {
        ok = true;
        if (!message.TryGetProperty("content", out var content) || content.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (content.ValueKind == JsonValueKind.String)
        {
            return content.GetString();
        }

        if (content.ValueKind != JsonValueKind.Array)
        {
            ok = false;
            return null;
        }

        var text = new System.Text.StringBuilder();
        foreach (var part in content.EnumerateArray())
        {
            if (part.ValueKind != JsonValueKind.Object || Text(part, "type") is not ("text" or "refusal") || (Text(part, "text") ?? Text(part, "refusal")) is not { } piece)
            {
                ok = false;
                return null;
            }

            text.Append(piece);
        }

        return text.ToString();
    }

    private static void WriteName(Utf8JsonWriter writer, JsonElement message)
    {
        if (Text(message, "name") is { Length: > 0 } name)
        {
            writer.WriteString("name", name);
        }
    }

    private static bool End(Utf8JsonWriter writer)
    {
        writer.WriteEndObject();
        return true;
    }

    private static string? Role(JsonElement message) => message.ValueKind == JsonValueKind.Object ? Text(message, "role") : null;

    private static string? Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
