// Adds: the generated client's serializer settings hook, pointed at the kit's shared wire settings.

namespace OpenPipe.Client;

/// <summary>The client of OpenPipe's chat completions API (generated from openapi/openpipe.yaml; see the Custom partials).</summary>
public partial class OpenPipeClient
{
    static partial void UpdateJsonSerializerSettings(Newtonsoft.Json.JsonSerializerSettings settings) =>
        OpenPipeJson.Configure(settings);
}
