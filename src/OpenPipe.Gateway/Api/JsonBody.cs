using System;
using System.Buffers;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using OpenPipe.Client;
using OpenPipe.Server;

namespace OpenPipe.Gateway.Api;

/// <summary>
/// Reads a JSON request body into a generated request DTO, bounded and checked: <c>application/json</c>
/// in UTF-8 (else 415), at most <see cref="OpenPipeServerOptions.MaxRequestBodyBytes"/> (else 413),
/// one well-formed JSON object (else 400 naming the place), then the DTO with the wire settings
/// (a wrong type or a missing required member is a 400 naming the field). The gateway's own POST
/// routes read their bodies only through here.
/// </summary>
internal static partial class JsonBody
{
    private static readonly JsonReaderOptions Strict = new() { MaxDepth = 128, CommentHandling = JsonCommentHandling.Disallow, AllowTrailingCommas = false };

    /// <summary>Reads the body as <typeparamref name="T"/>.</summary>
    /// <typeparam name="T">The request DTO.</typeparam>
    /// <param name="context">The request.</param>
    /// <returns>The body, or the error to answer with.</returns>
    public static async Task<(T? Body, OpenPipeJsonResult? Error)> ReadAsync<T>(HttpContext context)
        where T : class
    {
        var request = context.Request;
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var type) || !type.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || (type.Charset.HasValue && !type.Charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase)))
        {
            return (null, Error(StatusCodes.Status415UnsupportedMediaType, $"Unsupported content type '{request.ContentType}': send application/json (UTF-8)."));
        }

        long limit = context.RequestServices.GetRequiredService<IOptionsMonitor<OpenPipeServerOptions>>().CurrentValue.MaxRequestBodyBytes;
        if (request.ContentLength > limit)
        {
            return (null, Error(StatusCodes.Status413PayloadTooLarge, $"The request body is larger than {limit} bytes."));
        }

        byte[] buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        int length = 0;
        try
        {
            try
            {
                while (true)
                {
                    if (length == buffer.Length)
                    {
                        byte[] larger = ArrayPool<byte>.Shared.Rent((int)Math.Min(limit + 1, buffer.Length * 2L));
                        buffer.AsSpan(0, length).CopyTo(larger);
                        ArrayPool<byte>.Shared.Return(buffer);
                        buffer = larger;
                    }

                    int read = await request.Body.ReadAsync(buffer.AsMemory(length, (int)Math.Min(buffer.Length - length, limit + 1 - length)), context.RequestAborted).ConfigureAwait(false);
                    if (read == 0)
                    {
                        break;
                    }

                    length += read;
                    if (length > limit)
                    {
                        return (null, Error(StatusCodes.Status413PayloadTooLarge, $"The request body is larger than {limit} bytes."));
                    }
                }
            }
            catch (Exception e) when (e is BadHttpRequestException or IOException)
            {
                return (null, Error(StatusCodes.Status400BadRequest, "The request body could not be read: " + e.Message));
            }

            var body = new ReadOnlySpan<byte>(buffer, 0, length);
            if (Problem(body) is { } problem)
            {
                return (null, Error(StatusCodes.Status400BadRequest, "The request body is not a well-formed JSON object: " + problem));
            }

            try
            {
                return OpenPipeJson.Deserialize<T>(body) is { } value
                    ? (value, null)
                    : (null, Error(StatusCodes.Status400BadRequest, "The request body must be a JSON object."));
            }
            catch (Newtonsoft.Json.JsonException e)
            {
                string path = (e as Newtonsoft.Json.JsonSerializationException)?.Path ?? (e as Newtonsoft.Json.JsonReaderException)?.Path ?? string.Empty;
                var segments = Segments(path);
                // A missing required member is reported at its object; the issue names the member itself.
                if (RequiredMember().Match(e.Message) is { Success: true } missing)
                {
                    segments.Add(missing.Groups[1].Value);
                }

                return (null, Error(StatusCodes.Status400BadRequest, "The request body does not match the operation's schema: " + e.Message, segments));
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>What keeps the body from being one JSON object, or null.</summary>
    private static string? Problem(ReadOnlySpan<byte> body)
    {
        var reader = new Utf8JsonReader(body, Strict);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return "it must be a JSON object.";
            }

            reader.Skip();
            return reader.Read() ? $"something follows the object at byte {reader.TokenStartIndex}." : null;
        }
        catch (JsonException e)
        {
            return e.Message;
        }
    }

    /// <summary>A Newtonsoft path (<c>entries[0].messages</c>) as issue path items.</summary>
    private static List<object> Segments(string path) =>
        path.Length == 0 ? [] : path.Split('.', '[').Select(p => p.TrimEnd(']')).Where(p => p.Length > 0)
            .Select(p => int.TryParse(p, out int index) ? (object)index : p).ToList();

    [System.Text.RegularExpressions.GeneratedRegex("^Required property '([^']+)'")]
    private static partial System.Text.RegularExpressions.Regex RequiredMember();

    /// <summary>An error result; with a path, one issue at it.</summary>
    public static OpenPipeJsonResult Error(int status, string message, IList<object>? path = null) =>
        new(OpenPipeErrors.Create(status, message, path is { Count: > 0 } ? [new ErrorIssue { Message = message, Path = path }] : null), status);
}
