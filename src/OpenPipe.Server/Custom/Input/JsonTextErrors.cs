// Adds: what is wrong with a request body that System.Text.Json refused, said in the API's terms
// with its place (line, byte and JSON path): cut off (inside an object, array, string or key, after
// a key), a trailing comma, nesting past the depth limit, a bad literal or an unexpected character,
// a key without double quotes, a comment, a bad escape or a control character in a string, a bad
// number, content after the object, a key twice in one object or with an unpaired surrogate
// escape (which System.Text.Json cannot compare, so it is refused). It is classified from the reader's
// state (the open objects and arrays, the last token read) and the bytes where reading stopped,
// never from System.Text.Json's messages, whose wording is the reader's, not the API's. It runs only
// for a body that has already failed, so a valid body never pays for it.

using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace OpenPipe.Server;

/// <summary>Names the syntax problem of a JSON body that did not parse, and where it is.</summary>
internal static class JsonTextErrors
{
    /// <summary>The most path segments a message spells out; a deeper path keeps its start and end.</summary>
    private const int MaxRenderedSegments = 12;

    /// <summary>The most characters of a key or a word from the body a message quotes.</summary>
    private const int MaxQuoted = 40;

    /// <summary>
    /// What is wrong with the JSON in <paramref name="body"/> (from <paramref name="start"/>, after
    /// a byte order mark) and the JSON path where; null when nothing is (the text is one
    /// well-formed value, nested within <paramref name="depthLimit"/>, without a key twice in one object).
    /// </summary>
    /// <param name="body">The body, UTF-8 (already checked).</param>
    /// <param name="start">Where the JSON starts (3 after a byte order mark, else 0); positions count from the body's start.</param>
    /// <param name="depthLimit">The most levels of objects and arrays allowed.</param>
    /// <returns>The message and the path, or null.</returns>
    public static (string Message, IList<object> Path)? Describe(ReadOnlySpan<byte> body, int start, int depthLimit)
    {
        var stack = new List<Frame>();
        var reader = new Utf8JsonReader(body[start..], new JsonReaderOptions { MaxDepth = Math.Min(depthLimit, int.MaxValue - 1) + 1 });
        var scanner = new Scanner(body, start, depthLimit, stack);
        long resume = 0;
        JsonTokenType last = JsonTokenType.None;
        try
        {
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.StartObject:
                    case JsonTokenType.StartArray:
                        BeginValue(stack);
                        if (reader.CurrentDepth >= depthLimit)
                        {
                            return scanner.TooDeep((int)reader.TokenStartIndex);
                        }

                        stack.Add(new Frame(reader.TokenType == JsonTokenType.StartArray));
                        break;
                    case JsonTokenType.EndObject:
                    case JsonTokenType.EndArray:
                        stack.RemoveAt(stack.Count - 1);
                        break;
                    case JsonTokenType.PropertyName:
                        var frame = stack[^1];
                        if (!TryKeyOf(ref reader, out string name))
                        {
                            // Not text (System.Text.Json cannot compare it with the others either).
                            return scanner.Problem($"the key '{Quote(name)}' with an unpaired surrogate escape", (int)reader.TokenStartIndex, Path(stack, false), "a key must be valid Unicode text");
                        }

                        frame.Name = name;
                        frame.Keys ??= new HashSet<string>(StringComparer.Ordinal);
                        if (!frame.Keys.Add(frame.Name))
                        {
                            return scanner.Problem($"the key '{Quote(frame.Name)}' twice in one object, the second time", (int)reader.TokenStartIndex, Path(stack, true));
                        }

                        break;
                    default:
                        BeginValue(stack);
                        break;
                }

                // After a key, the scanner starts again at the key (the reader is past its ':'), so that it
                // knows whose value it reads.
                last = reader.TokenType;
                resume = last == JsonTokenType.PropertyName ? reader.TokenStartIndex : reader.BytesConsumed;
            }

            return null;
        }
        catch (JsonException)
        {
            // The read that failed is classified from the reader's state and the bytes after its last token.
        }

        return scanner.Run((int)resume, last);
    }

    /// <summary>A path as a message shows it: $.messages[0].content; a long one elided in the middle.</summary>
    /// <param name="path">Property names and array indices.</param>
    /// <returns>The text.</returns>
    internal static string Render(IList<object> path)
    {
        var text = new StringBuilder("$");
        for (int i = 0; i < path.Count; i++)
        {
            if (path.Count > MaxRenderedSegments && i >= MaxRenderedSegments - 4 && i < path.Count - 2)
            {
                if (i == MaxRenderedSegments - 4)
                {
                    text.Append("...");
                }

                continue;
            }

            switch (path[i])
            {
                case int index:
                    text.Append('[').Append(index.ToString(CultureInfo.InvariantCulture)).Append(']');
                    break;
                case string name when IsIdentifier(name):
                    text.Append('.').Append(Quote(name));
                    break;
                case string name:
                    text.Append("['").Append(Quote(name)).Append("']");
                    break;
            }
        }

        return text.ToString();
    }

    /// <summary>A key or word as a message quotes it: a long one cut short, so the message stays short.</summary>
    private static string Quote(string text) => text.Length <= MaxQuoted ? text : string.Concat(text.AsSpan(0, MaxQuoted - 3), "...");

    /// <summary>In an array, a value starting is its next element.</summary>
    private static void BeginValue(List<Frame> stack)
    {
        if (stack.Count > 0 && stack[^1].IsArray)
        {
            stack[^1].Index++;
        }
    }

    /// <summary>
    /// The path to where reading is: each open object's current key and each open array's current
    /// index; without the innermost container's own member when <paramref name="member"/> is false.
    /// </summary>
    private static List<object> Path(List<Frame> stack, bool member)
    {
        var path = new List<object>(stack.Count);
        int count = member ? stack.Count : stack.Count - 1;
        for (int i = 0; i < count; i++)
        {
            var frame = stack[i];
            if (frame.IsArray && frame.Index >= 0)
            {
                path.Add(frame.Index);
            }
            else if (!frame.IsArray && frame.Name is not null)
            {
                path.Add(frame.Name);
            }
        }

        return path;
    }

    /// <summary>The key at the reader; false, with the key as written, when it is not text (an escaped lone surrogate).</summary>
    private static bool TryKeyOf(ref Utf8JsonReader reader, out string key)
    {
        try
        {
            key = reader.GetString()!;
            return true;
        }
        catch (InvalidOperationException)
        {
            key = Encoding.UTF8.GetString(reader.ValueSpan);
            return false;
        }
    }

    private static bool IsIdentifier(string name)
    {
        if (name.Length == 0 || char.IsAsciiDigit(name[0]))
        {
            return false;
        }

        foreach (char c in name)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c != '_')
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>An open object or array: the key or index being read in it.</summary>
    private sealed class Frame(bool isArray)
    {
        public bool IsArray { get; } = isArray;

        public int Index { get; set; } = -1;

        public string? Name { get; set; }

        public HashSet<string>? Keys { get; set; }
    }

    /// <summary>What the scanner expects next.</summary>
    private enum Expect
    {
        /// <summary>A value (at the start, after ':' or after ',' in an array).</summary>
        Value,

        /// <summary>A value or ']' (after '[').</summary>
        ValueOrEnd,

        /// <summary>A key (after ',' in an object).</summary>
        Key,

        /// <summary>A key or '}' (after '{').</summary>
        KeyOrEnd,

        /// <summary>The ':' after a key.</summary>
        Colon,

        /// <summary>',' or the end of the open object or array, or the end of the body at the top.</summary>
        AfterValue,
    }

    /// <summary>
    /// Reads on from where the reader stopped, by JSON's grammar, to the first byte that breaks it:
    /// the problem is then named by what was expected there and what is there instead.
    /// </summary>
    private ref struct Scanner
    {
        private readonly ReadOnlySpan<byte> body;
        private readonly ReadOnlySpan<byte> json;
        private readonly int start;
        private readonly int depthLimit;
        private readonly List<Frame> stack;
        private int p;

        public Scanner(ReadOnlySpan<byte> body, int start, int depthLimit, List<Frame> stack)
        {
            this.body = body;
            json = body[start..];
            this.start = start;
            this.depthLimit = depthLimit;
            this.stack = stack;
        }

        private readonly bool End => p >= json.Length;

        /// <summary>The problem at or after <paramref name="resume"/>, where the token after <paramref name="last"/> starts.</summary>
        public (string Message, IList<object> Path)? Run(int resume, JsonTokenType last)
        {
            p = resume;
            Expect expect = last switch
            {
                JsonTokenType.None => Expect.Value,
                JsonTokenType.StartObject => Expect.KeyOrEnd,
                JsonTokenType.StartArray => Expect.ValueOrEnd,
                JsonTokenType.PropertyName => Expect.Key,
                _ => Expect.AfterValue,
            };
            int comma = -1;
            bool afterKey = false;
            while (true)
            {
                SkipWhitespace();
                if (!End && json[p] == '/' && p + 1 < json.Length && json[p + 1] is (byte)'/' or (byte)'*')
                {
                    return Problem("a comment", p, Path(stack, false), "JSON does not allow comments");
                }

                switch (expect)
                {
                    case Expect.Value:
                    case Expect.ValueOrEnd:
                        if (End)
                        {
                            return stack.Count == 0 ? Empty()
                                : afterKey ? Truncated($"after the key '{Quote(stack[^1].Name!)}'", Path(stack, true))
                                : Truncated("inside an array", Path(stack, false));
                        }

                        if (expect == Expect.ValueOrEnd && json[p] == ']')
                        {
                            stack.RemoveAt(stack.Count - 1);
                            p++;
                            expect = Expect.AfterValue;
                            break;
                        }

                        if (comma >= 0 && json[p] == ']')
                        {
                            return Problem("a trailing comma before ']'", comma, Path(stack, true));
                        }

                        if (afterKey && json[p] is (byte)'}' or (byte)']' or (byte)',')
                        {
                            return Problem($"no value for the key '{Quote(stack[^1].Name!)}'", p, Path(stack, true));
                        }

                        BeginValue(stack);
                        if (ReadValue(ref expect) is { } valueProblem)
                        {
                            return valueProblem;
                        }

                        comma = -1;
                        afterKey = false;
                        break;

                    case Expect.Key:
                    case Expect.KeyOrEnd:
                        if (End)
                        {
                            return Truncated("inside an object", Path(stack, false));
                        }

                        if (json[p] == '}')
                        {
                            if (comma >= 0)
                            {
                                return Problem("a trailing comma before '}'", comma, Path(stack, true));
                            }

                            if (expect == Expect.KeyOrEnd)
                            {
                                stack.RemoveAt(stack.Count - 1);
                                p++;
                                expect = Expect.AfterValue;
                                break;
                            }
                        }

                        if (ReadKey() is { } keyProblem)
                        {
                            return keyProblem;
                        }

                        comma = -1;
                        expect = Expect.Colon;
                        break;

                    case Expect.Colon:
                        if (End)
                        {
                            return Truncated($"after the key '{Quote(stack[^1].Name!)}'", Path(stack, true));
                        }

                        if (json[p] != ':')
                        {
                            return Unexpected(Path(stack, true), $"':' after the key '{Quote(stack[^1].Name!)}'");
                        }

                        p++;
                        afterKey = true;
                        expect = Expect.Value;
                        break;

                    default:
                        if (stack.Count == 0)
                        {
                            // The top value is complete: anything but whitespace after it is one value too many.
                            return End ? null : Problem($"content after the end of the {(FirstByte() == '{' ? "object" : "value")}", p, [], "send one JSON object");
                        }

                        bool inArray = stack[^1].IsArray;
                        if (End)
                        {
                            return Truncated(inArray ? "inside an array" : "inside an object", Path(stack, false));
                        }

                        if (json[p] == ',')
                        {
                            comma = p++;
                            expect = inArray ? Expect.Value : Expect.Key;
                        }
                        else if (json[p] == (inArray ? ']' : '}'))
                        {
                            stack.RemoveAt(stack.Count - 1);
                            p++;
                        }
                        else
                        {
                            return Unexpected(Path(stack, true), inArray ? "',' or ']' after a value" : "',' or '}' after a value");
                        }

                        break;
                }
            }
        }

        /// <summary>The nesting limit, passed at <paramref name="at"/>.</summary>
        public readonly (string Message, IList<object> Path) TooDeep(int at)
        {
            var path = Path(stack, true);
            return ($"The JSON nests deeper than the depth limit of {depthLimit} at {Place(at)} (at {Render(path)}).", path);
        }

        /// <summary>"The JSON has {what} at line L, byte B (at $.path)[: hint]."</summary>
        public readonly (string Message, IList<object> Path) Problem(string what, int at, IList<object> path, string? hint = null) =>
            ($"The JSON has {what} at {Place(at)} (at {Render(path)}){(hint is null ? string.Empty : ": " + hint)}.", path);

        private static (string Message, IList<object> Path) Truncated(string where, IList<object> path) =>
            ($"The request body is not complete JSON: it ends {where} (at {Render(path)}); was it cut off?", path);

        private static bool IsDigit(byte b) => b is >= (byte)'0' and <= (byte)'9';

        private readonly (string Message, IList<object> Path) Empty() =>
            (json.IsEmpty ? "The request body is empty: send a JSON chat completion request." : "The request body is empty (only whitespace): send a JSON chat completion request.", []);

        private readonly (string Message, IList<object> Path) Unexpected(IList<object> path, string expected) =>
            Problem($"an unexpected {Show(p)}", p, path, "expected " + expected);

        /// <summary>Reads the value at <see cref="p"/> (in an array, already counted as its next element).</summary>
        private (string Message, IList<object> Path)? ReadValue(ref Expect expect)
        {
            byte b = json[p];
            switch (b)
            {
                case (byte)'{':
                case (byte)'[':
                    if (stack.Count >= depthLimit)
                    {
                        return TooDeep(p);
                    }

                    stack.Add(new Frame(b == '['));
                    p++;
                    expect = b == '[' ? Expect.ValueOrEnd : Expect.KeyOrEnd;
                    return null;
                case (byte)'"':
                    expect = Expect.AfterValue;
                    return ReadString(key: false, out _);
                case (byte)'\'':
                    return Problem("a string in single quotes", p, Path(stack, true), "JSON strings need double quotes");
                case (byte)'-' or (byte)'+' or (byte)'.':
                case >= (byte)'0' and <= (byte)'9':
                    expect = Expect.AfterValue;
                    return ReadNumber();
                case >= (byte)'a' and <= (byte)'z':
                case >= (byte)'A' and <= (byte)'Z':
                    expect = Expect.AfterValue;
                    return ReadLiteral();
                default:
                    return Unexpected(Path(stack, true), "a value (a string, number, object, array, true, false or null)");
            }
        }

        private (string Message, IList<object> Path)? ReadLiteral()
        {
            int from = p;
            while (!End && char.IsAsciiLetter((char)json[p]))
            {
                p++;
            }

            // One character more than a message quotes, so that Quote marks a longer word as cut.
            string word = Encoding.ASCII.GetString(json.Slice(from, Math.Min(p - from, MaxQuoted + 1)));
            if (word is "true" or "false" or "null")
            {
                return null;
            }

            if (End && ("true".StartsWith(word, StringComparison.Ordinal) || "false".StartsWith(word, StringComparison.Ordinal) || "null".StartsWith(word, StringComparison.Ordinal)))
            {
                return Truncated("inside a value", Path(stack, true));
            }

            if (char.ToLowerInvariant(word[0]) is 't' or 'f' or 'n')
            {
                return Problem($"an invalid literal '{Quote(word)}'", from, Path(stack, true), "expected true, false or null");
            }

            p = from;
            return Unexpected(Path(stack, true), "a value (a string, number, object, array, true, false or null)");
        }

        private (string Message, IList<object> Path)? ReadNumber()
        {
            int from = p;
            string? wrong = null;
            if (json[p] is (byte)'+' or (byte)'.')
            {
                wrong = "a number starts with a digit or '-'";
            }
            else
            {
                if (json[p] == '-')
                {
                    p++;
                }

                if (!End && json[p] == '0')
                {
                    p++;
                    wrong = !End && IsDigit(json[p]) ? "a number cannot start with 0 followed by more digits" : null;
                }
                else if (!End && IsDigit(json[p]))
                {
                    SkipDigits();
                }
                else if (!End)
                {
                    wrong = "'-' must be followed by a digit";
                }

                if (wrong is null && !End && json[p] == '.')
                {
                    p++;
                    wrong = End || IsDigit(json[p]) ? null : "'.' must be followed by a digit";
                    SkipDigits();
                }

                if (wrong is null && !End && json[p] is (byte)'e' or (byte)'E')
                {
                    p++;
                    if (!End && json[p] is (byte)'+' or (byte)'-')
                    {
                        p++;
                    }

                    wrong = End || IsDigit(json[p]) ? null : "an exponent needs at least one digit";
                    SkipDigits();
                }
            }

            if (wrong is not null)
            {
                int to = from;
                while (to < json.Length && to - from < 24 && (IsDigit(json[to]) || json[to] is (byte)'-' or (byte)'+' or (byte)'.' or (byte)'e' or (byte)'E'))
                {
                    to++;
                }

                return Problem($"an invalid number '{Encoding.ASCII.GetString(json[from..to])}'", from, Path(stack, true), wrong);
            }

            // A number that stops at the end of the body because the body stopped is cut off, not complete.
            return End && json[p - 1] is (byte)'-' or (byte)'.' or (byte)'e' or (byte)'E' or (byte)'+'
                ? Truncated("inside a number", Path(stack, true))
                : null;
        }

        /// <summary>Reads the key at <see cref="p"/> into the innermost object's current key.</summary>
        private (string Message, IList<object> Path)? ReadKey()
        {
            byte b = json[p];
            if (b == '"')
            {
                var problem = ReadString(key: true, out string? name);
                if (problem is null)
                {
                    stack[^1].Name = name;
                }

                return problem;
            }

            if (b == '\'')
            {
                int close = json[(p + 1)..].IndexOf((byte)'\'');
                string quoted = close is > 0 and <= MaxQuoted ? $"the key '{Encoding.UTF8.GetString(json.Slice(p + 1, close))}'" : "a key";
                return Problem(quoted + " in single quotes", p, Path(stack, false), "JSON keys need double quotes");
            }

            if (char.IsAsciiLetter((char)b) || b is (byte)'_' or (byte)'$')
            {
                int to = p;
                while (to < json.Length && (char.IsAsciiLetterOrDigit((char)json[to]) || json[to] is (byte)'_' or (byte)'$' or (byte)'-'))
                {
                    to++;
                }

                string word = Quote(Encoding.ASCII.GetString(json.Slice(p, Math.Min(to - p, MaxQuoted + 1))));
                return Problem($"the key {word} without double quotes", p, Path(stack, false), $"write it as \"{word}\"");
            }

            return Unexpected(Path(stack, false), "a key in double quotes or '}'");
        }

        /// <summary>Reads the string at <see cref="p"/> (its opening quote) to after its closing quote.</summary>
        private (string Message, IList<object> Path)? ReadString(bool key, out string? text)
        {
            text = null;
            int from = p++;
            string what = key ? "a key" : "a string";
            var path = Path(stack, !key);
            while (true)
            {
                if (End)
                {
                    return Truncated("inside " + what, path);
                }

                byte c = json[p];
                if (c == '"')
                {
                    p++;
                    text = Decode(json[from..p]);
                    return null;
                }

                if (c == '\\')
                {
                    if (p + 1 >= json.Length)
                    {
                        return Truncated("inside " + what, path);
                    }

                    byte escaped = json[p + 1];
                    if (escaped is (byte)'"' or (byte)'\\' or (byte)'/' or (byte)'b' or (byte)'f' or (byte)'n' or (byte)'r' or (byte)'t')
                    {
                        p += 2;
                        continue;
                    }

                    int length = 2;
                    if (escaped == 'u')
                    {
                        while (length < 6 && p + length < json.Length && char.IsAsciiHexDigit((char)json[p + length]))
                        {
                            length++;
                        }

                        if (length == 6)
                        {
                            p += 6;
                            continue;
                        }

                        if (p + length >= json.Length)
                        {
                            return Truncated("inside " + what, path);
                        }

                        length++;
                    }

                    string shown = json[p + length - 1] is >= 0x21 and <= 0x7E
                        ? Encoding.ASCII.GetString(json.Slice(p, length))
                        : Encoding.ASCII.GetString(json.Slice(p, length - 1)) + " followed by " + Show(p + length - 1);
                    return Problem($"an invalid escape '{shown}' in {what}", p, path, "the escapes JSON allows are \\\", \\\\, \\/, \\b, \\f, \\n, \\r, \\t and \\u with 4 hex digits");
                }

                if (c < 0x20)
                {
                    string escape = c switch
                    {
                        (byte)'\n' => "\\n",
                        (byte)'\r' => "\\r",
                        (byte)'\t' => "\\t",
                        (byte)'\b' => "\\b",
                        (byte)'\f' => "\\f",
                        _ => $"\\u{c:X4}",
                    };
                    return Problem($"a control character ({Show(p)}) in {what}", p, path, $"write it escaped, as {escape}");
                }

                p++;
            }
        }

        private static string Decode(ReadOnlySpan<byte> quoted)
        {
            if (quoted.IndexOf((byte)'\\') < 0)
            {
                return Encoding.UTF8.GetString(quoted[1..^1]);
            }

            try
            {
                var reader = new Utf8JsonReader(quoted);
                reader.Read();
                TryKeyOf(ref reader, out string key);
                return key;
            }
            catch (JsonException)
            {
                return Encoding.UTF8.GetString(quoted[1..^1]);
            }
        }

        private void SkipDigits()
        {
            while (!End && IsDigit(json[p]))
            {
                p++;
            }
        }

        private void SkipWhitespace()
        {
            while (!End && json[p] is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r')
            {
                p++;
            }
        }

        private readonly byte FirstByte()
        {
            int i = 0;
            while (i < json.Length && json[i] is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r')
            {
                i++;
            }

            return i < json.Length ? json[i] : (byte)0;
        }

        /// <summary>The character at <paramref name="at"/> as a message shows it: 'x', or U+00A0 when it is not printable ASCII.</summary>
        private readonly string Show(int at)
        {
            System.Text.Rune.DecodeFromUtf8(json[at..], out var rune, out _);
            return rune.Value is >= 0x21 and <= 0x7E
                ? $"'{(char)rune.Value}'"
                : "U+" + rune.Value.ToString("X4", CultureInfo.InvariantCulture);
        }

        /// <summary>"line L, byte B" of <paramref name="at"/> (an index into the JSON), both counted from 1 in the whole body.</summary>
        private readonly string Place(int at)
        {
            var before = body[..(start + at)];
            int line = before.Count((byte)'\n') + 1;
            int column = before.Length - before.LastIndexOf((byte)'\n');
            return string.Create(CultureInfo.InvariantCulture, $"line {line}, byte {column}");
        }
    }
}
