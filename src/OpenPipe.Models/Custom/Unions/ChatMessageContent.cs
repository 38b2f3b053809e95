// Adds: ChatMessageContent, the `content` of a request message: a plain string or an array of
// content parts (text, image_url, input_audio, refusal). NSwag would keep only the first member
// of the union; this type keeps both forms as they are on the wire, and a string converts to it.
// Its whole wire format is here: the Newtonsoft converter, and the UTF-8 reader and writer the
// generated serializers call, for the same two forms.

using System;
using System.Collections.Generic;
using System.Diagnostics.CodeAnalysis;
using System.Linq;
using JsonTokenType = System.Text.Json.JsonTokenType;
using Utf8JsonReader = System.Text.Json.Utf8JsonReader;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace OpenPipe;

/// <summary>Message content: either <see cref="Text"/> or <see cref="Parts"/>, never both.</summary>
[JsonConverter(typeof(ChatMessageContentConverter))]
public sealed class ChatMessageContent : IWireWritable
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

    /// <summary>Reads either form from UTF-8: a string, or an array of parts (a null part is left to Newtonsoft).</summary>
    internal static bool TryReadJson(ref Utf8JsonReader reader, [MaybeNullWhen(false)] out ChatMessageContent value)
    {
        value = null;
        switch (reader.TokenType)
        {
            case JsonTokenType.String:
                value = new ChatMessageContent(reader.GetString()!);
                return true;
            case JsonTokenType.StartArray:
                var parts = new List<ChatMessageContentPart>();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    if (!ChatMessageContentPart.TryReadJson(ref reader, out var part))
                    {
                        return false;
                    }

                    parts.Add(part);
                }

                value = new ChatMessageContent(parts);
                return true;
            default:
                return false;
        }
    }

    void IWireWritable.WriteJson(JsonBytes writer) => WriteJson(writer);

    /// <summary>Writes the form it was given in: the string, or the array of parts.</summary>
    internal void WriteJson(JsonBytes writer)
    {
        if (Text is not null)
        {
            writer.String(Text);
            return;
        }

        writer.StartArray();
        foreach (var part in Parts!)
        {
            if (part is null)
            {
                writer.Null();
            }
            else
            {
                part.WriteJson(writer);
            }
        }

        writer.EndArray();
    }

    /// <summary>Checks the parts, each at its index under the content's path (as in the JSON).</summary>
    internal void Validate(WireValidation validation)
    {
        for (int i = 0; Parts is not null && i < Parts.Count; i++)
        {
            if (Parts[i] is { } part && validation.Enter(i))
            {
                part.Validate(validation);
                validation.Leave();
            }
        }
    }

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
