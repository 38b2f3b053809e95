// Adds: OpenPipeRequestBody, the kit's hardened body reader for an app's own routes of the API (the
// gateway's /report and /logs/update-tags): the same content type, encoding, size, well-formedness,
// strict primitives and spec checks as POST /chat/completions, into any generated request type, with
// errors in the API's shape.

using System;
using System.Diagnostics.CodeAnalysis;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;

namespace OpenPipe.Server;

/// <summary>Reads request bodies as the kit's chat completions route reads its own.</summary>
public static class OpenPipeRequestBody
{
    /// <summary>
    /// Reads the request's body as a <typeparamref name="T"/> (a type of the API's spec): JSON in UTF-8
    /// (415 otherwise), decoded from its Content-Encoding, at most <see cref="OpenPipeServerOptions.MaxRequestBodyBytes"/>
    /// (413), well-formed, every member of its spec type (400 with one issue per problem, each with its
    /// JSON path). Needs <c>AddOpenPipeServer</c>.
    /// </summary>
    /// <typeparam name="T">The request's type.</typeparam>
    /// <param name="context">The request.</param>
    /// <param name="cancellationToken">Cancels reading.</param>
    /// <returns>The value, or the error to answer with.</returns>
    public static async ValueTask<OpenPipeBodyResult<T>> ReadAsync<T>(HttpContext context, CancellationToken cancellationToken = default)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(context);
        var runtime = OpenPipeServerRuntime.Of(context);
        var read = await RequestBodyReader.ReadAsync<T>(context.Request, runtime.Options, fastPath: true, BodyCopy.None, "a JSON object", check: null, cancellationToken).ConfigureAwait(false);
        return read.Error is null ? new OpenPipeBodyResult<T>(read.Request!, null) : new OpenPipeBodyResult<T>(null, new OpenPipeJsonResult(read.Error, read.Status));
    }
}

/// <summary>A request body read by <see cref="OpenPipeRequestBody.ReadAsync{T}"/>: its value, or the error that answers it.</summary>
/// <typeparam name="T">The request's type.</typeparam>
public readonly struct OpenPipeBodyResult<T>
    where T : class
{
    internal OpenPipeBodyResult(T? value, OpenPipeJsonResult? error)
    {
        Value = value;
        Error = error;
    }

    /// <summary>The body, when it is valid.</summary>
    public T? Value { get; }

    /// <summary>The error response (400, 413, 415) when it is not.</summary>
    public OpenPipeJsonResult? Error { get; }

    /// <summary>Whether the body is valid.</summary>
    [MemberNotNullWhen(true, nameof(Value))]
    [MemberNotNullWhen(false, nameof(Error))]
    public bool IsValid => Error is null;
}
