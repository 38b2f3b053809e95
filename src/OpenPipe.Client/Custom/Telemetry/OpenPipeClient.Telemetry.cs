// Adds: the client's entry into GenAiTelemetry: one `chat {model}` span per call, tagged with the
// server address and OpenPipe's cache mode, recording content only when the options ask for it.

using System;

namespace OpenPipe.Client;

public partial class OpenPipeClient
{
    private ChatOperation StartOperation(ChatCompletionRequest request, OpenPipeRequestOptions? requestOptions, bool streaming)
    {
        Uri? server = Uri.TryCreate(BaseUrl, UriKind.Absolute, out var url) ? url : null;
        var operation = GenAiTelemetry.Client.Start(request, server, streaming, options.EnableSensitiveTelemetryData ?? OpenPipeTelemetry.CaptureContentFromEnvironment);
        if (requestOptions?.Cache is { } cache)
        {
            operation.SetTag("openpipe.cache", OpenPipeRequestOptions.CacheHeader(cache));
        }

        return operation;
    }
}
