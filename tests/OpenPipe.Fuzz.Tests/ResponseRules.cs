using System;
using System.Linq;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace OpenPipe.Fuzz.Tests;

/// <summary>Sends a request and checks the rules every answer keeps: never a 5xx, errors as JSON in the API's shape.</summary>
public static class ResponseRules
{
    /// <summary>The route under test.</summary>
    public const string Route = "api/v1/chat/completions";

    /// <summary>Sends <paramref name="request"/> and returns the status and body, with a client-side time limit.</summary>
    public static async Task<(int Status, string? MediaType, string Body)> SendAsync(HttpClient http, FuzzRequest request, TimeSpan? limit = null)
    {
        using var message = new HttpRequestMessage(HttpMethod.Post, Route) { Content = new ByteArrayContent(request.Body) };
        message.Content.Headers.ContentType = null;
        if (request.ContentType is not null)
        {
            message.Content.Headers.TryAddWithoutValidation("Content-Type", request.ContentType);
        }

        if (request.ContentEncoding is not null)
        {
            message.Content.Headers.TryAddWithoutValidation("Content-Encoding", request.ContentEncoding);
        }

        // A large body waits for the server's go-ahead, so a 413 is read rather than lost in a broken pipe.
        message.Headers.ExpectContinue = request.Body.Length > 1_000_000;
        foreach (var (name, value) in request.Headers)
        {
            message.Headers.TryAddWithoutValidation(name, value);
        }

        using var timeout = new CancellationTokenSource(limit ?? TimeSpan.FromSeconds(20));
        using var response = await http.SendAsync(message, HttpCompletionOption.ResponseContentRead, timeout.Token);
        string body = await response.Content.ReadAsStringAsync(timeout.Token);
        return ((int)response.StatusCode, response.Content.Headers.ContentType?.MediaType, body);
    }

    /// <summary>Null when the answer keeps the rules; otherwise what is wrong.</summary>
    public static string? Check(int status, string? mediaType, string body)
    {
        if (status >= 500)
        {
            return $"status {status}: {Start(body)}";
        }

        if (status is >= 200 and < 300)
        {
            if (mediaType == "text/event-stream")
            {
                return body.Contains("data: [DONE]", StringComparison.Ordinal) || body.Contains("\"error\"", StringComparison.Ordinal) ? null : $"a stream without [DONE] or error: {Start(body)}";
            }

            return Parse(body) is { } ok && ok["choices"] is JArray ? null : $"status {status} without a completion: {Start(body)}";
        }

        if (mediaType != "application/json")
        {
            return $"status {status} with content type '{mediaType}': {Start(body)}";
        }

        var error = Parse(body);
        bool shaped = error?["message"] is { Type: JTokenType.String } message && ((string?)message)!.Length > 0
            && error["code"] is { Type: JTokenType.String }
            && error["error"] is JObject inner && inner["message"] is { Type: JTokenType.String };
        if (!shaped)
        {
            return $"status {status} without the error shape: {Start(body)}";
        }

        if (error!["issues"] is JArray issues && issues.Any(i => i["path"] is JArray path && path.Any(p => p.Type is not (JTokenType.String or JTokenType.Integer))))
        {
            return $"an issue path item that is neither a string nor an integer: {Start(body)}";
        }

        return null;
    }

    private static JObject? Parse(string body)
    {
        try
        {
            return JToken.Parse(body) as JObject;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string Start(string body) => body.Length > 400 ? body[..400] + "..." : body;
}
