// Adds: ChatCompletionStreamResult, the text/event-stream answer of a streamed completion. Each
// chunk from the producer is written as `data: <json>` with System.Net.ServerSentEvents'
// SseFormatter and flushed at once (response buffering off, Cache-Control: no-cache), then
// `data: [DONE]`. HttpContext.RequestAborted flows into the producer, so a client that leaves
// stops generation. A producer that throws mid-stream ends the stream with an error event
// (`data: {"error": {...}}`) instead of a torn connection; the details go to the log only.
// Each write has a time limit (OpenPipeServerOptions.StreamWriteTimeout): a client that stops
// reading is disconnected. StartAsync waits for the first chunk before anything is sent, so a failure before it can still
// be answered with a real status. Works as an MVC ActionResult and as a minimal-API IResult.

using System;
using System.Collections.Generic;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using OpenPipe.Client;

namespace OpenPipe.Server;

/// <summary>Writes a stream of <see cref="ChatCompletionChunk"/> as server-sent events.</summary>
public sealed class ChatCompletionStreamResult : ActionResult, IResult
{
    private readonly Func<CancellationToken, IAsyncEnumerable<ChatCompletionChunk>> producer;

    /// <summary>Creates the result.</summary>
    /// <param name="producer">Makes the chunks; its token is the request's <c>RequestAborted</c>.</param>
    public ChatCompletionStreamResult(Func<CancellationToken, IAsyncEnumerable<ChatCompletionChunk>> producer)
    {
        ArgumentNullException.ThrowIfNull(producer);
        this.producer = producer;
    }

    /// <summary>
    /// Starts <paramref name="chunks"/> and waits for its first chunk before committing to a 200
    /// stream, so a failure before any chunk (an upstream error status, say) is thrown here, where
    /// it can still become an ordinary error response.
    /// </summary>
    /// <param name="chunks">The chunks.</param>
    /// <param name="cancellationToken">The request's <c>RequestAborted</c> token; it reaches the producer.</param>
    /// <returns>The stream result, which replays the first chunk and continues with the rest.</returns>
    public static async Task<ChatCompletionStreamResult> StartAsync(IAsyncEnumerable<ChatCompletionChunk> chunks, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(chunks);
        IAsyncEnumerator<ChatCompletionChunk> enumerator = chunks.GetAsyncEnumerator(cancellationToken);
        bool hasFirst;
        try
        {
            hasFirst = await enumerator.MoveNextAsync().ConfigureAwait(false);
        }
        catch
        {
            await enumerator.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return new ChatCompletionStreamResult(_ => Continue(enumerator, hasFirst));
    }

    private static async IAsyncEnumerable<ChatCompletionChunk> Continue(IAsyncEnumerator<ChatCompletionChunk> started, bool hasFirst)
    {
        try
        {
            for (bool has = hasFirst; has; has = await started.MoveNextAsync().ConfigureAwait(false))
            {
                yield return started.Current;
            }
        }
        finally
        {
            await started.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public override Task ExecuteResultAsync(ActionContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return ExecuteAsync(context.HttpContext);
    }

    /// <inheritdoc />
    public async Task ExecuteAsync(HttpContext httpContext)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        HttpContext http = httpContext;
        CancellationToken aborted = http.RequestAborted;
        var logger = http.RequestServices.GetService<ILoggerFactory>()?.CreateLogger<ChatCompletionStreamResult>()
            ?? (ILogger)NullLogger.Instance;

        http.Response.StatusCode = StatusCodes.Status200OK;
        http.Response.ContentType = ChatCompletionStream.MediaType;
        http.Response.Headers.CacheControl = "no-cache";
        http.Response.Headers["X-Accel-Buffering"] = "no";
        http.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();

        try
        {
            // A client that stops reading is cut after the write time limit instead of holding buffers forever.
            TimeSpan writeTimeout = http.RequestServices.GetService<OpenPipeServerRuntime>()?.Options.StreamWriteTimeout ?? TimeSpan.FromSeconds(30);
            using var body = new StalledReaderGuard(http.Response.Body, http, writeTimeout);
            await body.FlushAsync(aborted).ConfigureAwait(false);
            using var writer = new ChunkWriter();
            await SseFormatter.WriteAsync(Events(producer(aborted), logger, aborted), body, writer.Format, aborted).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested)
        {
            // The client left, or stopped reading and was cut; the producer has been told through the same token.
        }
    }

    /// <summary>Events carry either a chunk or preformatted text ([DONE], an error).</summary>
    private static async IAsyncEnumerable<SseItem<object>> Events(IAsyncEnumerable<ChatCompletionChunk> chunks, ILogger logger, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        IAsyncEnumerator<ChatCompletionChunk> enumerator = chunks.GetAsyncEnumerator(cancellationToken);
        string? error = null;
        try
        {
            while (true)
            {
                ChatCompletionChunk chunk;
                try
                {
                    if (!await enumerator.MoveNextAsync().ConfigureAwait(false))
                    {
                        break;
                    }

                    chunk = enumerator.Current;
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    throw;
                }
                catch (Exception e)
                {
                    if (e is OpenPipeApiException)
                    {
                        logger.LogWarning(e, "The chat completion stream failed after it started ({Message}); ending it with an error event.", e.Message);
                    }
                    else
                    {
                        logger.LogError(e, "The chat completion stream failed after it started; ending it with an error event.");
                    }

                    error = OpenPipeJson.Serialize(OpenPipeErrors.StreamError(e));
                    break;
                }

                yield return new SseItem<object>(chunk);
            }
        }
        finally
        {
            await enumerator.DisposeAsync().ConfigureAwait(false);
        }

        yield return new SseItem<object>(error ?? ChatCompletionStream.Done);
    }

    /// <summary>
    /// Writes each event's data into the formatter's buffer as UTF-8: by the fast writer
    /// (Utf8DtoWriter, Newtonsoft's bytes) into one pooled buffer per stream, or when it gives up by
    /// one serializer with pooled char buffers per stream; no string per chunk.
    /// </summary>
    private sealed class ChunkWriter : IDisposable
    {
        private readonly Newtonsoft.Json.JsonSerializer serializer = Newtonsoft.Json.JsonSerializer.Create(OpenPipeJson.Settings);
        private readonly Utf8BufferTextWriter text = new();
        private readonly JsonBytes fast = new();

        public void Format(SseItem<object> item, System.Buffers.IBufferWriter<byte> destination)
        {
            if (item.Data is string preformatted)
            {
                System.Text.EncodingExtensions.GetBytes(System.Text.Encoding.UTF8, preformatted.AsSpan(), destination);
                return;
            }

            fast.Rewind(default);
            if (Utf8DtoWriter.TryWrite(fast, item.Data))
            {
                ReadOnlySpan<byte> written = fast.Written;
                written.CopyTo(destination.GetSpan(written.Length));
                destination.Advance(written.Length);
                return;
            }

            text.Target = destination;
            using (var json = new Newtonsoft.Json.JsonTextWriter(text) { ArrayPool = OpenPipeJson.CharPool, CloseOutput = false })
            {
                serializer.Serialize(json, item.Data);
            }

            text.Flush();
        }

        public void Dispose()
        {
            text.Dispose();
            fast.Dispose();
        }
    }

    /// <summary>
    /// A TextWriter that encodes into an <see cref="System.Buffers.IBufferWriter{T}"/>. Newtonsoft
    /// writes a chunk as many small pieces (each name, quote, colon and value), so they are
    /// gathered in a pooled char buffer and encoded in one pass on <see cref="Flush"/> (or when the
    /// buffer is full) rather than one encoder call per piece.
    /// </summary>
    private sealed class Utf8BufferTextWriter : System.IO.TextWriter
    {
        private readonly System.Text.Encoder encoder = new System.Text.UTF8Encoding(false).GetEncoder();
        private char[] chars = System.Buffers.ArrayPool<char>.Shared.Rent(4096);
        private int count;

        public System.Buffers.IBufferWriter<byte>? Target { get; set; }

        public override System.Text.Encoding Encoding => System.Text.Encoding.UTF8;

        public override void Write(char value)
        {
            if (count == chars.Length)
            {
                Drain(flush: false);
            }

            chars[count++] = value;
        }

        public override void Write(char[] buffer, int index, int count) => Write(buffer.AsSpan(index, count));

        public override void Write(string? value) => Write(value.AsSpan());

        public override void Write(ReadOnlySpan<char> text)
        {
            while (!text.IsEmpty)
            {
                if (count == chars.Length)
                {
                    Drain(flush: false);
                }

                int n = Math.Min(text.Length, chars.Length - count);
                text[..n].CopyTo(chars.AsSpan(count));
                count += n;
                text = text[n..];
            }
        }

        public override void Flush() => Drain(flush: true);

        protected override void Dispose(bool disposing)
        {
            if (disposing && chars.Length > 0)
            {
                System.Buffers.ArrayPool<char>.Shared.Return(chars);
                chars = [];
                count = 0;
            }

            base.Dispose(disposing);
        }

        /// <summary>Encodes what is buffered; without <paramref name="flush"/> a trailing high surrogate waits in the encoder for its pair.</summary>
        private void Drain(bool flush)
        {
            ReadOnlySpan<char> pending = chars.AsSpan(0, count);
            do
            {
                Span<byte> span = Target!.GetSpan(Math.Max(System.Text.Encoding.UTF8.GetMaxByteCount(Math.Min(pending.Length, 1024)), 8));
                encoder.Convert(pending[..Math.Min(pending.Length, 1024)], span, flush && pending.Length <= 1024, out int used, out int written, out _);
                Target.Advance(written);
                pending = pending[used..];
            }
            while (!pending.IsEmpty);

            count = 0;
        }
    }
}
