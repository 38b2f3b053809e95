// Adds: OpenPipeApiException, the one exception every failed call throws (NSwag's exceptionClass
// points here; generateExceptionClasses is off), with the status code, the parsed error body
// (OpenPipe's {message, code, issues} and the OpenAI-style {"error": {...}}), the raw body and
// the response headers.

using System;
using System.Collections.Generic;
using System.Linq;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace OpenPipe;

/// <summary>A call to the chat completions API failed: an error status, an error event in a stream, a body that could not be read, or a network failure after the retries.</summary>
public class OpenPipeApiException : Exception
{
    /// <summary>Creates the exception (the constructor generated code calls).</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="statusCode">The HTTP status code, or 0 when no response arrived.</param>
    /// <param name="response">The raw response body, if read.</param>
    /// <param name="headers">The response headers.</param>
    /// <param name="innerException">The underlying exception, if any.</param>
    public OpenPipeApiException(string message, int statusCode, string? response, IReadOnlyDictionary<string, IEnumerable<string>>? headers, Exception? innerException)
        : base(Compose(message, response, ParseError(response)), innerException)
    {
        StatusCode = statusCode;
        Response = response;
        Headers = Snapshot(headers);
        Error = ParseError(response);
    }

    /// <summary>Creates the exception with an already parsed error body.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="statusCode">The HTTP status code, or 0 when no response arrived.</param>
    /// <param name="response">The raw response body, if read.</param>
    /// <param name="headers">The response headers.</param>
    /// <param name="error">The parsed error body.</param>
    /// <param name="innerException">The underlying exception, if any.</param>
    public OpenPipeApiException(string message, int statusCode, string? response, IReadOnlyDictionary<string, IEnumerable<string>>? headers, ErrorResponse? error, Exception? innerException)
        : base(Compose(message, response, error), innerException)
    {
        StatusCode = statusCode;
        Response = response;
        Headers = Snapshot(headers);
        Error = error;
    }

    /// <summary>A copy of <paramref name="headers"/> that outlives the response they may be a view of.</summary>
    private static IReadOnlyDictionary<string, IEnumerable<string>> Snapshot(IReadOnlyDictionary<string, IEnumerable<string>>? headers)
    {
        var copy = new Dictionary<string, IEnumerable<string>>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, values) in headers ?? new Dictionary<string, IEnumerable<string>>())
        {
            copy[name] = [.. values];
        }

        return copy;
    }

    /// <summary>The HTTP status code, or 0 when no response arrived (a network failure or time-out).</summary>
    public int StatusCode { get; }

    /// <summary>The raw response body, as sent.</summary>
    public string? Response { get; }

    /// <summary>The response headers (content headers included).</summary>
    public IReadOnlyDictionary<string, IEnumerable<string>> Headers { get; }

    /// <summary>The parsed error body, when the body was an error in OpenPipe's or OpenAI's shape.</summary>
    public ErrorResponse? Error { get; }

    /// <summary>The error code: OpenPipe's <c>code</c>, else OpenAI's <c>error.code</c> or <c>error.type</c>.</summary>
    public string? ErrorCode => Error?.Code is { Length: > 0 } code ? code : Error?.Error?.Code ?? Error?.Error?.Type;

    /// <summary>Reads a failed response into an exception; the body is read once and kept.</summary>
    /// <param name="response">The failed response.</param>
    /// <param name="cancellationToken">Cancels reading the body.</param>
    /// <returns>The exception to throw.</returns>
    public static async Task<OpenPipeApiException> FromResponseAsync(HttpResponseMessage response, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(response);
        string body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        int status = (int)response.StatusCode;
        return new OpenPipeApiException($"The chat completions API answered {status} {response.ReasonPhrase}.", status, body, HeadersOf(response), ParseError(body), null);
    }

    /// <summary>Copies the response and content headers into one dictionary.</summary>
    /// <param name="response">The response.</param>
    /// <returns>The headers.</returns>
    public static IReadOnlyDictionary<string, IEnumerable<string>> HeadersOf(HttpResponseMessage response)
    {
        ArgumentNullException.ThrowIfNull(response);
        var headers = new Dictionary<string, IEnumerable<string>>(StringComparer.OrdinalIgnoreCase);
        foreach (var header in response.Headers.Concat(response.Content.Headers))
        {
            headers[header.Key] = header.Value.ToList();
        }

        return headers;
    }

    /// <summary>Parses an error body in OpenPipe's shape, OpenAI's shape, or both; null when the body is neither.</summary>
    /// <param name="body">The raw body.</param>
    /// <returns>The error, with <c>message</c> and <c>code</c> filled from the OpenAI object when only that was sent.</returns>
    public static ErrorResponse? ParseError(string? body)
    {
        if (string.IsNullOrWhiteSpace(body) || body.TrimStart()[0] != '{')
        {
            return null;
        }

        JObject json;
        try
        {
            using var reader = new JsonTextReader(new System.IO.StringReader(body)) { DateParseHandling = DateParseHandling.None, MaxDepth = 128 };
            json = JObject.Load(reader);
        }
        catch (JsonException)
        {
            return null;
        }

        // OpenAI sends only {"error": {message, code, type}}: OpenPipe's required fields are filled from it.
        var openAi = json["error"] as JObject;
        if (json["message"] is not { Type: JTokenType.String } && openAi?["message"] is { Type: JTokenType.String } openAiMessage)
        {
            json["message"] = openAiMessage;
        }

        if (json["code"] is not { Type: JTokenType.String or JTokenType.Integer })
        {
            json["code"] = openAi?["code"] is { Type: JTokenType.String or JTokenType.Integer } code ? code
                : openAi?["type"] is { Type: JTokenType.String } type ? type
                : string.Empty;
        }

        if (json["message"] is not { Type: JTokenType.String })
        {
            return null;
        }

        ErrorResponse? error;
        try
        {
            error = json.ToObject<ErrorResponse>(OpenPipeJson.Serializer);
        }
        catch (JsonException)
        {
            return null;
        }

        return error;
    }

    private static string Compose(string message, string? response, ErrorResponse? error)
    {
        if (error is null || string.IsNullOrEmpty(error.Message))
        {
            // Not an error body we know: show the start of whatever came.
            return string.IsNullOrWhiteSpace(response) ? message
                : $"{message} Body: {(response.Length > 300 ? response[..300] + "..." : response)}";
        }

        string issues = error.Issues is { Count: > 0 } list ? " Issues: " + string.Join("; ", list.Select(i => i.Message)) : string.Empty;
        return $"{message} {error.Code}: {error.Message}{issues}".Trim();
    }
}

/// <summary>The generic form generated code throws for typed error responses; catch <see cref="OpenPipeApiException"/>.</summary>
/// <typeparam name="TResult">The parsed body's type.</typeparam>
public sealed class OpenPipeApiException<TResult> : OpenPipeApiException
{
    /// <summary>Creates the exception (the constructor generated code calls).</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="statusCode">The HTTP status code.</param>
    /// <param name="response">The raw response body, if read.</param>
    /// <param name="headers">The response headers.</param>
    /// <param name="result">The parsed body.</param>
    /// <param name="innerException">The underlying exception, if any.</param>
    public OpenPipeApiException(string message, int statusCode, string? response, IReadOnlyDictionary<string, IEnumerable<string>>? headers, TResult result, Exception? innerException)
        : base(message, statusCode, string.IsNullOrEmpty(response) ? JsonConvert.SerializeObject(result, OpenPipeJson.Settings) : response, headers, result as ErrorResponse, innerException)
    {
        Result = result;
    }

    /// <summary>The parsed body.</summary>
    public TResult Result { get; }
}
