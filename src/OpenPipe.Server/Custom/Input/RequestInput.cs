// Adds: what reading a request body needs beyond JSON: the Content-Encoding decoded with the
// framework's request decompression provider (gzip, br, deflate; another encoding is a 415), the
// bytes checked as UTF-8 and well-formed JSON before binding (invalid bytes are a 400, never
// replaced or a 500; a UTF-8 BOM is skipped, no other is honoured), charsets other than UTF-8
// refused (415), and the meaning of each
// failure while reading (a broken chunked body, a timeout, invalid UTF-8, bad compressed data) as a
// 4xx with a message that names it; what is wrong with JSON that does not parse is JsonTextErrors'.

using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RequestDecompression;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Net.Http.Headers;

namespace OpenPipe.Server;

/// <summary>Decoding and failure mapping for request bodies.</summary>
internal static class RequestInput
{
    private const string ContentEncodingKey = "OpenPipe.ContentEncoding";

    /// <summary>The body to read, decoded when it has a Content-Encoding; false with the error when it cannot be.</summary>
    /// <param name="request">The request.</param>
    /// <param name="body">The (decoded) body.</param>
    /// <param name="status">The error status when false.</param>
    /// <param name="message">The error message when false.</param>
    /// <returns>Whether the body can be read.</returns>
    public static bool TryOpenBody(HttpRequest request, out Stream body, out int status, out string message)
    {
        body = request.Body;
        status = StatusCodes.Status200OK;
        message = string.Empty;
        string encoding = request.Headers.ContentEncoding.ToString();
        if (string.IsNullOrWhiteSpace(encoding) || encoding.Trim().Equals("identity", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        // Kept for the message if the body turns out not to be what its Content-Encoding says.
        request.HttpContext.Items[ContentEncodingKey] = encoding;

        var provider = request.HttpContext.RequestServices.GetService<IRequestDecompressionProvider>();
        if (provider?.GetDecompressionStream(request.HttpContext) is { } decoded)
        {
            body = decoded;
            return true;
        }

        status = StatusCodes.Status415UnsupportedMediaType;
        message = $"Content-Encoding '{encoding}' is not supported: send the body as is, or with one of gzip, br or deflate.";
        return false;
    }

    /// <summary>Null when the content type's charset (if any) is UTF-8; otherwise the 415 message.</summary>
    /// <param name="contentType">The Content-Type header.</param>
    /// <returns>The message, or null.</returns>
    public static string? UnsupportedCharset(string? contentType)
    {
        if (!MediaTypeHeaderValue.TryParse(contentType, out var media) || !media.Charset.HasValue)
        {
            return null;
        }

        string charset = media.Charset.Value!.Trim('"');
        return charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase) || charset.Equals("utf8", StringComparison.OrdinalIgnoreCase)
            ? null
            : $"Unsupported charset '{charset}': JSON bodies must be UTF-8.";
    }

    /// <summary>
    /// The status and message a failure while reading the body answers with, or null when the
    /// failure is not the caller's (then it is a 500).
    /// </summary>
    /// <param name="exception">What reading threw.</param>
    /// <param name="request">The request.</param>
    /// <returns>The status and message, or null.</returns>
    public static (int Status, string Message)? Describe(Exception exception, HttpRequest request)
    {
        for (Exception? e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case BadHttpRequestException bad:
                    return (bad.StatusCode, bad.StatusCode switch
                    {
                        StatusCodes.Status413PayloadTooLarge => "The request body is too large.",
                        StatusCodes.Status408RequestTimeout => "The request body did not arrive in time: it was sent too slowly or stopped.",
                        _ => $"The request body could not be read: {bad.Message.TrimEnd('.')} (the HTTP framing of the body, e.g. a chunk size, is malformed).",
                    });
                case DecoderFallbackException invalid:
                    return (StatusCodes.Status400BadRequest, $"The request body is not valid UTF-8 (byte 0x{FirstByte(invalid)} at index {invalid.Index} of a read block): JSON bodies must be UTF-8.");
                case InvalidDataException:
                case InvalidOperationException when e.Source?.StartsWith("System.IO.Compression", StringComparison.Ordinal) == true:
                    // GZip and Deflate say InvalidDataException; Brotli says InvalidOperationException.
                    return (StatusCodes.Status400BadRequest, $"The request body is not valid {request.HttpContext.Items[ContentEncodingKey]} data, as its Content-Encoding says.");
                case OverflowException:
                    // Kestrel's chunked-body parser overflows on a chunk size of more than 64 bits.
                    return (StatusCodes.Status400BadRequest, "The request body could not be read: a chunk size of its chunked encoding is malformed or too large.");
            }
        }

        return exception is IOException
            ? (StatusCodes.Status400BadRequest, $"The request body could not be read: {exception.Message.TrimEnd('.')}.")
            : null;
    }

    /// <summary>
    /// Null when <paramref name="body"/> is one well-formed JSON object in UTF-8 (a leading BOM
    /// allowed), nested no deeper than the wire settings' limit, without a key twice in one object
    /// and with nothing after it; otherwise what is wrong and where. System.Text.Json checks it,
    /// before Newtonsoft binds it, so no parser difference (a duplicate key, say) reaches a handler.
    /// </summary>
    /// <param name="body">The decoded body.</param>
    /// <returns>The message and the JSON path, or null.</returns>
    public static (string Message, IList<object> Path)? CheckJsonText(ReadOnlyMemory<byte> body)
    {
        ReadOnlySpan<byte> span = body.Span;
        int start = span.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]) ? 3 : 0;
        if (!System.Text.Unicode.Utf8.IsValid(span[start..]))
        {
            int offset = start + InvalidUtf8Offset(span[start..]);
            return ($"The request body is not valid UTF-8 (byte 0x{span[offset]:X2} at offset {offset}): JSON bodies must be UTF-8.", []);
        }

        int depth = OpenPipeJson.Settings.MaxDepth ?? 128;
        try
        {
            using var document = JsonDocument.Parse(body[start..], new JsonDocumentOptions { MaxDepth = depth, AllowDuplicateProperties = false });
            return document.RootElement.ValueKind switch
            {
                JsonValueKind.Object => null,
                JsonValueKind.Array => ("The request body must be a JSON object, not an array.", []),
                JsonValueKind.String => ("The request body must be a JSON object, not a string.", []),
                JsonValueKind.Number => ("The request body must be a JSON object, not a number.", []),
                JsonValueKind.True or JsonValueKind.False => ("The request body must be a JSON object, not a boolean.", []),
                _ => ("The request body must be a JSON object, not null.", []),
            };
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            // Only now, for a body that failed, a second pass names the problem and its place; the
            // exception's message is System.Text.Json's wording, so only its position is used, and
            // only if that pass finds nothing. (The duplicate-key check throws
            // InvalidOperationException for a key with an escaped lone surrogate, which it cannot read.)
            return JsonTextErrors.Describe(span, start, depth)
                ?? (e is JsonException { LineNumber: { } line, BytePositionInLine: { } position }
                    ? ($"The request body is not well-formed JSON (line {line + 1}, byte {position + 1}).", [])
                    : ("The request body is not well-formed JSON, or has a key twice in one object.", []));
        }
    }

    /// <summary>
    /// Null when <c>n</c> copies of a request of <paramref name="bodyBytes"/> stay within
    /// <paramref name="limit"/> (OWASP API4: the work a request asks for is bounded); otherwise the message.
    /// </summary>
    /// <param name="n">The request's <c>n</c> (1 when absent).</param>
    /// <param name="bodyBytes">The request body's size, decoded.</param>
    /// <param name="limit">The most bytes of prompt times choices allowed.</param>
    /// <returns>The message, or null.</returns>
    public static string? OverWorkLimit(double? n, long bodyBytes, long limit)
    {
        double choices = Math.Max(1, n ?? 1);
        return choices * bodyBytes <= limit
            ? null
            : $"n ({choices:0}) times the request's size ({bodyBytes} bytes) is over the limit of {limit} bytes of work per request: ask for fewer choices or send a shorter prompt.";
    }

    private static int InvalidUtf8Offset(ReadOnlySpan<byte> bytes)
    {
        char[] chars = System.Buffers.ArrayPool<char>.Shared.Rent(bytes.Length + 1);
        try
        {
            System.Text.Unicode.Utf8.ToUtf16(bytes, chars, out int read, out _, replaceInvalidSequences: false);
            return Math.Min(read, bytes.Length - 1);
        }
        finally
        {
            System.Buffers.ArrayPool<char>.Shared.Return(chars);
        }
    }

    private static string FirstByte(DecoderFallbackException e) =>
        e.BytesUnknown is { Length: > 0 } bytes ? bytes[0].ToString("X2", System.Globalization.CultureInfo.InvariantCulture) : "??";
}
