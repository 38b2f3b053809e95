using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Newtonsoft.Json.Linq;
using OpenPipe.Client;
using OpenPipe.Server;
using Polly.Timeout;

namespace OpenPipe.Gateway.Upstreams;

/// <summary>An error answer for the caller: status, a JSON body in the API's error shape, and headers to copy.</summary>
/// <param name="Status">The HTTP status.</param>
/// <param name="Json">The body.</param>
/// <param name="Message">The message, for the request log.</param>
/// <param name="Headers">Headers to send (Retry-After, WWW-Authenticate).</param>
public sealed record GatewayError(int Status, string Json, string Message, IReadOnlyDictionary<string, string> Headers);

/// <summary>
/// Maps what can go wrong with an upstream onto an answer that keeps its meaning: the upstream's
/// status, its <c>Retry-After</c> and <c>WWW-Authenticate</c>, and its JSON error (completed to the
/// API's error shape); a body that is not JSON (an HTML 502 page) becomes a JSON error naming what
/// came; a silent upstream is 504; no answer at all is 502; a Retry-After beyond the retry budget is 429 at once.
/// </summary>
public static class UpstreamErrors
{
    private static readonly string[] KeptHeaders = ["Retry-After", "WWW-Authenticate"];

    /// <summary>The answer for an exception from an upstream call.</summary>
    /// <param name="exception">The exception.</param>
    /// <returns>The error, or null when the exception is not an upstream failure.</returns>
    public static GatewayError? From(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        if (Find<UpstreamIdleTimeoutException>(exception) is { } idle)
        {
            return Own(504, idle.Message);
        }

        switch (exception)
        {
            case UpstreamRetryAfterException retry:
                var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
                {
                    ["Retry-After"] = ((long)Math.Ceiling(retry.RetryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture),
                };
                return FromBody(429, retry.Body, retry.ContentType, headers, retry.Message);
            case UpstreamStreamException stream:
                return Own(502, stream.Message);
            case OpenPipeApiException { StatusCode: 0 } api:
                return Find<TimeoutRejectedException>(api) is not null
                    ? Own(504, "The upstream did not answer within its network time-out.")
                    : Own(502, "The upstream did not answer: " + (api.InnerException?.Message ?? api.Message));
            case OpenPipeApiException api when api.StatusCode is >= 200 and < 300:
                // A 200 whose body or stream could not be read as a chat completion.
                return Own(502, "The upstream sent an invalid response: " + api.Message);
            case OpenPipeApiException api:
                var kept = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
                foreach (string name in KeptHeaders)
                {
                    if (api.Headers.FirstOrDefault(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)) is { Value: { } values })
                    {
                        kept[name] = string.Join(", ", values);
                    }
                }

                string? contentType = api.Headers.FirstOrDefault(h => string.Equals(h.Key, "Content-Type", StringComparison.OrdinalIgnoreCase)).Value?.FirstOrDefault();
                int status = api.StatusCode is >= 400 and < 600 ? api.StatusCode : 502;
                return FromBody(status, api.Response, contentType, kept, api.Message);
            default:
                return null;
        }
    }

    /// <summary>An error of the gateway's own, in the API's shape.</summary>
    /// <param name="status">The status.</param>
    /// <param name="message">The message.</param>
    /// <returns>The error.</returns>
    public static GatewayError Own(int status, string message) =>
        new(status, OpenPipeJson.Serialize(OpenPipeErrors.Create(status, message)), message, new Dictionary<string, string>());

    private static GatewayError FromBody(int status, string? body, string? contentType, Dictionary<string, string> headers, string fallbackMessage)
    {
        JObject? json = null;
        try
        {
            json = string.IsNullOrWhiteSpace(body) ? null : JToken.Parse(body) as JObject;
        }
        catch (Newtonsoft.Json.JsonException)
        {
            json = null;
        }

        if (json is null)
        {
            string what = string.IsNullOrWhiteSpace(body) ? "an empty body" : $"a body that is not JSON ({contentType ?? "no content type"}, {body!.Length} characters)";
            var own = Own(status, $"The upstream answered {status} with {what}.");
            return own with { Headers = headers };
        }

        // Keep everything the upstream said; fill in what the API's error shape requires.
        var nested = json["error"] as JObject;
        string message = (json["message"] as JValue)?.Value?.ToString() ?? (nested?["message"] as JValue)?.Value?.ToString() ?? fallbackMessage;
        string code = (json["code"] as JValue)?.Value?.ToString() ?? (nested?["code"] as JValue)?.Value?.ToString() ?? OpenPipeErrors.CodeFor(status);
        json["message"] = message;
        json["code"] = code;
        if (nested is null)
        {
            var shape = OpenPipeErrors.Create(status, message).Error!;
            json["error"] = new JObject { ["message"] = message, ["code"] = code, ["type"] = shape.Type };
        }

        return new GatewayError(status, json.ToString(Newtonsoft.Json.Formatting.None), message, headers);
    }

    private static T? Find<T>(Exception? e)
        where T : Exception
    {
        for (; e is not null; e = e.InnerException)
        {
            if (e is T found)
            {
                return found;
            }
        }

        return null;
    }
}
