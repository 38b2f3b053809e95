// Adds: CreateChatCompletionStreamingAsync, the server-sent-events form of the call. It sends
// `stream: true` with ResponseHeadersRead, parses the body with System.Net.ServerSentEvents'
// SseParser and yields each chunk as soon as its event is complete. It ends at `data: [DONE]` or
// at the end of the body (OpenPipe's own server may omit [DONE]); an error status or an error
// event (`data: {"error": {...}}`) throws OpenPipeApiException; cancellation is honoured between
// and during events; breaking out of the loop disposes the response.

using System;
using System.Collections.Generic;
using System.IO;
using System.Net.Http;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace OpenPipe.Client;

public partial interface IOpenPipeClient
{
    /// <summary>Creates a chat completion as a stream of chunks.</summary>
    /// <param name="request">The request; it is sent with <c>stream: true</c>.</param>
    /// <param name="cancellationToken">Cancels the call and the stream.</param>
    /// <returns>The chunks, each as soon as it arrives.</returns>
    /// <exception cref="OpenPipeApiException">The API answered an error, sent an error event, or the stream broke.</exception>
    /// <remarks>
    /// <c>request.Stream</c> is set to true while the request is serialized and restored afterwards,
    /// so do not send the same request object from two threads at once.
    /// </remarks>
    IAsyncEnumerable<ChatCompletionChunk> CreateChatCompletionStreamingAsync(ChatCompletionRequest request, CancellationToken cancellationToken = default);

    /// <summary>Creates a chat completion as a stream of chunks, with OpenPipe's per-request options.</summary>
    /// <param name="request">The request; it is sent with <c>stream: true</c>.</param>
    /// <param name="options">OpenPipe's per-request options (logging, cache, tags, criteria).</param>
    /// <param name="cancellationToken">Cancels the call and the stream.</param>
    /// <returns>The chunks, each as soon as it arrives.</returns>
    /// <exception cref="OpenPipeApiException">The API answered an error, sent an error event, or the stream broke.</exception>
    IAsyncEnumerable<ChatCompletionChunk> CreateChatCompletionStreamingAsync(ChatCompletionRequest request, OpenPipeRequestOptions? options, CancellationToken cancellationToken = default);
}

public partial class OpenPipeClient
{
    /// <inheritdoc />
    public IAsyncEnumerable<ChatCompletionChunk> CreateChatCompletionStreamingAsync(ChatCompletionRequest request, CancellationToken cancellationToken = default) =>
        CreateChatCompletionStreamingAsync(request, null, cancellationToken);

    /// <inheritdoc />
    public IAsyncEnumerable<ChatCompletionChunk> CreateChatCompletionStreamingAsync(ChatCompletionRequest request, OpenPipeRequestOptions? options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return InstrumentedStreamAsync(request, options, cancellationToken);
    }

    /// <summary>The stream inside one GenAI span: it ends at the last chunk, on a failure, or when the reader stops early.</summary>
    private IAsyncEnumerable<ChatCompletionChunk> InstrumentedStreamAsync(ChatCompletionRequest request, OpenPipeRequestOptions? requestOptions, CancellationToken cancellationToken) =>
        ChatOperation.ObserveStreamAsync(() => StartOperation(request, requestOptions, streaming: true), StreamAsync(request, requestOptions, cancellationToken), cancellationToken);

    private async IAsyncEnumerable<ChatCompletionChunk> StreamAsync(ChatCompletionRequest request, OpenPipeRequestOptions? requestOptions, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var message = CreateStreamingRequest(request, requestOptions);
        using HttpResponseMessage response = await SendStreamingAsync(message, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            // Reached only with an HttpClient that lacks OpenPipeResilienceHandler.
            throw await OpenPipeApiException.FromResponseAsync(response, cancellationToken).ConfigureAwait(false);
        }

        // Each event is parsed where SseParser hands it over, from its UTF-8 bytes: no string per event.
        var events = new ChunkEvents(response);
        using Stream body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        IAsyncEnumerator<SseItem<ChatCompletionChunk?>> items = SseParser.Create(body, events.Parse).EnumerateAsync(cancellationToken).GetAsyncEnumerator(cancellationToken);
        try
        {
            while (true)
            {
                ChatCompletionChunk? chunk;
                try
                {
                    if (!await items.MoveNextAsync().ConfigureAwait(false))
                    {
                        yield break;
                    }

                    chunk = items.Current.Data;
                }
                catch (Exception e) when (e is IOException or HttpRequestException && !cancellationToken.IsCancellationRequested)
                {
                    throw new OpenPipeApiException($"The stream broke before it ended: {e.Message}", (int)response.StatusCode, null, OpenPipeApiException.HeadersOf(response), e);
                }

                if (chunk is null)
                {
                    continue;
                }

                if (ReferenceEquals(chunk, ChunkEvents.Done))
                {
                    yield break;
                }

                yield return chunk;
            }
        }
        finally
        {
            await items.DisposeAsync().ConfigureAwait(false);
        }
    }

    private HttpRequestMessage CreateStreamingRequest(ChatCompletionRequest request, OpenPipeRequestOptions? requestOptions)
    {
        bool? previous = request.Stream;
        HttpContent content;
        request.Stream = true;
        try
        {
            content = OpenPipeJsonContent.Create(request);
        }
        finally
        {
            request.Stream = previous;
        }

        string url = BaseUrl + "chat/completions";
        var message = new HttpRequestMessage(HttpMethod.Post, new Uri(url, UriKind.RelativeOrAbsolute))
        {
            Content = content,
        };
        message.Headers.TryAddWithoutValidation("Accept", ChatCompletionStream.MediaType); // sent as is, never parsed
        message.Options.Set(OpenPipeResilienceHandler.StreamingOption, true);
        if (requestOptions?.LogRequest is { } log)
        {
            message.Headers.TryAddWithoutValidation("op-log-request", log ? "true" : "false");
        }

        if (requestOptions?.Cache is { } cache)
        {
            message.Headers.TryAddWithoutValidation("op-cache", OpenPipeRequestOptions.CacheHeader(cache));
        }

        if (requestOptions?.TagsHeader is { } tags)
        {
            message.Headers.TryAddWithoutValidation("op-tags", tags);
        }

        if (requestOptions?.CriteriaHeader is { } criteria)
        {
            message.Headers.TryAddWithoutValidation("op-criteria", criteria);
        }

        PrepareRequest(_httpClient, message, url);
        return message;
    }

    private async Task<HttpResponseMessage> SendStreamingAsync(HttpRequestMessage message, CancellationToken cancellationToken)
    {
        try
        {
            return await _httpClient.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            // Reached only with an HttpClient that lacks OpenPipeResilienceHandler.
            throw new OpenPipeApiException($"The request failed: {e.Message}", 0, null, null, e);
        }
    }

    /// <summary>
    /// Turns each event's UTF-8 data into a chunk while the parser holds it (OpenPipeJson.Deserialize:
    /// one pass over the bytes, or Newtonsoft with the wire settings, whose errors are the stream's). Empty data is null,
    /// <c>[DONE]</c> is <see cref="Done"/>, an error event throws <see cref="OpenPipeApiException"/>.
    /// </summary>
    private sealed class ChunkEvents(HttpResponseMessage response)
    {
        /// <summary>Stands for <c>data: [DONE]</c>; compared by reference.</summary>
        public static readonly ChatCompletionChunk Done = new();

        private static readonly byte[] ErrorKey = "\"error\""u8.ToArray();

        public ChatCompletionChunk? Parse(string eventType, ReadOnlySpan<byte> data)
        {
            data = data.Trim(" \t\r\n"u8);
            if (data.IsEmpty)
            {
                return null;
            }

            if (data.SequenceEqual("[DONE]"u8))
            {
                return Done;
            }

            if (data.IndexOf(ErrorKey) >= 0)
            {
                // Rare: worth a string, for the error body.
                ThrowIfErrorEvent(Encoding.UTF8.GetString(data), response);
            }

            try
            {
                return OpenPipeJson.Deserialize<ChatCompletionChunk>(data)
                    ?? throw new JsonSerializationException("The event's data was null.");
            }
            catch (JsonException e)
            {
                throw new OpenPipeApiException($"A stream event could not be read as a chat.completion.chunk: {e.Message}", (int)response.StatusCode, Encoding.UTF8.GetString(data), OpenPipeApiException.HeadersOf(response), e);
            }
        }

    }

    /// <summary>Throws when <paramref name="data"/> is an error event (an error body and no <c>choices</c>); a chunk that merely mentions "error" passes.</summary>
    private static void ThrowIfErrorEvent(string data, HttpResponseMessage response)
    {
        if (OpenPipeApiException.ParseError(data) is { } error && JObject.Parse(data).Property("choices") is null)
        {
            int status = error.AdditionalProperties.TryGetValue("status", out var s) && s is long l ? (int)l : (int)response.StatusCode;
            throw new OpenPipeApiException("The stream sent an error event.", status, data, OpenPipeApiException.HeadersOf(response), error, null);
        }
    }
}
