using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Text;
using CsCheck;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace OpenPipe.Fuzz.Tests;

/// <summary>One HTTP request to send: a body and the headers that say how to read it.</summary>
public sealed record FuzzRequest(string Description, byte[] Body, string? ContentType, string? ContentEncoding, IReadOnlyList<KeyValuePair<string, string>> Headers)
{
    /// <summary>What reproduces the case: the mutations, the headers and the start of the body.</summary>
    public override string ToString()
    {
        string body;
        try
        {
            body = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(Body, 0, Math.Min(Body.Length, 600));
        }
        catch (DecoderFallbackException)
        {
            body = "base64:" + Convert.ToBase64String(Body, 0, Math.Min(Body.Length, 600));
        }

        string headers = string.Join(", ", Headers.Select(h => $"{h.Key}: {h.Value}"));
        return $"{Description} | Content-Type: {ContentType} | Content-Encoding: {ContentEncoding} | {headers} | {Body.Length} bytes: {body}";
    }
}

/// <summary>
/// CsCheck generators that take a valid request (Seeds/*.json) and break it: values of the wrong
/// type, deep nesting, metadata keys ($type, $id, $ref), duplicate keys, sizes, unicode, invalid
/// UTF-8, truncation and trailing bytes, Content-Encoding and Content-Type, op-* headers.
/// </summary>
public static class RequestMutations
{
    private static readonly string[] MetadataKeys = ["$type", "$id", "$ref", "$values", "$schema", "__proto__", "constructor", "$", ""];

    private static readonly string[] Unicode =
    [
        "\u0000", "\u202e", "\u200b", "\ufeff", "\ud83d\ude00", "\ud800", "\udfff", "\u00e9", "\u4e2d\u6587", "\\", "\"", "\n", "\u2028",
    ];

    /// <summary>The valid requests the mutations start from.</summary>
    public static IReadOnlyList<string> Seeds { get; } = Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "Seeds"), "*.json")
        .OrderBy(f => f, StringComparer.Ordinal).Select(File.ReadAllText).ToList();

    /// <summary>A JSON value of any type, sometimes deeply nested, sometimes large.</summary>
    public static Gen<JToken> AnyValue { get; } = Gen.Frequency(
        (4, Gen.OneOf<JToken>(JValue.CreateNull(), new JValue(true), new JValue(false), new JValue(0), new JValue(-1), new JValue(long.MaxValue),
            new JValue(1e308), new JValue(-0.0), new JValue(0.5), new JValue(""), new JValue("true"), new JValue("1"), new JValue("auto"),
            new JArray(), new JObject(), new JArray(JValue.CreateNull()))),
        (2, Gen.Int[0, Unicode.Length - 1].Array[1, 6].Select(ix => (JToken)new JValue(string.Concat(ix.Select(i => Unicode[i]))))),
        (2, Gen.String.Select(s => (JToken)new JValue(s))),
        (1, Gen.Int[1, 200].Select(Nested)),
        (1, Gen.Int[1, 300_000].Select(n => (JToken)new JValue(new string('x', n)))),
        (1, Gen.Double.Select(d => (JToken)new JValue(double.IsFinite(d) ? d : 0))),
        (1, Gen.Long.Select(l => (JToken)new JValue(l))));

    /// <summary>A request built from a seed and one to four mutations.</summary>
    public static Gen<FuzzRequest> Requests { get; } =
        Gen.Select(Gen.Int[0, Seeds.Count - 1], Gen.Int[1, 4], Gen.Int[0, int.MaxValue].Array[8], Gen.Int[0, 11].Array[4], AnyValue.Array[4])
            .Select((seed, count, random, kinds, values) => Build(Seeds[seed], kinds.Take(count).ToArray(), random, values));

    private static JToken Nested(int depth)
    {
        JToken token = new JValue("deep");
        for (int i = 0; i < depth; i++)
        {
            token = i % 3 == 2 ? new JObject { ["a"] = token } : new JArray(token);
        }

        return token;
    }

    private static FuzzRequest Build(string seed, int[] kinds, int[] random, JToken[] values)
    {
        var json = JObject.Parse(seed);
        var notes = new List<string>();
        string? contentType = "application/json";
        string? contentEncoding = null;
        var headers = new List<KeyValuePair<string, string>>();
        Func<byte[], byte[]> bytes = b => b;
        int r = 0;
        int Next(int max) => max <= 0 ? 0 : random[r++ % random.Length] % max;
        Func<string, string> text = s => s;

        for (int k = 0; k < kinds.Length; k++)
        {
            JToken value = values[k];
            var tokens = json.DescendantsAndSelf().Where(t => t is JValue or JArray or JObject).ToList();
            var objects = tokens.OfType<JObject>().ToList();
            switch (kinds[k])
            {
                case 0:
                case 1:
                {
                    var target = tokens[Next(tokens.Count)];
                    if (target.Parent is null)
                    {
                        goto case 2;
                    }

                    notes.Add($"replace {target.Path} with {Describe(value)}");
                    target.Replace(value.DeepClone());
                    break;
                }

                case 2:
                {
                    var target = objects[Next(objects.Count)];
                    string key = Next(2) == 0 ? MetadataKeys[Next(MetadataKeys.Length)] : Pick(target.Properties().Select(p => p.Name).ToList(), Next) ?? "x";
                    notes.Add($"set {target.Path}.{key} to {Describe(value)}");
                    target[key] = value.DeepClone();
                    break;
                }

                case 3:
                {
                    var target = objects[Next(objects.Count)];
                    var property = Pick(target.Properties().ToList(), Next);
                    if (property is not null)
                    {
                        notes.Add($"remove {property.Path}");
                        property.Remove();
                    }

                    break;
                }

                case 4:
                {
                    // A duplicate key at the top: the JSON text gets the same name twice.
                    string name = Pick(json.Properties().Select(p => p.Name).ToList(), Next) ?? "model";
                    string duplicate = JsonConvert.ToString(name) + ":" + value.ToString(Formatting.None) + ",";
                    notes.Add($"duplicate key {name}");
                    var previous = text;
                    text = s => previous(s).Insert(1, duplicate);
                    break;
                }

                case 5:
                {
                    var messages = json["messages"] as JArray;
                    int copies = new[] { 0, 1, 500, 5000 }[Next(4)];
                    notes.Add($"messages x{copies}");
                    if (messages is { Count: > 0 })
                    {
                        // At most ~5 MB of messages: past the server's 4 MiB limit, never far past it.
                        var first = messages[0];
                        copies = Math.Min(copies, 5_000_000 / Math.Max(1, first.ToString(Formatting.None).Length));
                        messages.Clear();
                        for (int i = 0; i < copies; i++)
                        {
                            messages.Add(first.DeepClone());
                        }
                    }

                    json["n"] = new[] { 1, 2, 64, 128, 129, 100000 }[Next(6)];
                    break;
                }

                case 6:
                {
                    // Bytes that are not UTF-8 inside a string, or a truncated / extended body.
                    byte[][] bad = [[0xFF], [0xC3, 0x28], [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82]];
                    byte[] insert = bad[Next(bad.Length)];
                    int mode = Next(4);
                    notes.Add($"bytes mode {mode} [{string.Join(' ', insert.Select(b => b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture)))}]");
                    int cut = Next(1000);
                    var previous = bytes;
                    bytes = mode switch
                    {
                        0 => b => InsertIntoString(previous(b), insert),
                        1 => b => previous(b)[..Math.Max(0, previous(b).Length - 1 - (cut % Math.Max(1, previous(b).Length)))],
                        2 => b => [.. previous(b), .. Encoding.UTF8.GetBytes(new[] { "}", " x", "{}", "\u0000", "\n\n[1]" }[cut % 5])],
                        _ => b => [0xEF, 0xBB, 0xBF, .. previous(b)],
                    };
                    break;
                }

                case 7:
                {
                    string[] encodings = ["gzip", "br", "deflate", "gzip", "zstd", "identity", "gzip, gzip", "GZIP"];
                    contentEncoding = encodings[Next(encodings.Length)];
                    bool garbage = Next(4) == 0;
                    notes.Add($"content-encoding {contentEncoding}{(garbage ? " (not compressed)" : string.Empty)}");
                    string encoding = contentEncoding;
                    var previous = bytes;
                    bytes = garbage ? previous : b => Compress(previous(b), encoding);
                    break;
                }

                case 8:
                {
                    string?[] types = [null, "text/plain", "application/json; charset=utf-16", "application/json; charset=latin1", "application/x-www-form-urlencoded", "application/json; charset=\"", "*/*", "application/merge-patch+json"];
                    contentType = types[Next(types.Length)];
                    notes.Add($"content-type {contentType ?? "(none)"}");
                    if (contentType?.Contains("utf-16", StringComparison.Ordinal) == true && Next(2) == 0)
                    {
                        var previous = bytes;
                        bytes = b => Encoding.Unicode.GetBytes(Encoding.UTF8.GetString(previous(b)));
                    }

                    break;
                }

                case 9:
                {
                    string[] names = ["op-tags", "op-cache", "op-log-request", "op-criteria"];
                    string[] values9 = ["{", "[]", "{\"a\":1}", "{\"a\":{\"b\":\"c\"}}", "null", "readWrite", "READWRITE", "maybe", "true", "\"x\"", "{\"$type\":\"x\"}", new string('{', 300)];
                    string name = names[Next(names.Length)];
                    string headerValue = values9[Next(values9.Length)];
                    notes.Add($"header {name}: {headerValue[..Math.Min(20, headerValue.Length)]}");
                    headers.Add(new(name, headerValue));
                    break;
                }

                case 10:
                {
                    json["stream"] = new JToken[] { true, "true", 1, JValue.CreateNull(), false }[Next(5)];
                    notes.Add($"stream {json["stream"]!.ToString(Formatting.None)}");
                    break;
                }

                default:
                {
                    // A value nested deeply where content or an unknown field is read.
                    int depth = new[] { 31, 32, 33, 64, 65, 127, 128, 129, 1000 }[Next(9)];
                    string where = Next(2) == 0 ? "unknown_field" : "content";
                    notes.Add($"nest {depth} in {where}");
                    if (where == "content" && json["messages"] is JArray { Count: > 0 } m && m[^1] is JObject last)
                    {
                        last["content"] = Nested(depth);
                    }
                    else
                    {
                        json[where] = Nested(depth);
                    }

                    break;
                }
            }
        }

        byte[] body = bytes(Encoding.UTF8.GetBytes(text(json.ToString(Formatting.None))));
        return new FuzzRequest(string.Join("; ", notes), body, contentType, contentEncoding, headers);
    }

    private static T? Pick<T>(List<T> items, Func<int, int> next) => items.Count == 0 ? default : items[next(items.Count)];

    private static string Describe(JToken value)
    {
        string s = value.ToString(Formatting.None);
        return s.Length > 40 ? $"{value.Type}({s.Length} chars)" : s;
    }

    private static byte[] InsertIntoString(byte[] body, byte[] insert)
    {
        int quote = Array.IndexOf(body, (byte)'"', body.Length / 3);
        int at = quote < 0 ? body.Length / 2 : quote + 1;
        return [.. body[..at], .. insert, .. body[at..]];
    }

    private static byte[] Compress(byte[] body, string encoding)
    {
        using var output = new MemoryStream();
        using (Stream compressor = encoding.ToLowerInvariant() switch
        {
            "br" => new BrotliStream(output, CompressionLevel.Fastest, leaveOpen: true),
            "deflate" => new ZLibStream(output, CompressionLevel.Fastest, leaveOpen: true),
            "gzip, gzip" => new GZipStream(new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true), CompressionLevel.Fastest),
            "zstd" or "identity" => new MemoryStream(),
            _ => new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true),
        })
        {
            if (compressor is MemoryStream)
            {
                return body;
            }

            compressor.Write(body);
        }

        return output.ToArray();
    }
}
