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
    /// <summary>Reads <paramref name="content"/> as a <typeparamref name="T"/>.</summary>
    /// <typeparam name="T">The DTO.</typeparam>
    /// <param name="content">The response content.</param>
    /// <param name="serializer">The serializer Newtonsoft reads with when the fast reader gives up.</param>
    /// <param name="cancellationToken">Cancels reading the body.</param>
    /// <returns>The value; null for a JSON null.</returns>
    /// <exception cref="JsonException">The body is not a <typeparamref name="T"/>.</exception>
    public static async Task<T?> ReadAsync<T>(HttpContent content, JsonSerializer serializer, CancellationToken cancellationToken)
    {
        // Buffered asynchronously (a no-op when the resilience handler already has): the reads below never block.
        await content.LoadIntoBufferAsync(cancellationToken).ConfigureAwait(false);
        using Stream stream = await content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        if (!stream.CanSeek || stream.Length > Array.MaxLength)
        {
            using var reader = OpenPipeJson.CreateReader(new PooledUtf8Reader(stream));
            return serializer.Deserialize<T>(reader);
        }

        int length = (int)stream.Length;
        byte[] bytes = ArrayPool<byte>.Shared.Rent(Math.Max(length, 1));
        try
        {
            stream.ReadExactly(bytes, 0, length);
            return Read<T>(bytes.AsSpan(0, length), serializer);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(bytes);
        }
    }

    /// <summary>Reads <paramref name="utf8"/> (a leading byte order mark is skipped) as a <typeparamref name="T"/>.</summary>
    /// <typeparam name="T">The DTO.</typeparam>
    /// <param name="utf8">The whole JSON document.</param>
    /// <param name="serializer">The serializer Newtonsoft reads with when the fast reader gives up.</param>
    /// <returns>The value; null for a JSON null.</returns>
    /// <exception cref="JsonException">The bytes are not a <typeparamref name="T"/>.</exception>
    public static T? Read<T>(ReadOnlySpan<byte> utf8, JsonSerializer serializer)
    {
        if (utf8.StartsWith("\uFEFF"u8))
        {
            utf8 = utf8[3..];
        }

        // The fast reader follows the wire settings' contracts: a serializer with another resolver reads for itself.
        if (OpenPipeJson.FollowsWireContracts(serializer) && Utf8DtoReader.TryRead(utf8, out T? value))
        {
            return value;
        }

        using var text = new CharBufferReader();
        text.Load(utf8);
        using var reader = OpenPipeJson.CreateReader(text);
        return serializer.Deserialize<T>(reader);
    }
}
