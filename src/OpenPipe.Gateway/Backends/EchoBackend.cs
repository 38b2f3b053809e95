using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using OpenPipe.Client;

namespace OpenPipe.Gateway.Backends;

/// <summary>
/// The offline, deterministic backend: answers with the last user message's text, word by word when
/// streaming; honours <c>n</c> and <c>max_tokens</c>/<c>max_completion_tokens</c> (counted in words,
/// finish_reason <c>length</c> when cut); fills usage with whitespace-token counts. Needs no network.
/// </summary>
public sealed class EchoBackend(TimeProvider time) : IChatBackend
{
    /// <inheritdoc />
    public string Name => GatewayOptions.EchoBackend;

    /// <inheritdoc />
    public Task<ChatCompletion> CompleteAsync(ChatCompletionRequest request, OpenPipeRequestOptions? openPipe = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var answer = Answer.For(request);
        var completion = new ChatCompletion
        {
            Id = IdFor(request),
            Object = "chat.completion",
            Created = time.GetUtcNow().ToUnixTimeSeconds(),
            Model = request.Model,
            Choices = Enumerable.Range(0, answer.Choices).Select(i => new ChatCompletionChoice
            {
                Index = i,
                FinishReason = answer.FinishReason,
                Message = new ChatCompletionResponseMessage { Role = "assistant", Content = string.Join(' ', answer.Words) },
            }).ToList(),
            Usage = answer.Usage,
        };
        return Task.FromResult(completion);
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<ChatCompletionChunk> StreamAsync(ChatCompletionRequest request, OpenPipeRequestOptions? openPipe = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var answer = Answer.For(request);
        string id = IdFor(request);
        long created = time.GetUtcNow().ToUnixTimeSeconds();
        ChatCompletionChunk Chunk(int index, ChatCompletionChunkDelta delta, FinishReason? finish = null) => new()
        {
            Id = id,
            Object = "chat.completion.chunk",
            Created = created,
            Model = request.Model,
            Choices = [new ChatCompletionChunkChoice { Index = index, Delta = delta, FinishReason = finish }],
        };

        for (int choice = 0; choice < answer.Choices; choice++)
        {
            yield return Chunk(choice, new ChatCompletionChunkDelta { Role = ChatRole.Assistant, Content = string.Empty });
        }

        for (int w = 0; w < answer.Words.Count; w++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            for (int choice = 0; choice < answer.Choices; choice++)
            {
                yield return Chunk(choice, new ChatCompletionChunkDelta { Content = (w == 0 ? string.Empty : " ") + answer.Words[w] });
            }

            await Task.Yield();
        }

        for (int choice = 0; choice < answer.Choices; choice++)
        {
            yield return Chunk(choice, new ChatCompletionChunkDelta(), answer.FinishReason);
        }

        if (request.StreamOptions?.IncludeUsage == true)
        {
            yield return new ChatCompletionChunk { Id = id, Object = "chat.completion.chunk", Created = created, Model = request.Model, Choices = [], Usage = answer.Usage };
        }
    }

    /// <summary>The same request always gets the same id.</summary>
    private static string IdFor(ChatCompletionRequest request) =>
        "chatcmpl-echo-" + Convert.ToHexStringLower(SHA256.HashData(OpenPipeJson.SerializeToUtf8Bytes(request)))[..16];

    private static int CountTokens(string? text) => string.IsNullOrWhiteSpace(text) ? 0 : text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length;

    private sealed record Answer(IReadOnlyList<string> Words, int Choices, FinishReason FinishReason, Usage Usage)
    {
        public static Answer For(ChatCompletionRequest request)
        {
            string text = request.Messages.OfType<UserMessage>().LastOrDefault()?.Content?.ToString() ?? string.Empty;
            var words = text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).ToList();
            int? limit = (int?)(request.MaxCompletionTokens ?? request.MaxTokens);
            var finish = FinishReason.Stop;
            if (limit is { } max && words.Count > max)
            {
                words = words.Take(max).ToList();
                finish = FinishReason.Length;
            }

            int choices = Math.Max(1, (int)(request.N ?? 1));
            int prompt = request.Messages.Sum(m => CountTokens(m switch
            {
                SystemMessage s => s.Content?.ToString(),
                DeveloperMessage d => d.Content?.ToString(),
                UserMessage u => u.Content?.ToString(),
                AssistantMessage a => a.Content?.ToString(),
                ToolMessage t => t.Content?.ToString(),
                FunctionMessage f => f.Content,
                _ => null,
            }));
            int completion = words.Count * choices;
            return new Answer(words, choices, finish, new Usage { PromptTokens = prompt, CompletionTokens = completion, TotalTokens = prompt + completion });
        }
    }
}
