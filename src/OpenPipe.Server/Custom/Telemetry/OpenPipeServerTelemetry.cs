// Adds: the server side of the GenAI telemetry (ActivitySource and Meter OpenPipe.Server): a
// `chat {model}` span of kind server around each answer, gen_ai.server.request.duration (a stream's
// ends when its last chunk was handed to the writer, or when it failed or the client left) and
// gen_ai.server.time_to_first_token for streams. Content only when OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true.

using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;

namespace OpenPipe.Server;

/// <summary>Wraps the answer to one request in the server's GenAI span and measurements.</summary>
internal static class OpenPipeServerTelemetry
{
    /// <summary>
    /// Calls the handler inside a span, recording the completion's attributes; while nothing observes
    /// the server's telemetry, calls it directly (no span, no wrapper).
    /// </summary>
    internal static Task<ChatCompletion> CompleteAsync(IChatCompletionHandler handler, ChatCompletionRequest request, ChatCompletionContext context, CancellationToken cancellationToken) =>
        GenAiTelemetry.Server.IsObserved
            ? ObservedAsync(handler, request, context, cancellationToken)
            : handler.CompleteAsync(request, context, cancellationToken);

    private static async Task<ChatCompletion> ObservedAsync(IChatCompletionHandler handler, ChatCompletionRequest request, ChatCompletionContext context, CancellationToken cancellationToken)
    {
        using var operation = GenAiTelemetry.Server.Start(request, null, streaming: false, GenAiTelemetry.CaptureContentFromEnvironment);
        try
        {
            var completion = await handler.CompleteAsync(request, context, cancellationToken).ConfigureAwait(false);
            if (completion is null)
            {
                // The pipeline answers a null completion with its own error; the span records the failure.
                operation.Fail(new InvalidOperationException("The handler returned no completion."));
                return completion!;
            }

            operation.Complete(completion);
            return completion;
        }
        catch (Exception e)
        {
            operation.Fail(e);
            throw;
        }
    }

    /// <summary>Passes the chunks on inside a span that ends after the last one.</summary>
    internal static IAsyncEnumerable<ChatCompletionChunk> StreamAsync(ChatCompletionRequest request, IAsyncEnumerable<ChatCompletionChunk> chunks, CancellationToken cancellationToken = default) =>
        ChatOperation.ObserveStreamAsync(() => GenAiTelemetry.Server.Start(request, null, streaming: true, GenAiTelemetry.CaptureContentFromEnvironment), chunks, cancellationToken);
}
