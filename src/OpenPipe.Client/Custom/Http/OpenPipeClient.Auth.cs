// Adds: `Authorization: Bearer <key>` on every request, through the generated PrepareRequest hook
// (the streaming partial calls the same hook). With no key anywhere, the call fails before any
// request is sent.

using System;
using System.Net.Http;
using System.Net.Http.Headers;

namespace OpenPipe.Client;

public partial class OpenPipeClient
{
    partial void PrepareRequest(HttpClient client, HttpRequestMessage request, string url)
    {
        if (request.Headers.Authorization is not null)
        {
            return;
        }

        string key = options.ResolveApiKey() ?? throw new InvalidOperationException(
            $"No OpenPipe API key: set {nameof(OpenPipeClientOptions)}.{nameof(OpenPipeClientOptions.ApiKey)} or the {OpenPipeClientOptions.ApiKeyEnvironmentVariable} environment variable. No request was sent.");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
    }
}
