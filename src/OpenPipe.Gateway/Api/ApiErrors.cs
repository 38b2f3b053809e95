using System.Collections.Generic;
using OpenPipe.Server;

namespace OpenPipe.Gateway.Api;

/// <summary>Errors of the gateway's own routes, in the API's error shape.</summary>
internal static class ApiErrors
{
    /// <summary>An error result; with a path, one issue at it.</summary>
    /// <param name="status">The HTTP status.</param>
    /// <param name="message">The message.</param>
    /// <param name="path">The JSON path of the member at fault, if any.</param>
    /// <returns>The result to answer with.</returns>
    public static OpenPipeJsonResult Error(int status, string message, IList<object>? path = null) =>
        new(OpenPipeErrors.Create(status, message, path is { Count: > 0 } ? [new ErrorIssue { Message = message, Path = path }] : null), status);
}
