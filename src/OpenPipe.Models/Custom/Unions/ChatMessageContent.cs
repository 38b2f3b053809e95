// Adds: ChatMessageContent, the `content` of a request message: a plain string or an array of
// content parts (text, image_url, input_audio, refusal). NSwag would keep only the first member
// of the union; this type keeps both forms as they are on the wire, and a string converts to it.

using System;
using System.Collections.Generic;
using System.Linq;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace OpenPipe;

/// <summary>Message content: either <see cref="Text"/> or <see cref="Parts"/>, never both.</summary>
[JsonConverter(typeof(ChatMessageContentConverter))]
public sealed class ChatMessageContent
{
    /// <summary>Content given as a plain string.</summary>
    /// <param name="text">The text.</param>
    public ChatMessageContent(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        Text = text;
    }

    /// <summary>Content given as parts.</summary>
    /// <param name="parts">The parts, in order.</param>
    public ChatMessageContent(IEnumerable<ChatMessageContentPart> parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        Parts = parts.ToList();
    }

    /// <summary>The content when it was given as a plain string; otherwise null.</summary>
    public string? Text { get; }

    /// <summary>The content when it was given as an array of parts; otherwise null.</summary>
    public IList<ChatMessageContentPart>? Parts { get; }

    /// <summary>Whether the content is an array of parts rather than a string.</summary>
    public bool IsParts => Parts is not null;

    /// <summary>Wraps a string as content.</summary>
    /// <param name="text">The text; null gives null.</param>
    [return: System.Diagnostics.CodeAnalysis.NotNullIfNotNull(nameof(text))]
    public static implicit operator ChatMessageContent?(string? text) => text is null ? null : new ChatMessageContent(text);

    /// <summary>Wraps parts as content.</summary>
    /// <param name="parts">The parts; null gives null.</param>
    [return: System.Diagnostics.CodeAnalysis.NotNullIfNotNull(nameof(parts))]
    public static implicit operator ChatMessageContent?(ChatMessageContentPart[]? parts) => parts is null ? null : new ChatMessageContent(parts);

    /// <summary>The text of the content: the string, or the text and refusal parts joined.</summary>
    /// <returns>The text.</returns>
    public override string ToString() =>
        Text ?? string.Concat(Parts!.Select(p => p switch
        {
            TextContentPart t => t.Text,
            RefusalContentPart r => r.Refusal,
            _ => string.Empty,
        }));
}

/// <summary>Reads and writes <see cref="ChatMessageContent"/> in both wire forms.</summary>
internal sealed class ChatMessageContentConverter : JsonConverter<ChatMessageContent>
{
    public override ChatMessageContent? ReadJson(JsonReader reader, Type objectType, ChatMessageContent? existingValue, bool hasExistingValue, JsonSerializer serializer)
    {
        switch (reader.TokenType)
        {
            case JsonToken.Null:
                return null;
            case JsonToken.String:
                return new ChatMessageContent((string)reader.Value!);
            case JsonToken.StartArray:
                // A part that failed to read (its error recorded by the caller's handler) is left out, never kept as null.
                var parts = serializer.Deserialize<List<ChatMessageContentPart?>>(reader) ?? [];
                return new ChatMessageContent(parts.Where(p => p is not null)!);
            default:
                throw new JsonSerializationException($"Message content at '{reader.Path}' must be a string or an array of parts, not {reader.TokenType}.");
        }
    }

    public override void WriteJson(JsonWriter writer, ChatMessageContent? value, JsonSerializer serializer)
    {
        if (value is null)
        {
            writer.WriteNull();
        }
        else if (value.Text is not null)
        {
            writer.WriteValue(value.Text);
        }
        else
        {
            serializer.Serialize(writer, value.Parts);
        }
    }
}
