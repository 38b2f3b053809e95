// Adds: the names under which the kit publishes traces and metrics, shared by the client, the
// server and the gateway (the instrumentation itself is compiled into each of them).

namespace OpenPipe;

/// <summary>The names under which the kit publishes traces and metrics (pass them to <c>AddSource</c> and <c>AddMeter</c>).</summary>
public static class OpenPipeTelemetry
{
    /// <summary>The ActivitySource and Meter of <c>OpenPipe.Client.OpenPipeClient</c>.</summary>
    public const string ClientSourceName = "OpenPipe.Client";

    /// <summary>The ActivitySource and Meter of OpenPipe.Server's endpoint.</summary>
    public const string ServerSourceName = "OpenPipe.Server";

    /// <summary>The ActivitySource and Meter of the gateway (routing, cache, request log).</summary>
    public const string GatewaySourceName = "OpenPipe.Gateway";

    /// <summary>
    /// The environment variable that turns on recording of prompts and completions in spans
    /// (<c>true</c>), as OpenTelemetry's GenAI instrumentations read it.
    /// </summary>
    public const string CaptureContentEnvironmentVariable = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT";
}
