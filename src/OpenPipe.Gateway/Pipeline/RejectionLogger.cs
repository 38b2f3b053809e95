using System;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Newtonsoft.Json;
using OpenPipe.Client;
using OpenPipe.Gateway.Storage;
using OpenPipe.Server;

namespace OpenPipe.Gateway.Pipeline;

/// <summary>
/// Logs the requests the server kit rejects before the gateway's handler runs (400, 408, 413, 415)
/// when the caller asked for logging (<c>store: true</c> in what arrived of the body, or
/// <c>op-log-request: true</c>): status, error, latency, key id, and the body as received, or a
/// marker object when what arrived is not one complete JSON value.
/// </summary>
public sealed class RejectionLogger(RequestLogQueue requestLog, TimeProvider time) : IChatCompletionRejectionObserver
{
    /// <summary>The backend column of a rejected request: no backend saw it.</summary>
    public const string Backend = "none";

    /// <inheritdoc />
    public ValueTask OnRejectedAsync(ChatCompletionRejection rejection, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(rejection);
        if (!rejection.AskedToBeLogged)
        {
            return ValueTask.CompletedTask;
        }

        requestLog.TryEnqueue(new RequestLogEntry
        {
            ReceivedAt = time.GetUtcNow() - rejection.Elapsed,
            KeyId = rejection.Caller.KeyId,
            Model = rejection.Model ?? "unknown",
            Backend = Backend,
            Stream = rejection.Stream == true,
            Status = rejection.StatusCode,
            Error = rejection.Error.Message,
            LatencyMs = rejection.Elapsed.TotalMilliseconds,
            RequestJson = RequestJsonOf(rejection),
            Tags = RequestLogEntry.TagsJson(rejection.Tags),
        });
        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// The body when it is one complete JSON value; otherwise
    /// <c>{"unparsed_body": {"bytes": N, "complete": bool, "text": "..."}}</c> (the text decoded as
    /// UTF-8, invalid bytes replaced), so the column always holds JSON.
    /// </summary>
    private static string RequestJsonOf(ChatCompletionRejection rejection)
    {
        var body = rejection.Body.Span;
        if (body.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
        {
            body = body[3..];
        }

        if (rejection.BodyIsComplete && !body.IsEmpty && IsJson(body))
        {
            return Encoding.UTF8.GetString(body);
        }

        var marker = new StringBuilder("{\"unparsed_body\":{\"bytes\":").Append(rejection.Body.Length)
            .Append(",\"complete\":").Append(rejection.BodyIsComplete ? "true" : "false")
            .Append(",\"text\":").Append(JsonConvert.ToString(Encoding.UTF8.GetString(body)))
            .Append("}}");
        return marker.ToString();
    }

    private static bool IsJson(ReadOnlySpan<byte> body)
    {
        try
        {
            var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = 1024 });
            return reader.Read() && reader.TrySkip() && !reader.Read();
        }
        catch (System.Text.Json.JsonException)
        {
            return false;
        }
    }
}
