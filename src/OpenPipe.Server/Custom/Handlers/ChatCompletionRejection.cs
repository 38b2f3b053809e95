// Adds: ChatCompletionRejection, what an IChatCompletionRejectionObserver learns of a request the
// kit rejected: the caller, the error answered, the body as far as it arrived (decoded, at most the
// size limit) and what could still be read from it and the op-* headers: store, model, stream and
// op-log-request, so an observer can honour a request to be logged.

using System;
using System.Collections.Generic;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace OpenPipe.Server;

/// <summary>A chat completion request the kit answered with an error before any handler ran.</summary>
public sealed class ChatCompletionRejection
{
    internal ChatCompletionRejection(HttpContext httpContext, OpenPipeCaller caller, int statusCode, ErrorResponse error, ReadOnlyMemory<byte> body, bool bodyIsComplete, TimeSpan elapsed)
    {
        HttpContext = httpContext;
        Caller = caller;
        StatusCode = statusCode;
        Error = error;
        Body = body;
        BodyIsComplete = bodyIsComplete;
        Elapsed = elapsed;
        LogRequest = bool.TryParse(httpContext.Request.Headers["op-log-request"].ToString().Trim(), out bool log) ? log : null;
        ReadTopLevel(body.Span, bodyIsComplete);
        if (OpenPipeTags.TryParse(httpContext.Request.Headers["op-tags"].ToString() is { Length: > 0 } tags ? tags : "{}", out var parsed, out _))
        {
            Tags = parsed;
        }
    }

    /// <summary>The request.</summary>
    public HttpContext HttpContext { get; }

    /// <summary>The caller whose key authenticated the request.</summary>
    public OpenPipeCaller Caller { get; }

    /// <summary>The status answered: 400, 408, 413 or 415.</summary>
    public int StatusCode { get; }

    /// <summary>The error body answered.</summary>
    public ErrorResponse Error { get; }

    /// <summary>
    /// The body as it arrived, decoded from its Content-Encoding, at most
    /// <see cref="OpenPipeServerOptions.MaxRequestBodyBytes"/>; empty when none was read (a 415).
    /// </summary>
    public ReadOnlyMemory<byte> Body { get; }

    /// <summary>Whether <see cref="Body"/> is the whole body (false when it was cut off, too large or too slow).</summary>
    public bool BodyIsComplete { get; }

    /// <summary>Time from the start of reading the request to its rejection.</summary>
    public TimeSpan Elapsed { get; }

    /// <summary><c>op-log-request</c>, when it is <c>true</c> or <c>false</c>.</summary>
    public bool? LogRequest { get; }

    /// <summary>The body's top-level <c>store</c>, when it could be read before the body ended or broke.</summary>
    public bool? Store { get; private set; }

    /// <summary>The body's top-level <c>stream</c>, when it could be read.</summary>
    public bool? Stream { get; private set; }

    /// <summary>The body's top-level <c>model</c>, when it could be read.</summary>
    public string? Model { get; private set; }

    /// <summary><c>op-tags</c>, when it is a valid tag object; empty otherwise.</summary>
    public IReadOnlyDictionary<string, TagValue> Tags { get; } = OpenPipeTags.Empty;

    /// <summary>Whether the caller asked for this request to be logged (<c>store: true</c> or <c>op-log-request: true</c>).</summary>
    public bool AskedToBeLogged => Store == true || LogRequest == true;

    /// <summary>Reads <c>store</c>, <c>stream</c> and <c>model</c> from the top level of what arrived, up to the first thing that is not JSON.</summary>
    private void ReadTopLevel(ReadOnlySpan<byte> body, bool complete)
    {
        if (body.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
        {
            body = body[3..];
        }

        var reader = new Utf8JsonReader(body, isFinalBlock: complete, new JsonReaderState(new JsonReaderOptions { MaxDepth = 256 }));
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                string? name = reader.ValueTextEquals("store"u8) ? "store" : reader.ValueTextEquals("stream"u8) ? "stream" : reader.ValueTextEquals("model"u8) ? "model" : null;
                if (!reader.Read())
                {
                    return;
                }

                switch (name, reader.TokenType)
                {
                    case ("store", JsonTokenType.True or JsonTokenType.False):
                        Store ??= reader.GetBoolean();
                        break;
                    case ("stream", JsonTokenType.True or JsonTokenType.False):
                        Stream ??= reader.GetBoolean();
                        break;
                    case ("model", JsonTokenType.String):
                        Model ??= reader.GetString();
                        break;
                    default:
                        if (!reader.TrySkip())
                        {
                            return;
                        }

                        break;
                }
            }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            // The body stops being JSON here: what was read before stays.
        }
    }
}
