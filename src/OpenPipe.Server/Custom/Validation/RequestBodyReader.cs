// Adds: the one place a request body becomes a wire DTO (a ChatCompletionRequest for both mappings,
// or any other request the API defines): content type and charset (415), Content-Encoding decoded or
// refused (415), size limit (413, counted after decoding), failures while reading named
// (RequestInput). A body the generated readers accept (well-formed, strict UTF-8, no repeated key,
// primitives of their own JSON type) is read in that one pass; any other is checked as strict UTF-8
// and well-formed JSON (depth limit, no duplicate keys, nothing after the object; what is wrong with
// one that is not, and where, is named by JsonTextErrors only after the check failed), then read by
// Newtonsoft with the wire settings and strict primitives (a string is not a boolean) with every read
// error kept with its JSON path. Then the spec's constraints ([Range], [Required], message roles) are
// checked by the generated validation, each bad field reported by its JSON path (`temperature`,
// `messages.1.role`).

using System;
using System.Buffers;
using System.Collections.Generic;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Net.Http.Headers;
using Newtonsoft.Json;

namespace OpenPipe.Server;

/// <summary>
/// The request, or the status and body of the error that answers it. A rejected request read with a
/// <see cref="BodyCopy"/> carries a copy of the (decoded) bytes received, at most the size limit, and
/// whether they are the whole body.
/// </summary>
/// <typeparam name="T">The request's type.</typeparam>
internal readonly record struct BodyResult<T>(T? Request, int Status, ErrorResponse? Error, ReadOnlyMemory<byte> Received = default, bool ReceivedAll = false)
    where T : class;

/// <summary>When the bytes of a body come back with the result.</summary>
internal enum BodyCopy
{
    /// <summary>Never (no one observes rejections).</summary>
    None,

    /// <summary>With a rejection.</summary>
    OnRejection,

    /// <summary>Always (the request is rejected for its headers, whatever its body).</summary>
    Always,
}

/// <summary>Reads and validates the body of a chat completion request (the body reader, plus the work <c>n</c> asks for).</summary>
internal static class ChatCompletionRequestReader
{
    /// <summary>Reads the body; <paramref name="fastPath"/> false always takes the full path (tests compare the two).</summary>
    internal static ValueTask<BodyResult<ChatCompletionRequest>> ReadAsync(HttpRequest request, OpenPipeServerOptions options, bool fastPath, CancellationToken cancellationToken) =>
        ReadAsync(request, options, fastPath, BodyCopy.None, cancellationToken);

    /// <summary>Reads the body, copying it back as <paramref name="copy"/> says.</summary>
    internal static ValueTask<BodyResult<ChatCompletionRequest>> ReadAsync(HttpRequest request, OpenPipeServerOptions options, bool fastPath, BodyCopy copy, CancellationToken cancellationToken) =>
        RequestBodyReader.ReadAsync<ChatCompletionRequest>(request, options, fastPath, copy, "a JSON chat completion request", WorkLimit, cancellationToken);

    /// <summary>OWASP API4: <c>n</c> times the body's size is bounded by <see cref="OpenPipeServerOptions.MaxWorkBytes"/>.</summary>
    private static (string Message, IList<object> Path)? WorkLimit(ChatCompletionRequest request, int length, OpenPipeServerOptions options) =>
        RequestInput.OverWorkLimit(request.N, length, options.MaxWorkBytes) is { } tooMuch ? (tooMuch, ["n"]) : null;
}

/// <summary>Reads and validates the JSON body of a request as a wire DTO.</summary>
internal static partial class RequestBodyReader
{
    /// <summary>
    /// Reads the body as a <typeparamref name="T"/>. With <paramref name="copy"/> a rejected body's bytes
    /// come back with the error (a body declared too large is read up to the limit first), for
    /// observers that log rejections.
    /// </summary>
    /// <typeparam name="T">The request's type.</typeparam>
    /// <param name="request">The HTTP request.</param>
    /// <param name="options">The limits.</param>
    /// <param name="fastPath">False always takes the full path (tests compare the two).</param>
    /// <param name="copy">When the body's bytes come back.</param>
    /// <param name="what">What the body should be, for the empty-body message ("a JSON chat completion request").</param>
    /// <param name="check">A check of the read value and the body's length beyond the spec's (null when it passes).</param>
    /// <param name="cancellationToken">Cancels reading.</param>
    /// <returns>The value or the error.</returns>
    /// <remarks>A ValueTask: a body that has already arrived (the usual small request) is read without allocating a task.</remarks>
    internal static async ValueTask<BodyResult<T>> ReadAsync<T>(
        HttpRequest request, OpenPipeServerOptions options, bool fastPath, BodyCopy copy, string what,
        Func<T, int, OpenPipeServerOptions, (string Message, IList<object> Path)?>? check, CancellationToken cancellationToken)
        where T : class
    {
        long limit = options.MaxRequestBodyBytes;
        string? contentType = request.ContentType;
        if (!IsPlainJson(contentType))
        {
            if (!IsJson(contentType))
            {
                return Fail<T>(StatusCodes.Status415UnsupportedMediaType, $"Unsupported content type '{contentType}': send application/json.");
            }

            if (RequestInput.UnsupportedCharset(contentType) is { } charset)
            {
                return Fail<T>(StatusCodes.Status415UnsupportedMediaType, charset);
            }
        }

        if (!RequestInput.TryOpenBody(request, out Stream body, out int encodingStatus, out string encodingError))
        {
            return Fail<T>(encodingStatus, encodingError);
        }

        if (request.ContentLength > limit)
        {
            var tooLarge = Fail<T>(StatusCodes.Status413PayloadTooLarge, $"The request body is {request.ContentLength} bytes; the limit is {limit}.");
            return copy != BodyCopy.None ? await WithPrefixAsync(tooLarge, body, request, limit, cancellationToken).ConfigureAwait(false) : tooLarge;
        }

        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature)
        {
            feature.MaxRequestBodySize = limit;
        }

        // The length the request declares, when the body is read as sent (not decoded).
        long? declared = ReferenceEquals(body, request.Body) ? request.ContentLength : null;
        byte[] buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        int length = 0;
        try
        {
            while (true)
            {
                if (length == buffer.Length)
                {
                    byte[] larger = ArrayPool<byte>.Shared.Rent((int)Math.Min((long)buffer.Length * 2, Math.Max(limit + 1, buffer.Length + 1)));
                    buffer.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }

                int read;
                try
                {
                    read = await body.ReadAsync(buffer.AsMemory(length), cancellationToken).ConfigureAwait(false);
                }
                catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
                {
                    return Keep(copy, Fail<T>(StatusCodes.Status413PayloadTooLarge, $"The request body is over the limit of {limit} bytes."), buffer, length, limit, all: false);
                }
                catch (Exception e) when (e is not OperationCanceledException && RequestInput.Describe(e, request) is { } failure)
                {
                    return Keep(copy, Fail<T>(failure.Status, failure.Message), buffer, length, limit, all: false);
                }

                if (read == 0)
                {
                    break;
                }

                length += read;
                if (length > limit)
                {
                    return Keep(copy, Fail<T>(StatusCodes.Status413PayloadTooLarge, $"The request body is over the limit of {limit} bytes."), buffer, length, limit, all: false);
                }

                if (length == declared)
                {
                    // All of the declared body is here: no further read is needed to learn that it ended.
                    break;
                }
            }

            if (length == 0)
            {
                return Fail<T>(StatusCodes.Status400BadRequest, $"The request body is empty: send {what}.");
            }

            var bytes = new ReadOnlyMemory<byte>(buffer, 0, length);
            BodyResult<T> result;
            if (fastPath && TryReadFast<T>(bytes.Span) is { } fast)
            {
                result = Validate(fast, []);
            }
            else if (RequestInput.CheckJsonText(bytes) is { } malformed)
            {
                return Keep(copy, Fail<T>(StatusCodes.Status400BadRequest, malformed.Message, malformed.Path), buffer, length, limit, all: true);
            }
            else
            {
                result = Deserialize<T>(new MemoryStream(buffer, 0, length, writable: false));
            }

            if (result.Request is { } parsed && check?.Invoke(parsed, length, options) is { } failed)
            {
                result = Fail<T>(StatusCodes.Status400BadRequest, failed.Message, failed.Path);
            }

            return result.Error is null && copy != BodyCopy.Always ? result : Keep(copy, result, buffer, length, limit, all: true);
        }
        finally
        {
            if (!ReferenceEquals(body, request.Body))
            {
                await body.DisposeAsync().ConfigureAwait(false);
            }

            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>One strict serializer for every request (creating one copies every setting); its error handler reports into <see cref="collecting"/>.</summary>
    private static readonly JsonSerializer Strict = CreateStrictSerializer();

    /// <summary>The issues of the body this thread is reading: Newtonsoft reads synchronously, so the handler runs on the reading thread.</summary>
    [ThreadStatic]
    private static List<ErrorIssue>? collecting;

    private static JsonSerializer CreateStrictSerializer()
    {
        var serializer = StrictRequestPrimitives.CreateSerializer();
        serializer.Error += (_, e) =>
        {
            if (collecting is not { } issues)
            {
                return;
            }

            // Report each failure once, where it happened, and keep reading to find the others. The
            // place is the issue's path, so Newtonsoft's " Path '...', line 1, position 9." is left out.
            if (ReferenceEquals(e.CurrentObject, e.ErrorContext.OriginalObject))
            {
                string message = NewtonsoftPlace().Replace(e.ErrorContext.Error.Message, string.Empty);
                issues.Add(new ErrorIssue { Message = message, Path = OpenPipeErrors.PathOf(e.ErrorContext.Path ?? string.Empty, message) });
            }

            e.ErrorContext.Handled = true;
        };
        return serializer;
    }

    private static BodyResult<T> Deserialize<T>(Stream body)
        where T : class
    {
        var issues = new List<ErrorIssue>();
        T? value;

        // The bytes were checked as UTF-8 already (CheckJsonText), so the pooled decoder never meets an invalid byte.
        using (var reader = OpenPipeJson.CreateReader(new StreamReader(body, System.Text.Encoding.UTF8)))
        {
            collecting = issues;
            try
            {
                value = Strict.Deserialize<T>(reader);
                if (issues.Count == 0 && reader.Read())
                {
                    issues.Add(new ErrorIssue { Message = "The request body has content after the JSON object.", Path = [] });
                }
            }
            catch (JsonException e)
            {
                issues.Add(new ErrorIssue { Message = e.Message, Path = [] });
                value = null;
            }
            finally
            {
                collecting = null;
            }
        }

        if (issues.Count == 0 && value is null)
        {
            issues.Add(new ErrorIssue { Message = "The request body must be a JSON object.", Path = [] });
        }

        return Validate(value, issues);
    }

    /// <summary>
    /// The request read by the UTF-8 fast reader, or null when it gives up. What it accepts is
    /// well-formed UTF-8 JSON (every string is transcoded strictly), an object at the root, no
    /// repeated key, nested at most 64 deep, every primitive of its member's JSON type: everything
    /// the well-formedness check and the strict reader would accept, read to the same request.
    /// Anything else takes the full path, with its messages and paths.
    /// </summary>
    private static T? TryReadFast<T>(ReadOnlySpan<byte> body)
        where T : class
    {
        if (body.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
        {
            body = body[3..];
        }

        return OpenPipeJson.TryRead(body, out T? request) ? request : null;
    }

    /// <summary>The spec's constraints on a request read without errors, or the read's issues.</summary>
    private static BodyResult<T> Validate<T>(T? value, List<ErrorIssue> issues)
        where T : class
    {
        if (issues.Count == 0)
        {
            issues.AddRange(OpenPipeValidation.Validate(value!));
        }

        if (issues.Count > 0)
        {
            string summary = issues.Count == 1 ? issues[0].Message : $"{issues[0].Message} (and {issues.Count - 1} more issue{(issues.Count == 2 ? string.Empty : "s")} in the body)";
            return new BodyResult<T>(null, StatusCodes.Status400BadRequest, OpenPipeErrors.Create(StatusCodes.Status400BadRequest, summary, issues));
        }

        return new BodyResult<T>(value, StatusCodes.Status200OK, null);
    }

    /// <summary>The two spellings clients send (the OpenAI SDKs' and the kit's): JSON in UTF-8, known without parsing the header.</summary>
    private static bool IsPlainJson(string? contentType) =>
        contentType is not null
        && (contentType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || contentType.Equals(OpenPipeJson.ContentType, StringComparison.OrdinalIgnoreCase));

    private static bool IsJson(string? contentType) =>
        MediaTypeHeaderValue.TryParse(contentType, out var media)
        && (media.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || media.Suffix.Equals("json", StringComparison.OrdinalIgnoreCase));

    /// <summary>The rejection with a copy of the bytes received (at most <paramref name="limit"/>), when they are wanted.</summary>
    private static BodyResult<T> Keep<T>(BodyCopy copy, BodyResult<T> result, byte[] buffer, int length, long limit, bool all)
        where T : class =>
        copy != BodyCopy.None ? result with { Received = buffer.AsSpan(0, (int)Math.Min(length, limit)).ToArray(), ReceivedAll = all && length <= limit } : result;

    /// <summary>A body declared too large, rejected before reading: its first <paramref name="limit"/> bytes, read for the observers.</summary>
    private static async ValueTask<BodyResult<T>> WithPrefixAsync<T>(BodyResult<T> rejection, Stream body, HttpRequest request, long limit, CancellationToken cancellationToken)
        where T : class
    {
        byte[] prefix = ArrayPool<byte>.Shared.Rent((int)Math.Min(limit, Array.MaxLength));
        int length = 0;
        try
        {
            int read;
            while (length < limit && length < prefix.Length && (read = await body.ReadAsync(prefix.AsMemory(length), cancellationToken).ConfigureAwait(false)) > 0)
            {
                length += read;
            }
        }
        catch (Exception e) when (e is not OperationCanceledException && (e is BadHttpRequestException || RequestInput.Describe(e, request) is not null))
        {
            // What arrived before the failure is what there is.
        }
        finally
        {
            if (!ReferenceEquals(body, request.Body))
            {
                await body.DisposeAsync().ConfigureAwait(false);
            }
        }

        byte[] received = prefix.AsSpan(0, (int)Math.Min(length, limit)).ToArray();
        ArrayPool<byte>.Shared.Return(prefix);
        return rejection with { Received = received };
    }

    private static BodyResult<T> Fail<T>(int status, string message, IList<object>? path = null)
        where T : class =>
        new(null, status, OpenPipeErrors.Create(status, message, path is null ? null : [new ErrorIssue { Message = message, Path = path }]));

    [System.Text.RegularExpressions.GeneratedRegex(@" Path '.*', line \d+, position \d+\.$", System.Text.RegularExpressions.RegexOptions.Singleline)]
    private static partial System.Text.RegularExpressions.Regex NewtonsoftPlace();
}
