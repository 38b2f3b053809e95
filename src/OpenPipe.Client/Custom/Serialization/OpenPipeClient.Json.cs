// Adds: the generated client's serializer settings, pointed at the kit's one shared instance
// (OpenPipeJson.Settings) rather than a copy configured alike.

namespace OpenPipe.Client;

/// <summary>The client of OpenPipe's chat completions API (generated from openapi/openpipe.yaml; see the Custom partials).</summary>
public partial class OpenPipeClient
{
    partial void Initialize() => _instanceSettings = OpenPipeJson.Settings;
}
