// Adds: OpenPipeTags, reading and writing a set of OpenPipe tags as the JSON object OpenPipe's SDKs
// send (op-tags, /report's tags): string, number, boolean or null values, each kept with its JSON
// type. The server parses op-tags with it, the client writes op-tags with it, the gateway logs with it.

using System;
using System.Buffers;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.Diagnostics.CodeAnalysis;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace OpenPipe;

/// <summary>OpenPipe tags as a JSON object of string, number, boolean or null values.</summary>
public static class OpenPipeTags
{
    /// <summary>The tags of a request that has none.</summary>
    public static IReadOnlyDictionary<string, TagValue> Empty { get; } = new ReadOnlyDictionary<string, TagValue>(new Dictionary<string, TagValue>());

    /// <summary>
    /// Reads a JSON object of tags (<c>{"prompt_id": "a", "attempt": 2, "cached": false, "note": null}</c>).
    /// A value that is an object or an array, a key sent twice, or anything but one JSON object fails.
    /// </summary>
    /// <param name="json">The JSON text.</param>
    /// <param name="tags">The tags in the order sent, null values included, when valid.</param>
    /// <param name="error">What is wrong, when not valid (it names the offending tag).</param>
    /// <returns>Whether <paramref name="json"/> is a valid tag object.</returns>
    public static bool TryParse(string json, [NotNullWhen(true)] out IReadOnlyDictionary<string, TagValue>? tags, [NotNullWhen(false)] out string? error)
    {
        ArgumentNullException.ThrowIfNull(json);
        tags = null;
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 4 });
        }
        catch (JsonException)
        {
            error = "it is not valid JSON";
            return false;
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                error = "it is not a JSON object";
                return false;
            }

            var read = new Dictionary<string, TagValue>(StringComparer.Ordinal);
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (read.ContainsKey(property.Name))
                {
                    error = $"\"{property.Name}\" is sent twice";
                    return false;
                }

                switch (property.Value.ValueKind)
                {
                    case JsonValueKind.String:
                        read[property.Name] = TagValue.FromString(property.Value.GetString());
                        break;
                    case JsonValueKind.Number:
                        read[property.Name] = TagValue.FromJsonNumber(property.Value.GetRawText());
                        break;
                    case JsonValueKind.True or JsonValueKind.False:
                        read[property.Name] = TagValue.FromBoolean(property.Value.GetBoolean());
                        break;
                    case JsonValueKind.Null:
                        read[property.Name] = TagValue.Null;
                        break;
                    default:
                        error = $"\"{property.Name}\" is {(property.Value.ValueKind == JsonValueKind.Array ? "an array" : "an object")}";
                        return false;
                }
            }

            tags = read;
            error = null;
            return true;
        }
    }

    /// <summary>
    /// Writes tags as one JSON object. With <paramref name="asciiOnly"/> every character outside ASCII
    /// is escaped (<c>\u00e9</c>), as an HTTP header value must be.
    /// </summary>
    /// <param name="tags">The tags.</param>
    /// <param name="omitNulls">Leave out tags whose value is null.</param>
    /// <param name="asciiOnly">Escape everything outside ASCII.</param>
    /// <returns>The JSON object.</returns>
    public static string ToJson(IEnumerable<KeyValuePair<string, TagValue>> tags, bool omitNulls = false, bool asciiOnly = false)
    {
        ArgumentNullException.ThrowIfNull(tags);
        var buffer = new ArrayBufferWriter<byte>(128);
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = asciiOnly ? JavaScriptEncoder.Default : JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            writer.WriteStartObject();
            foreach (var (name, value) in tags)
            {
                if (omitNulls && value.IsNull)
                {
                    continue;
                }

                writer.WritePropertyName(name);
                switch (value.Kind)
                {
                    case TagValueKind.String:
                        writer.WriteStringValue(value.AsString());
                        break;
                    case TagValueKind.Null:
                        writer.WriteNullValue();
                        break;
                    default:
                        writer.WriteRawValue(value.ToJson(), skipInputValidation: true);
                        break;
                }
            }

            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
