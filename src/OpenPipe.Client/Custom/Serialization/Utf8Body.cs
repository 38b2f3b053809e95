// Adds: how the generated client reads a response body (through
// nswag.templates/Client.Class.ReadObjectResponse.liquid): the body, already buffered, is copied
// once into a pooled byte array and read by the UTF-8 fast reader; when that gives up, Newtonsoft
// reads the same bytes, so errors and lenient reads are Newtonsoft's.

using System;
using System.Buffers;
using System.IO;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using Newtonsoft.Json;

namespace OpenPipe.Client;

/// <summary>Reads JSON bodies from UTF-8 bytes: the fast reader first, Newtonsoft when it gives up.</summary>
internal static class Utf8Body
{
    private static readonly JsonSerializer Serializer = JsonSerializer.Create(OpenPipeJson.Settings);

    /// <summary>Reads <paramref name="content"/> as a <typeparamref name="T"/>.</summary>
    /// <typeparam name="T">The DTO.</typeparam>
    /// <param name="content">The response content.</param>
    /// <param name="cancellationToken">Cancels reading the body.</param>
    /// <returns>The value; null for a JSON null.</returns>
    /// <exception cref="JsonException">The body is not a <typeparamref name="T"/>.</exception>
    public static async Task<T?> ReadAsync<T>(HttpContent content, CancellationToken cancellationToken)
    {
        // Buffered asynchronously (a no-op when the resilience handler already has): the reads below never block.
        await content.LoadIntoBufferAsync(cancellationToken).ConfigureAwait(false);
        using Stream stream = await content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        if (!stream.CanSeek || stream.Length > Array.MaxLength)
        {
            using var reader = OpenPipeJson.CreateReader(new StreamReader(stream, System.Text.Encoding.UTF8));
            return Serializer.Deserialize<T>(reader);
        }

        int length = (int)stream.Length;
        byte[] bytes = ArrayPool<byte>.Shared.Rent(Math.Max(length, 1));
        try
        {
            stream.ReadExactly(bytes, 0, length);
            return OpenPipeJson.Deserialize<T>(bytes.AsSpan(0, length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(bytes);
        }
    }
}
