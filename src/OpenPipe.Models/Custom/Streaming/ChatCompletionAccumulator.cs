// Adds: ChatCompletionAccumulator and ToChatCompletionAsync, which merge the chunks of a stream
// into the ChatCompletion a non-streaming call would have returned, as OpenAI's own SDKs do:
// content, refusal, reasoning_content and audio data/transcript concatenated, tool-call fragments
// merged by index (arguments concatenated; a tool of another type keeps its own members),
// annotations and logprobs appended, the deprecated function_call likewise, finish_reason,
// usage, system_fingerprint and service_tier as last sent, and fields this kit does not know kept:
// on the chunk and choice the last value sent, in a delta merged (strings concatenated, objects
// merged, arrays appended). `obfuscation` is per-chunk padding and is not merged.

using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Newtonsoft.Json.Linq;

namespace OpenPipe;

/// <summary>Merges the chunks of a streamed completion into one <see cref="ChatCompletion"/>.</summary>
public sealed class ChatCompletionAccumulator
{
    /// <summary>
    /// The <c>finish_reason</c> of a merged choice whose stream never said why it stopped (it was
    /// cut short): the field is required, so it is never written as null.
    /// </summary>
    public static readonly FinishReason Incomplete = FinishReason.FromValue("incomplete");

    private readonly SortedDictionary<int, ChoiceState> choices = [];
    private readonly Dictionary<string, object> unknown = new(StringComparer.Ordinal);
    private string? id;
    private string? model;
    private long created;
    private Usage? usage;
    private string? systemFingerprint;
    private string? serviceTier;

    /// <summary>How many chunks were added.</summary>
    public int ChunkCount { get; private set; }

    /// <summary>Whether every choice seen so far has its <c>finish_reason</c> (false before the first chunk).</summary>
    public bool IsComplete => choices.Count > 0 && choices.Values.All(c => c.HasFinishReason);

    /// <summary>Adds the next chunk.</summary>
    /// <param name="chunk">The chunk, in stream order.</param>
    public void Append(ChatCompletionChunk chunk)
    {
        ArgumentNullException.ThrowIfNull(chunk);
        ChunkCount++;
        id ??= chunk.Id;
        model ??= chunk.Model;
        if (created == 0)
        {
            created = chunk.Created;
        }

        usage = chunk.Usage ?? usage;
        systemFingerprint = chunk.SystemFingerprint ?? systemFingerprint;
        serviceTier = chunk.ServiceTier ?? serviceTier;
        DeltaMerge.LastWins(unknown, chunk);
        foreach (var choice in chunk.Choices ?? [])
        {
            if (choice is null)
            {
                continue;
            }

            int index = (int)choice.Index;
            if (!choices.TryGetValue(index, out var state))
            {
                choices[index] = state = new ChoiceState();
            }

            state.Append(choice);
        }
    }

    /// <summary>The completion the chunks so far add up to.</summary>
    /// <returns>A new <see cref="ChatCompletion"/>.</returns>
    public ChatCompletion ToChatCompletion()
    {
        var completion = new ChatCompletion
        {
            Id = id ?? string.Empty,
            Object = ChatCompletion.ObjectType,
            Created = created,
            Model = model ?? string.Empty,
            Choices = choices.Select(c => c.Value.ToChoice(c.Key)).ToList(),
            Usage = usage,
            SystemFingerprint = systemFingerprint,
            ServiceTier = serviceTier,
        };
        DeltaMerge.CopyInto(completion.AdditionalProperties, unknown);
        return completion;
    }

    private sealed class ChoiceState
    {
        private readonly StringBuilder content = new();
        private readonly SortedDictionary<int, ToolCallState> toolCalls = [];
        private readonly Dictionary<string, object> unknownChoice = new(StringComparer.Ordinal);
        private readonly Dictionary<string, object> unknownMessage = new(StringComparer.Ordinal);
        private StringBuilder? refusal;
        private StringBuilder? reasoning;
        private FunctionCall? functionCall;
        private string? role;
        private FinishReason? finishReason;
        private List<TokenLogprob>? contentLogprobs;
        private List<TokenLogprob>? refusalLogprobs;
        private List<Annotation>? annotations;
        private ResponseAudio? audio;
        private bool hasContent;

        public bool HasFinishReason => finishReason is { Value: not null };

        public void Append(ChatCompletionChunkChoice choice)
        {
            var delta = choice.Delta;
            if (delta is not null)
            {
                role ??= delta.Role?.Value;
                if (delta.Content is not null)
                {
                    content.Append(delta.Content);
                    hasContent = true;
                }

                if (delta.Refusal is not null)
                {
                    (refusal ??= new StringBuilder()).Append(delta.Refusal);
                }

                if (delta.ReasoningContent is not null)
                {
                    (reasoning ??= new StringBuilder()).Append(delta.ReasoningContent);
                }

                if (delta.FunctionCall is { } fc)
                {
                    functionCall ??= new FunctionCall { Name = string.Empty, Arguments = string.Empty };
                    functionCall.Name += fc.Name ?? string.Empty;
                    functionCall.Arguments += fc.Arguments ?? string.Empty;
                }

                foreach (var fragment in delta.ToolCalls ?? [])
                {
                    if (fragment is null)
                    {
                        continue;
                    }

                    int index = (int)fragment.Index;
                    if (!toolCalls.TryGetValue(index, out var call))
                    {
                        toolCalls[index] = call = new ToolCallState();
                    }

                    call.Append(fragment);
                }

                if (delta.Annotations is { } a)
                {
                    (annotations ??= []).AddRange(a.Where(x => x is not null));
                }

                if (delta.Audio is { } piece)
                {
                    audio ??= new ResponseAudio();
                    audio.Id ??= piece.Id;
                    audio.Data = Concat(audio.Data, piece.Data);
                    audio.Transcript = Concat(audio.Transcript, piece.Transcript);
                    audio.ExpiresAt = piece.ExpiresAt ?? audio.ExpiresAt;
                    DeltaMerge.Accumulate(audio.AdditionalProperties, piece);
                }

                DeltaMerge.Accumulate(unknownMessage, delta);
            }

            if (choice.FinishReason is { Value: not null } reason)
            {
                finishReason = reason;
            }

            if (choice.Logprobs?.Content is { } c)
            {
                (contentLogprobs ??= []).AddRange(c);
            }

            if (choice.Logprobs?.Refusal is { } r)
            {
                (refusalLogprobs ??= []).AddRange(r);
            }

            DeltaMerge.LastWins(unknownChoice, choice);
        }

        public ChatCompletionChoice ToChoice(int index)
        {
            var message = new ChatCompletionResponseMessage
            {
                Role = role ?? ChatRole.Assistant.Value,
                Content = hasContent ? content.ToString() : null,
                Refusal = refusal?.ToString(),
                ReasoningContent = reasoning?.ToString(),
                FunctionCall = functionCall,
                ToolCalls = toolCalls.Count == 0 ? null : toolCalls.Values.Select(t => t.ToToolCall()).ToList(),
                Annotations = annotations,
                Audio = audio,
            };
            DeltaMerge.CopyInto(message.AdditionalProperties, unknownMessage);
            var choice = new ChatCompletionChoice
            {
                Index = index,
                FinishReason = finishReason ?? Incomplete,
                Message = message,
                Logprobs = contentLogprobs is null && refusalLogprobs is null ? null : new ChoiceLogprobs { Content = contentLogprobs, Refusal = refusalLogprobs },
            };
            DeltaMerge.CopyInto(choice.AdditionalProperties, unknownChoice);
            return choice;
        }

        private static string? Concat(string? before, string? piece) => piece is null ? before : before + piece;
    }

    private sealed class ToolCallState
    {
        private readonly StringBuilder arguments = new();
        private readonly Dictionary<string, object> unknown = new(StringComparer.Ordinal);
        private string? id;
        private string? name;
        private ToolType? type;
        private bool hasFunction;

        public void Append(ChatCompletionChunkToolCall fragment)
        {
            id ??= fragment.Id;
            if (fragment.Type is { Value: not null } t)
            {
                type ??= t;
            }

            if (fragment.Function is { } function)
            {
                hasFunction = true;
                if (function.Name is { Length: > 0 } n)
                {
                    name = name is null ? n : name + n;
                }

                arguments.Append(function.Arguments);
            }

            DeltaMerge.Accumulate(unknown, fragment);
        }

        public ChatCompletionToolCall ToToolCall()
        {
            ToolType kind = type ?? ToolType.Function;
            var call = new ChatCompletionToolCall
            {
                Id = id ?? string.Empty,
                Type = kind,
                Function = hasFunction || kind == ToolType.Function
                    ? new ToolCallFunction { Name = name ?? string.Empty, Arguments = arguments.ToString() }
                    : null!,
            };
            DeltaMerge.CopyInto(call.AdditionalProperties, unknown);
            return call;
        }
    }

    /// <summary>Merges the members a DTO does not know (its AdditionalProperties) across chunks.</summary>
    private static class DeltaMerge
    {
        /// <summary>Chunk and choice level: the last non-null value of each member.</summary>
        public static void LastWins(Dictionary<string, object> into, object dto)
        {
            if (Unknown(dto) is not { Count: > 0 } from)
            {
                return;
            }

            foreach (var (key, value) in from)
            {
                if (value is not null)
                {
                    into[key] = Clone(value)!;
                }
            }
        }

        /// <summary>Delta level, as OpenAI's SDKs accumulate deltas: strings concatenated, objects merged, arrays appended, anything else replaced.</summary>
        public static void Accumulate(IDictionary<string, object> into, object dto)
        {
            if (Unknown(dto) is { Count: > 0 } from)
            {
                foreach (var (key, value) in from)
                {
                    into[key] = into.TryGetValue(key, out object? before) ? Merge(key, before, value) : Clone(value)!;
                }
            }
        }

        public static void CopyInto(IDictionary<string, object> target, Dictionary<string, object> merged)
        {
            foreach (var (key, value) in merged)
            {
                target[key] = value;
            }
        }

        private static object Merge(string key, object? before, object? piece)
        {
            if (key is "index" or "type" or "id")
            {
                return before ?? Clone(piece)!;
            }

            switch (before, piece)
            {
                case (string a, string b):
                    return a + b;
                case (JObject a, JObject b):
                    foreach (var property in b.Properties())
                    {
                        a[property.Name] = a[property.Name] is { Type: not JTokenType.Null } existing
                            ? ToToken(Merge(property.Name, FromToken(existing), FromToken(property.Value)))
                            : property.Value.DeepClone();
                    }

                    return a;
                case (JArray a, JArray b):
                    foreach (var item in b)
                    {
                        a.Add(item.DeepClone());
                    }

                    return a;
                default:
                    return Clone(piece) ?? before!;
            }
        }

        private static object? FromToken(JToken token) => token is JValue v ? v.Value : token;

        private static JToken ToToken(object? value) => value as JToken ?? new JValue(value);

        private static object? Clone(object? value) => value is JToken token ? token.DeepClone() : value;

        private static IDictionary<string, object>? Unknown(object dto) => dto switch
        {
            ChatCompletionChunk c => c.AdditionalPropertiesIfAny(),
            ChatCompletionChunkChoice c => c.AdditionalPropertiesIfAny(),
            ChatCompletionChunkDelta d => d.AdditionalPropertiesIfAny(),
            ChatCompletionChunkToolCall t => t.AdditionalPropertiesIfAny(),
            ResponseAudio a => a.AdditionalPropertiesIfAny(),
            _ => null,
        };
    }
}

/// <summary>Helpers for streams of <see cref="ChatCompletionChunk"/>.</summary>
public static class ChatCompletionChunkStreamExtensions
{
    /// <summary>Reads the whole stream and merges its chunks into one <see cref="ChatCompletion"/>.</summary>
    /// <param name="chunks">The stream, e.g. from <c>OpenPipeClient.CreateChatCompletionStreamingAsync</c>.</param>
    /// <param name="cancellationToken">Cancels reading.</param>
    /// <returns>The merged completion.</returns>
    public static async Task<ChatCompletion> ToChatCompletionAsync(this IAsyncEnumerable<ChatCompletionChunk> chunks, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(chunks);
        var accumulator = new ChatCompletionAccumulator();
        await foreach (var chunk in chunks.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            accumulator.Append(chunk);
        }

        return accumulator.ToChatCompletion();
    }
}
