using System.Collections.Generic;
using OpenPipe.Client;
using OpenPipe.Gateway.Upstreams;
using OpenPipe.Server;

namespace OpenPipe.Gateway.Pipeline;

/// <summary>
/// The answer to a model no route serves when <see cref="GatewayOptions.DefaultBackend"/> is empty:
/// 404 in the API's error shape, with OpenAI's <c>model_not_found</c> code, type and message in
/// <c>error</c>, so OpenAI's SDKs report it as OpenAI's own answer.
/// </summary>
internal static class ModelNotFound
{
    /// <summary>OpenAI's code for a model that does not exist.</summary>
    public const string Code = "model_not_found";

    /// <summary>The error for <paramref name="model"/>.</summary>
    /// <param name="model">The requested model.</param>
    /// <returns>The error.</returns>
    public static GatewayError For(string model)
    {
        string message = $"The model `{model}` does not exist or you do not have access to it.";
        var body = OpenPipeErrors.Create(404, message);
        body.Error!.Code = Code;
        body.Error.Type = "invalid_request_error";
        return new GatewayError(404, OpenPipeJson.Serialize(body), message, new Dictionary<string, string>());
    }
}
