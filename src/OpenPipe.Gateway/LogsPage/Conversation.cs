using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text.Json;

namespace OpenPipe.Gateway.LogsPage;

/// <summary>
/// A logged call read for the detail view: the request's messages in order, then the logged response's
/// message(s) as the last assistant bubble(s), or the error when the call has no response; and the tools
/// the request offered. Read with System.Text.Json from the stored JSON: any field it does not know is
/// left to the raw JSON below the bubbles, and a body that is not chat JSON yields no bubbles and a note.
/// </summary>
public sealed class Conversation
{
    private const int MaxDataUrlShown = 64;

    /// <summary>The bubbles, in order.</summary>
    public IReadOnlyList<ChatBubble> Bubbles { get; }

    /// <summary>The tools (functions) the request offered.</summary>
    public IReadOnlyList<ToolView> Tools { get; }

    /// <summary>Why there are no bubbles for the request, or null.</summary>
    public string? Note { get; }

    private Conversation(IReadOnlyList<ChatBubble> bubbles, IReadOnlyList<ToolView> tools, string? note)
    {
        Bubbles = bubbles;
        Tools = tools;
        Note = note;
    }

    /// <summary>Reads a logged call.</summary>
    /// <param name="requestJson">The request as logged.</param>
    /// <param name="responseJson">The response as logged, or null.</param>
    /// <param name="status">The call's HTTP status.</param>
    /// <param name="error">The call's error message, or null.</param>
    /// <returns>The conversation.</returns>
    public static Conversation Read(string? requestJson, string? responseJson, int status, string? error)
    {
        var bubbles = new List<ChatBubble>();
        var tools = new List<ToolView>();
        string? note = null;
        using (var request = Parse(requestJson))
        {
            if (request?.RootElement is { ValueKind: JsonValueKind.Object } root && root.TryGetProperty("messages", out var messages) && messages.ValueKind == JsonValueKind.Array)
            {
                foreach (var message in messages.EnumerateArray())
                {
                    bubbles.Add(Bubble(message, response: null));
                }

                ReadTools(root, tools);
            }
            else
            {
                note = request?.RootElement is { ValueKind: JsonValueKind.Object } body && body.TryGetProperty("unparsed_body", out _)
                    ? "The request body was not JSON (it was rejected before a backend); the raw body is below."
                    : "The request has no messages to show; the raw JSON is below.";
            }
        }

        using (var response = Parse(responseJson))
        {
            var choices = response?.RootElement is { ValueKind: JsonValueKind.Object } root && root.TryGetProperty("choices", out var list) && list.ValueKind == JsonValueKind.Array
                ? list
                : default;
            int count = choices.ValueKind == JsonValueKind.Array ? choices.GetArrayLength() : 0;
            int index = 0;
            if (count > 0)
            {
                foreach (var choice in choices.EnumerateArray())
                {
                    if (choice.ValueKind == JsonValueKind.Object && choice.TryGetProperty("message", out var message))
                    {
                        string? finish = Text(choice, "finish_reason");
                        string label = count > 1 ? string.Create(CultureInfo.InvariantCulture, $"response, choice {index}") : "response";
                        bubbles.Add(Bubble(message, new ResponseInfo(label, finish)));
                    }

                    index++;
                }
            }
            else if (responseJson is null)
            {
                string reason = error is { Length: > 0 } ? error : "no response was logged";
                bubbles.Add(new ChatBubble("error", string.Create(CultureInfo.InvariantCulture, $"no response (status {status})"), [new BubblePart(PartKind.Text, reason)], [], null, null, IsResponse: true));
            }
        }

        return new Conversation(bubbles, tools, note);
    }

    private static JsonDocument? Parse(string? json)
    {
        if (string.IsNullOrWhiteSpace(json))
        {
            return null;
        }

        try
        {
            return JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 256 });
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private sealed record ResponseInfo(string Label, string? FinishReason);

    private static ChatBubble Bubble(JsonElement message, ResponseInfo? response)
    {
        if (message.ValueKind != JsonValueKind.Object)
        {
            return new ChatBubble("other", "message", [new BubblePart(PartKind.Other, JsonText.Indent(message))], [], null, null, response is not null);
        }

        string role = Text(message, "role") ?? (response is not null ? "assistant" : "unknown");
        var parts = new List<BubblePart>();
        if (message.TryGetProperty("content", out var content))
        {
            ReadContent(content, parts);
        }

        if (Text(message, "refusal") is { Length: > 0 } refusal)
        {
            parts.Add(new BubblePart(PartKind.Refusal, refusal));
        }

        var calls = new List<ToolCallView>();
        if (message.TryGetProperty("tool_calls", out var toolCalls) && toolCalls.ValueKind == JsonValueKind.Array)
        {
            foreach (var call in toolCalls.EnumerateArray())
            {
                var function = call.ValueKind == JsonValueKind.Object && call.TryGetProperty("function", out var f) ? f : default;
                calls.Add(new ToolCallView(Text(call, "id"), Text(function, "name") ?? "(no name)", JsonText.Arguments(Text(function, "arguments") ?? string.Empty)));
            }
        }

        if (message.TryGetProperty("function_call", out var functionCall) && functionCall.ValueKind == JsonValueKind.Object)
        {
            calls.Add(new ToolCallView(null, Text(functionCall, "name") ?? "(no name)", JsonText.Arguments(Text(functionCall, "arguments") ?? string.Empty)));
        }

        string label = response is null ? role : $"{role}, {response.Label}" + (response.FinishReason is { } finish ? $" ({finish})" : string.Empty);
        return new ChatBubble(RoleClass(role), label, parts, calls, Text(message, "tool_call_id"), Text(message, "name"), response is not null);
    }

    /// <summary>Content as a string, or as parts (text, image, audio, file, refusal); anything else as its JSON.</summary>
    private static void ReadContent(JsonElement content, List<BubblePart> parts)
    {
        switch (content.ValueKind)
        {
            case JsonValueKind.Null or JsonValueKind.Undefined:
                return;
            case JsonValueKind.String:
                parts.Add(new BubblePart(PartKind.Text, content.GetString() ?? string.Empty));
                return;
            case JsonValueKind.Array:
                foreach (var part in content.EnumerateArray())
                {
                    parts.Add(Part(part));
                }

                return;
            default:
                parts.Add(new BubblePart(PartKind.Other, JsonText.Indent(content)));
                return;
        }
    }

    private static BubblePart Part(JsonElement part)
    {
        switch (Text(part, "type"))
        {
            case "text" when Text(part, "text") is { } text:
                return new BubblePart(PartKind.Text, text);
            case "refusal" when Text(part, "refusal") is { } refusal:
                return new BubblePart(PartKind.Refusal, refusal);
            case "image_url" when part.TryGetProperty("image_url", out var image):
                // Shown as its address, never loaded: logged content stays text on the page.
                string url = image.ValueKind == JsonValueKind.String ? image.GetString() ?? string.Empty : Text(image, "url") ?? string.Empty;
                return new BubblePart(PartKind.Image, ShortUrl(url));
            case "input_audio" when part.TryGetProperty("input_audio", out var audio):
                return new BubblePart(PartKind.Audio, "audio (" + (Text(audio, "format") ?? "unknown format") + ")");
            case "file" when part.TryGetProperty("file", out var file):
                return new BubblePart(PartKind.Other, "file " + (Text(file, "filename") ?? Text(file, "file_id") ?? string.Empty));
            default:
                return new BubblePart(PartKind.Other, JsonText.Indent(part));
        }
    }

    /// <summary>A data URL is shortened to its start and its length; any other URL is shown whole.</summary>
    private static string ShortUrl(string url) =>
        url.StartsWith("data:", StringComparison.OrdinalIgnoreCase) && url.Length > MaxDataUrlShown
            ? string.Create(CultureInfo.InvariantCulture, $"{url[..MaxDataUrlShown]}… ({url.Length:N0} characters)")
            : url;

    private static void ReadTools(JsonElement request, List<ToolView> tools)
    {
        if (request.TryGetProperty("tools", out var list) && list.ValueKind == JsonValueKind.Array)
        {
            foreach (var tool in list.EnumerateArray())
            {
                var function = tool.ValueKind == JsonValueKind.Object && tool.TryGetProperty("function", out var f) ? f : default;
                tools.Add(new ToolView(Text(function, "name") ?? Text(tool, "type") ?? "(unnamed)", Text(function, "description")));
            }
        }

        if (request.TryGetProperty("functions", out var functions) && functions.ValueKind == JsonValueKind.Array)
        {
            foreach (var function in functions.EnumerateArray())
            {
                tools.Add(new ToolView(Text(function, "name") ?? "(unnamed)", Text(function, "description")));
            }
        }
    }

    /// <summary>The bubble's style: one of a fixed set, whatever role the log holds.</summary>
    private static string RoleClass(string role) => role switch
    {
        "system" or "developer" => "system",
        "user" => "user",
        "assistant" => "assistant",
        "tool" or "function" => "tool",
        _ => "other",
    };

    private static string? Text(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
