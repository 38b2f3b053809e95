using System;
using System.IO;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace OpenPipe.Gateway.LogsPage;

/// <summary>JSON for reading on the page: indented, with strings unescaped where JSON allows (the page HTML-encodes all of it).</summary>
public static class JsonText
{
    /// <summary>The deepest JSON the page indents; the server kit accepts bodies nested 128 levels deep.</summary>
    private const int MaxDepth = 256;

    private static readonly JsonDocumentOptions ReadOptions = new() { MaxDepth = MaxDepth, AllowTrailingCommas = false, CommentHandling = JsonCommentHandling.Disallow };

    // The relaxed encoder leaves < > & ' " and non-ASCII letters as they are: the text is shown, never run,
    // and Razor encodes it for HTML, so escaping them here would only make it harder to read.
    private static readonly JsonWriterOptions WriteOptions = new() { Indented = true, MaxDepth = MaxDepth, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The JSON indented, or the text as it is when it is not JSON.</summary>
    /// <param name="json">JSON text, or null.</param>
    /// <returns>The text to show (empty for null).</returns>
    public static string Indent(string? json)
    {
        if (string.IsNullOrWhiteSpace(json))
        {
            return json ?? string.Empty;
        }

        try
        {
            using var document = JsonDocument.Parse(json, ReadOptions);
            return Indent(document.RootElement);
        }
        catch (JsonException)
        {
            return json;
        }
    }

    /// <summary>A JSON value indented.</summary>
    /// <param name="value">The value.</param>
    /// <returns>The text.</returns>
    public static string Indent(JsonElement value)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, WriteOptions))
        {
            value.WriteTo(writer);
        }

        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, checked((int)buffer.Length));
    }

    /// <summary>A function call's <c>arguments</c> (a string of JSON, as the API sends it) indented when it is JSON.</summary>
    /// <param name="arguments">The arguments string.</param>
    /// <returns>The text to show.</returns>
    public static string Arguments(string arguments)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        string trimmed = arguments.TrimStart();
        return trimmed.StartsWith('{') || trimmed.StartsWith('[') ? Indent(arguments) : arguments;
    }
}
