// Adds: the client's entry into GenAiTelemetry: one `chat {model}` span per call, tagged with the
// server address and OpenPipe's cache mode, recording content only when the options ask for it.

using System;

namespace OpenPipe.Client;

public partial class OpenPipeClient
{
    /// <summary>The server address of the spans, parsed once per base URL (BaseUrl can be set at any time).</summary>
    private TelemetryServer? telemetryServer;

    private ChatOperation StartOperation(ChatCompletionRequest request, OpenPipeRequestOptions? requestOptions, bool streaming)
    {
        string baseUrl = BaseUrl;
        var known = telemetryServer;
        if (known is null || !ReferenceEquals(known.BaseUrl, baseUrl))
        {
            telemetryServer = known = new TelemetryServer(baseUrl, Uri.TryCreate(baseUrl, UriKind.Absolute, out var url) ? url : null);
        }

        Uri? server = known.Server;
        var operation = GenAiTelemetry.Client.Start(request, server, streaming, options.EnableSensitiveTelemetryData ?? GenAiTelemetry.CaptureContentFromEnvironment);
        if (requestOptions?.Cache is { } cache)
        {
            operation.SetTag("openpipe.cache", OpenPipeRequestOptions.CacheHeader(cache));
        }

        return operation;
    }

    private sealed record TelemetryServer(string BaseUrl, Uri? Server);
}
