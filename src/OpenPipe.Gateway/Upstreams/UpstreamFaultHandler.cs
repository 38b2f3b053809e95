using System;
using System.IO;
using System.Net;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;

namespace OpenPipe.Gateway.Upstreams;

/// <summary>
/// Sits under the client's retry handler on every upstream call and turns two faults into errors
/// the caller sees at once instead of a hang:
/// <list type="bullet">
/// <item>a response body (JSON or a stream) that stops sending: each read waits at most
/// <see cref="UpstreamOptions.IdleTimeout"/>, then fails with <see cref="UpstreamIdleTimeoutException"/>;</item>
/// <item>a 429 or 503 whose <c>Retry-After</c> is longer than <see cref="UpstreamOptions.MaxRetryAfter"/>:
/// no retry can wait that long, so it fails with <see cref="UpstreamRetryAfterException"/> (the gateway answers 429 with that Retry-After).</item>
/// </list>
/// </summary>
public sealed class UpstreamFaultHandler(UpstreamOptions options) : DelegatingHandler
{
    /// <inheritdoc />
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if ((int)response.StatusCode is 429 or 503 && RetryAfterOf(response) is { } wait && wait > options.MaxRetryAfter)
        {
            using (response)
            {
                string body = await ReadBodyAsync(response, cancellationToken).ConfigureAwait(false);
                throw new UpstreamRetryAfterException((int)response.StatusCode, wait, body, response.Content.Headers.ContentType?.MediaType);
            }
        }

        var idle = new IdleTimeoutContent(response.Content, options.IdleTimeout);
        response.Content = idle;
        return response;
    }

    /// <summary>The response's Retry-After (seconds or a date) as a wait from now.</summary>
    /// <param name="response">The response.</param>
    /// <returns>The wait, or null when there is none.</returns>
    internal static TimeSpan? RetryAfterOf(HttpResponseMessage response)
    {
        var header = response.Headers.RetryAfter;
        TimeSpan? wait = header?.Delta ?? (header?.Date is { } date ? date - DateTimeOffset.UtcNow : null);
        return wait is { } w && w < TimeSpan.Zero ? TimeSpan.Zero : wait;
    }

    private async Task<string> ReadBodyAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.IdleTimeout);
        try
        {
            return await response.Content.ReadAsStringAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or HttpRequestException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return string.Empty;
        }
    }

    /// <summary>The upstream's content, read through <see cref="IdleTimeoutStream"/>.</summary>
    private sealed class IdleTimeoutContent : HttpContent
    {
        private readonly HttpContent inner;
        private readonly TimeSpan idle;

        public IdleTimeoutContent(HttpContent inner, TimeSpan idle)
        {
            this.inner = inner;
            this.idle = idle;
            foreach (var header in inner.Headers)
            {
                Headers.TryAddWithoutValidation(header.Key, header.Value);
            }
        }

        protected override async Task<Stream> CreateContentReadStreamAsync() =>
            new IdleTimeoutStream(await inner.ReadAsStreamAsync().ConfigureAwait(false), idle);

        protected override async Task<Stream> CreateContentReadStreamAsync(CancellationToken cancellationToken) =>
            new IdleTimeoutStream(await inner.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false), idle);

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => SerializeToStreamAsync(stream, context, CancellationToken.None);

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
        {
            await using var source = new IdleTimeoutStream(await inner.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false), idle);
            await source.CopyToAsync(stream, cancellationToken).ConfigureAwait(false);
        }

        protected override bool TryComputeLength(out long length)
        {
            length = inner.Headers.ContentLength ?? 0;
            return inner.Headers.ContentLength is not null;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }

    /// <summary>Fails a read that gets no bytes within the idle time-out.</summary>
    private sealed class IdleTimeoutStream(Stream inner, TimeSpan idle) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(idle);
            try
            {
                return await inner.ReadAsync(buffer, timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                throw new UpstreamIdleTimeoutException(idle);
            }
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count, CancellationToken.None).GetAwaiter().GetResult();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }

        public override async ValueTask DisposeAsync()
        {
            await inner.DisposeAsync().ConfigureAwait(false);
            await base.DisposeAsync().ConfigureAwait(false);
        }
    }
}

/// <summary>The upstream sent no bytes for longer than the idle time-out (an <see cref="IOException"/>, so a non-streaming call may be retried).</summary>
/// <param name="idle">The idle time-out.</param>
public sealed class UpstreamIdleTimeoutException(TimeSpan idle)
    : IOException($"The upstream sent nothing for {idle.TotalSeconds:0.###} s (Gateway:Upstreams:NAME:IdleTimeout).")
{
    /// <summary>The idle time-out that passed.</summary>
    public TimeSpan IdleTimeout { get; } = idle;
}

/// <summary>The upstream asked to be called again later than the gateway's retry budget allows.</summary>
/// <param name="status">The upstream's status (429 or 503).</param>
/// <param name="retryAfter">The upstream's Retry-After.</param>
/// <param name="body">The upstream's body.</param>
/// <param name="contentType">The body's media type.</param>
public sealed class UpstreamRetryAfterException(int status, TimeSpan retryAfter, string body, string? contentType)
    : Exception($"The upstream answered {status} with Retry-After {retryAfter.TotalSeconds:0} s, beyond the retry budget.")
{
    /// <summary>The upstream's status.</summary>
    public int Status { get; } = status;

    /// <summary>The upstream's Retry-After.</summary>
    public TimeSpan RetryAfter { get; } = retryAfter;

    /// <summary>The upstream's body.</summary>
    public string Body { get; } = body;

    /// <summary>The body's media type.</summary>
    public string? ContentType { get; } = contentType;
}

/// <summary>The upstream's stream was not a complete chat completion stream (empty, not SSE, or cut before its end).</summary>
/// <param name="message">What was wrong.</param>
public sealed class UpstreamStreamException(string message) : Exception(message)
{
}
