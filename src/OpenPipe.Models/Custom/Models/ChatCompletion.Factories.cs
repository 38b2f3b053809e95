// Adds: factory methods that build spec-valid responses: `object` set to its constant, `created`
// as whole Unix seconds, an id when none is given, token totals computed. A server (or a test
// double) that builds its answers with these cannot send what the spec forbids.

using System;
using System.Collections.Generic;

namespace OpenPipe;

public partial class ChatCompletion
{
    /// <summary>The value of <see cref="Object"/> in every completion: <c>chat.completion</c>.</summary>
    public const string ObjectType = "chat.completion";

    /// <summary>A completion with the given choices.</summary>
    /// <param name="model">The model that answered.</param>
    /// <param name="choices">The choices, each with its index.</param>
    /// <param name="usage">The token counts, if known.</param>
    /// <param name="id">The completion's id; by default a new <c>chatcmpl-</c> id.</param>
    /// <param name="created">When it was created; by default now. Sent as whole Unix seconds.</param>
    /// <returns>The completion.</returns>
    public static ChatCompletion Create(string model, IList<ChatCompletionChoice> choices, Usage? usage = null, string? id = null, DateTimeOffset? created = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(model);
        ArgumentNullException.ThrowIfNull(choices);
        return new ChatCompletion
        {
            Id = id ?? NewId(),
            Object = ObjectType,
            Created = (created ?? DateTimeOffset.UtcNow).ToUnixTimeSeconds(),
            Model = model,
            Choices = choices,
            Usage = usage,
        };
    }

    /// <summary>A completion with one assistant message that finished normally.</summary>
    /// <param name="model">The model that answered.</param>
    /// <param name="content">The assistant's text.</param>
    /// <param name="usage">The token counts, if known.</param>
    /// <param name="id">The completion's id; by default a new <c>chatcmpl-</c> id.</param>
    /// <param name="created">When it was created; by default now.</param>
    /// <returns>The completion.</returns>
    public static ChatCompletion FromText(string model, string content, Usage? usage = null, string? id = null, DateTimeOffset? created = null)
    {
        ArgumentNullException.ThrowIfNull(content);
        return Create(model, [ChatCompletionChoice.Create(0, ChatCompletionResponseMessage.Assistant(content), FinishReason.Stop)], usage, id, created);
    }

    /// <summary>A new completion id, <c>chatcmpl-</c> and 24 hex digits.</summary>
    /// <returns>The id.</returns>
    public static string NewId() => "chatcmpl-" + Guid.NewGuid().ToString("N")[..24];
}

public partial class ChatCompletionChoice
{
    /// <summary>A choice of a completion.</summary>
    /// <param name="index">The choice's position, from 0.</param>
    /// <param name="message">The assistant's message.</param>
    /// <param name="finishReason">Why generation stopped.</param>
    /// <returns>The choice.</returns>
    public static ChatCompletionChoice Create(int index, ChatCompletionResponseMessage message, FinishReason finishReason)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentNullException.ThrowIfNull(message);
        return new ChatCompletionChoice { Index = index, Message = message, FinishReason = finishReason };
    }
}

public partial class ChatCompletionResponseMessage
{
    /// <summary>An assistant message with text, tool calls, or both.</summary>
    /// <param name="content">The text, if any.</param>
    /// <param name="toolCalls">The tool calls, if any.</param>
    /// <returns>The message, with <c>role</c> set to <c>assistant</c>.</returns>
    public static ChatCompletionResponseMessage Assistant(string? content = null, IList<ChatCompletionToolCall>? toolCalls = null) =>
        new() { Role = ChatRole.Assistant.Value, Content = content, ToolCalls = toolCalls is { Count: > 0 } ? toolCalls : null };
}

public partial class Usage
{
    /// <summary>Token counts; the total is their sum.</summary>
    /// <param name="promptTokens">Tokens in the prompt.</param>
    /// <param name="completionTokens">Tokens generated.</param>
    /// <returns>The usage.</returns>
    public static Usage Create(int promptTokens, int completionTokens)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(promptTokens);
        ArgumentOutOfRangeException.ThrowIfNegative(completionTokens);
        return new Usage { PromptTokens = promptTokens, CompletionTokens = completionTokens, TotalTokens = checked(promptTokens + completionTokens) };
    }
}

public partial class ChatCompletionChunk
{
    /// <summary>The value of <see cref="Object"/> in every chunk: <c>chat.completion.chunk</c>.</summary>
    public const string ObjectType = "chat.completion.chunk";

    /// <summary>A chunk with one choice's delta. Every chunk of a stream shares its id, model and created time.</summary>
    /// <param name="id">The stream's completion id (see <see cref="ChatCompletion.NewId"/>).</param>
    /// <param name="model">The model that answers.</param>
    /// <param name="created">When the stream started; sent as whole Unix seconds.</param>
    /// <param name="delta">The next piece of the message.</param>
    /// <param name="finishReason">Set on the last chunk of the choice.</param>
    /// <param name="index">The choice's position, from 0.</param>
    /// <returns>The chunk.</returns>
    public static ChatCompletionChunk Delta(string id, string model, DateTimeOffset created, ChatCompletionChunkDelta delta, FinishReason? finishReason = null, int index = 0)
    {
        ArgumentNullException.ThrowIfNull(delta);
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        return Create(id, model, created, [new ChatCompletionChunkChoice { Index = index, Delta = delta, FinishReason = finishReason }]);
    }

    /// <summary>A chunk with the given choices (none, for a final usage-only chunk).</summary>
    /// <param name="id">The stream's completion id.</param>
    /// <param name="model">The model that answers.</param>
    /// <param name="created">When the stream started; sent as whole Unix seconds.</param>
    /// <param name="choices">The choices' deltas.</param>
    /// <param name="usage">The token counts, on the last chunk when asked for.</param>
    /// <returns>The chunk.</returns>
    public static ChatCompletionChunk Create(string id, string model, DateTimeOffset created, IList<ChatCompletionChunkChoice> choices, Usage? usage = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        ArgumentException.ThrowIfNullOrEmpty(model);
        ArgumentNullException.ThrowIfNull(choices);
        return new ChatCompletionChunk
        {
            Id = id,
            Object = ObjectType,
            Created = created.ToUnixTimeSeconds(),
            Model = model,
            Choices = choices,
            Usage = usage,
        };
    }
}
