// Adds: the client side of the conversions between Microsoft.Extensions.AI's chat types and the
// wire types: ChatMessage/ChatOptions to ChatCompletionRequest and OpenPipe's options, ChatCompletion
// and chunks to ChatResponse/ChatResponseUpdate. (OpenPipe.Server has the reverse.)

using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text.Json;
using Microsoft.Extensions.AI;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using AIChatRole = Microsoft.Extensions.AI.ChatRole;

namespace OpenPipe.Client;

/// <summary>Maps Microsoft.Extensions.AI's chat types to and from the generated DTOs.</summary>
internal static class OpenPipeChatMapping
{
    internal const string ProviderName = "openpipe";

    // ---- Client side: M.E.AI -> request ----

    /// <summary>The request for <paramref name="messages"/> and <paramref name="options"/>.</summary>
    internal static ChatCompletionRequest ToRequest(IEnumerable<ChatMessage> messages, ChatOptions? options, string? defaultModelId)
    {
        // A raw request from the options is the starting point for settings; the messages always come from `messages`.
        var request = options?.RawRepresentationFactory?.Invoke(null!) as ChatCompletionRequest ?? new ChatCompletionRequest();
        request.Messages = [];
        if (!string.IsNullOrEmpty(options?.ModelId))
        {
            request.Model = options.ModelId;
        }
        else if (string.IsNullOrEmpty(request.Model))
        {
            request.Model = defaultModelId
                ?? throw new InvalidOperationException("No model: set ChatOptions.ModelId or pass a default model to AsIChatClient.");
        }

        if (!string.IsNullOrEmpty(options?.Instructions))
        {
            request.Messages.Add(new SystemMessage { Content = options.Instructions });
        }

        foreach (var message in messages)
        {
            foreach (var converted in ToMessages(message))
            {
                request.Messages.Add(converted);
            }
        }

        if (options is null)
        {
            return request;
        }

        request.Temperature ??= options.Temperature;
        request.TopP ??= options.TopP;
        request.MaxTokens ??= options.MaxOutputTokens;
        request.FrequencyPenalty ??= options.FrequencyPenalty;
        request.PresencePenalty ??= options.PresencePenalty;
        if (options.Seed is { } seed)
        {
            request.AdditionalProperties["seed"] = seed;
        }

        if (options.StopSequences is { Count: > 0 } stop)
        {
            request.Stop ??= StopSequences.Many(stop);
        }

        request.ResponseFormat ??= options.ResponseFormat switch
        {
            ChatResponseFormatText => new ResponseFormatText(),
            ChatResponseFormatJson { Schema: { } schema } json => new ResponseFormatJsonSchema
            {
                JsonSchema = new JsonSchemaFormat
                {
                    Name = json.SchemaName ?? "json_schema",
                    Description = json.SchemaDescription,
                    Schema = ToDictionary(schema),
                },
            },
            ChatResponseFormatJson => new ResponseFormatJsonObject(),
            _ => null,
        };

        var tools = options.Tools?.OfType<AIFunctionDeclaration>().ToList();
        if (tools is { Count: > 0 })
        {
            request.Tools ??= [];
            foreach (var tool in tools)
            {
                request.Tools.Add(new ChatCompletionTool
                {
                    Type = ToolType.Function,
                    Function = new FunctionDefinition
                    {
                        Name = tool.Name,
                        Description = string.IsNullOrEmpty(tool.Description) ? null : tool.Description,
                        Parameters = ToDictionary(tool.JsonSchema),
                    },
                });
            }

            request.ToolChoice ??= options.ToolMode switch
            {
                NoneChatToolMode => ToolChoiceOption.None,
                RequiredChatToolMode { RequiredFunctionName: { } name } => ToolChoiceOption.ForFunction(name),
                RequiredChatToolMode => ToolChoiceOption.Required,
                AutoChatToolMode => ToolChoiceOption.Auto,
                _ => null,
            };

            if (options.AllowMultipleToolCalls is { } parallel)
            {
                request.AdditionalProperties["parallel_tool_calls"] = parallel;
            }
        }

        if (options.AdditionalProperties is { } extra)
        {
            foreach (var (key, value) in extra)
            {
                switch (key)
                {
                    case OpenPipeChatOptionKeys.Store:
                        request.Store = Convert.ToBoolean(value, CultureInfo.InvariantCulture);
                        break;
                    case OpenPipeChatOptionKeys.Metadata:
                        request.Metadata = value is null ? null : ToStringDictionary(value, key);
                        break;
                    case OpenPipeChatOptionKeys.Tags or OpenPipeChatOptionKeys.Cache or OpenPipeChatOptionKeys.LogRequest or OpenPipeChatOptionKeys.Criteria:
                        break;
                    default:
                        if (value is not null)
                        {
                            request.AdditionalProperties[key] = ToNewtonsoft(value);
                        }

                        break;
                }
            }
        }

        return request;
    }

    /// <summary>OpenPipe's header options from <see cref="ChatOptions.AdditionalProperties"/>, or null when none is set.</summary>
    internal static OpenPipeRequestOptions? ToRequestOptions(ChatOptions? options)
    {
        if (options?.AdditionalProperties is not { Count: > 0 } extra)
        {
            return null;
        }

        OpenPipeRequestOptions? result = null;
        if (extra.TryGetValue(OpenPipeChatOptionKeys.LogRequest, out object? log) && log is not null)
        {
            (result ??= new()).LogRequest = Convert.ToBoolean(log, CultureInfo.InvariantCulture);
        }

        if (extra.TryGetValue(OpenPipeChatOptionKeys.Cache, out object? cache) && cache is not null)
        {
            (result ??= new()).Cache = cache switch
            {
                CacheMode mode => mode,
                string s => ParseCacheMode(s),
                _ => throw new ArgumentException($"ChatOptions.AdditionalProperties[\"{OpenPipeChatOptionKeys.Cache}\"] must be a CacheMode or its wire name, not {cache.GetType().Name}."),
            };
        }

        if (extra.TryGetValue(OpenPipeChatOptionKeys.Tags, out object? tags) && tags is not null)
        {
            (result ??= new()).Tags = ToTagDictionary(tags, OpenPipeChatOptionKeys.Tags);
        }

        if (extra.TryGetValue(OpenPipeChatOptionKeys.Criteria, out object? criteria) && criteria is not null)
        {
            (result ??= new()).Criteria = criteria is IEnumerable<string> ids
                ? ids.ToList()
                : throw new ArgumentException($"ChatOptions.AdditionalProperties[\"{OpenPipeChatOptionKeys.Criteria}\"] must be a list of strings.");
        }

        return result;
    }

    private static CacheMode ParseCacheMode(string value)
    {
        foreach (CacheMode mode in Enum.GetValues<CacheMode>())
        {
            if (string.Equals(OpenPipeRequestOptions.CacheHeader(mode), value, StringComparison.OrdinalIgnoreCase)
                || string.Equals(mode.ToString(), value, StringComparison.OrdinalIgnoreCase))
            {
                return mode;
            }
        }

        throw new ArgumentException($"ChatOptions.AdditionalProperties[\"{OpenPipeChatOptionKeys.Cache}\"] is '{value}', not a cache mode (readWrite, readOnly, writeOnly).");
    }

    private static Dictionary<string, string> ToStringDictionary(object value, string key) => value switch
    {
        IEnumerable<KeyValuePair<string, string>> strings => strings.ToDictionary(p => p.Key, p => p.Value),
        IEnumerable<KeyValuePair<string, object?>> objects => objects.ToDictionary(p => p.Key, p => Convert.ToString(p.Value, CultureInfo.InvariantCulture) ?? string.Empty),
        _ => throw new ArgumentException($"ChatOptions.AdditionalProperties[\"{key}\"] must be a dictionary of strings, not {value.GetType().Name}."),
    };

    private static Dictionary<string, TagValue> ToTagDictionary(object value, string key) => value switch
    {
        IEnumerable<KeyValuePair<string, TagValue>> tags => tags.ToDictionary(p => p.Key, p => p.Value),
        IEnumerable<KeyValuePair<string, string>> strings => strings.ToDictionary(p => p.Key, p => TagValue.FromString(p.Value)),
        IEnumerable<KeyValuePair<string, object?>> objects => objects.ToDictionary(p => p.Key, p => ToTagValue(p.Value, key, p.Key)),
        _ => throw new ArgumentException($"ChatOptions.AdditionalProperties[\"{key}\"] must be a dictionary of tag values (strings, numbers, booleans or null), not {value.GetType().Name}."),
    };

    private static TagValue ToTagValue(object? value, string key, string name) => value switch
    {
        null => TagValue.Null,
        TagValue tag => tag,
        string s => s,
        bool b => b,
        int or long or short or sbyte or byte or ushort or uint => TagValue.FromNumber(Convert.ToInt64(value, CultureInfo.InvariantCulture)),
        ulong or decimal => TagValue.FromNumber(Convert.ToDecimal(value, CultureInfo.InvariantCulture)),
        float or double => TagValue.FromNumber(Convert.ToDouble(value, CultureInfo.InvariantCulture)),
        _ => throw new ArgumentException($"ChatOptions.AdditionalProperties[\"{key}\"][\"{name}\"] is a {value.GetType().Name}: a tag is a string, number, boolean or null."),
    };

    private static IEnumerable<ChatCompletionMessage> ToMessages(ChatMessage message)
    {
        if (message.RawRepresentation is ChatCompletionMessage raw)
        {
            yield return raw;
            yield break;
        }

        if (message.Role == AIChatRole.System)
        {
            yield return new SystemMessage { Content = message.Text, Name = message.AuthorName };
        }
        else if (message.Role == AIChatRole.User)
        {
            yield return new UserMessage { Content = ToContent(message.Contents), Name = message.AuthorName };
        }
        else if (message.Role == AIChatRole.Assistant)
        {
            var assistant = new AssistantMessage { Name = message.AuthorName };
            string text = string.Concat(message.Contents.OfType<TextContent>().Select(t => t.Text));
            if (text.Length > 0)
            {
                assistant.Content = text;
            }

            foreach (var call in message.Contents.OfType<FunctionCallContent>())
            {
                (assistant.ToolCalls ??= []).Add(new ChatCompletionToolCall
                {
                    Id = call.CallId,
                    Type = ToolType.Function,
                    Function = new ToolCallFunction
                    {
                        Name = call.Name,
                        Arguments = System.Text.Json.JsonSerializer.Serialize(call.Arguments ?? new Dictionary<string, object?>(), AIJsonUtilities.DefaultOptions),
                    },
                });
            }

            yield return assistant;
        }
        else if (message.Role == AIChatRole.Tool)
        {
            foreach (var result in message.Contents.OfType<FunctionResultContent>())
            {
                yield return new ToolMessage { ToolCallId = result.CallId, Content = ResultText(result.Result) };
            }
        }
        else
        {
            // A role this kit does not know (e.g. "developer"): sent as a plain message with that role.
            var unknown = new ChatCompletionMessage();
            unknown.AdditionalProperties["role"] = message.Role.Value;
            unknown.AdditionalProperties["content"] = message.Text;
            yield return unknown;
        }
    }

    private static ChatMessageContent ToContent(IList<AIContent> contents)
    {
        if (contents.All(c => c is TextContent))
        {
            return string.Concat(contents.OfType<TextContent>().Select(t => t.Text));
        }

        var parts = new List<ChatMessageContentPart>();
        foreach (var content in contents)
        {
            switch (content)
            {
                case TextContent text:
                    parts.Add(new TextContentPart { Text = text.Text });
                    break;
                case DataContent data when data.HasTopLevelMediaType("image"):
                    parts.Add(new ImageContentPart { ImageUrl = new ImageUrl { Url = data.Uri } });
                    break;
                case UriContent uri when uri.HasTopLevelMediaType("image"):
                    parts.Add(new ImageContentPart { ImageUrl = new ImageUrl { Url = uri.Uri.ToString() } });
                    break;
                case DataContent data when data.HasTopLevelMediaType("audio"):
                    parts.Add(new InputAudioContentPart
                    {
                        InputAudio = new InputAudio
                        {
                            Data = data.Base64Data.ToString(),
                            Format = data.MediaType is "audio/mpeg" or "audio/mp3" ? InputAudioFormat.Mp3 : InputAudioFormat.Wav,
                        },
                    });
                    break;
                default:
                    throw new NotSupportedException($"{content.GetType().Name} ({(content as DataContent)?.MediaType}) cannot be sent in a user message of the chat completions API.");
            }
        }

        return new ChatMessageContent(parts);
    }

    private static string ResultText(object? result) => result switch
    {
        null => string.Empty,
        string s => s,
        JsonElement { ValueKind: JsonValueKind.String } e => e.GetString()!,
        JsonElement e => e.GetRawText(),
        _ => System.Text.Json.JsonSerializer.Serialize(result, AIJsonUtilities.DefaultOptions.GetTypeInfo(typeof(object))),
    };

    // ---- Client side: response -> M.E.AI ----

    /// <summary>The response for a completion; the first choice becomes the message, the completion is the raw representation.</summary>
    internal static ChatResponse ToChatResponse(ChatCompletion completion)
    {
        var choice = completion.Choices.OrderBy(c => c.Index).FirstOrDefault();
        var message = new ChatMessage(AIChatRole.Assistant, [])
        {
            MessageId = completion.Id,
            RawRepresentation = choice?.Message,
        };
        if (choice?.Message is { } m)
        {
            if (!string.IsNullOrEmpty(m.ReasoningContent))
            {
                message.Contents.Add(new TextReasoningContent(m.ReasoningContent));
            }

            if (!string.IsNullOrEmpty(m.Content))
            {
                message.Contents.Add(new TextContent(m.Content));
            }

            if (!string.IsNullOrEmpty(m.Refusal))
            {
                message.Contents.Add(new ErrorContent(m.Refusal) { ErrorCode = "refusal" });
            }

            foreach (var call in m.ToolCalls ?? [])
            {
                message.Contents.Add(ToFunctionCall(call.Id, call.Function.Name, call.Function.Arguments));
            }
        }

        return new ChatResponse(message)
        {
            ResponseId = completion.Id,
            ModelId = completion.Model,
            CreatedAt = ToDate(completion.Created),
            FinishReason = choice is null ? null : ToFinishReason(choice.FinishReason),
            Usage = completion.Usage is { } usage ? ToUsage(usage) : null,
            RawRepresentation = completion,
        };
    }

    internal static FunctionCallContent ToFunctionCall(string callId, string name, string? arguments) =>
        FunctionCallContent.CreateFromParsedArguments(
            string.IsNullOrWhiteSpace(arguments) ? "{}" : arguments,
            callId,
            name,
            json => System.Text.Json.JsonSerializer.Deserialize<Dictionary<string, object?>>(json, AIJsonUtilities.DefaultOptions));

    internal static ChatFinishReason ToFinishReason(FinishReason reason) => reason.Value switch
    {
        "stop" => ChatFinishReason.Stop,
        "length" => ChatFinishReason.Length,
        "tool_calls" or "function_call" => ChatFinishReason.ToolCalls,
        "content_filter" => ChatFinishReason.ContentFilter,
        _ => new ChatFinishReason(reason.Value),
    };

    internal static UsageDetails ToUsage(Usage usage)
    {
        var details = new UsageDetails
        {
            InputTokenCount = (long)usage.PromptTokens,
            OutputTokenCount = (long)usage.CompletionTokens,
            TotalTokenCount = (long)usage.TotalTokens,
        };
        if (usage.PromptTokensDetails?.CachedTokens is { } cached)
        {
            details.CachedInputTokenCount = (long)cached;
        }

        if (usage.CompletionTokensDetails?.ReasoningTokens is { } reasoning)
        {
            details.ReasoningTokenCount = (long)reasoning;
        }

        return details;
    }

    internal static DateTimeOffset? ToDate(double created) =>
        created > 0 ? DateTimeOffset.FromUnixTimeSeconds((long)created) : null;

    // ---- JSON between System.Text.Json and Newtonsoft ----

    internal static Dictionary<string, object> ToDictionary(JsonElement element) =>
        JObject.Parse(element.GetRawText()).ToObject<Dictionary<string, object>>()!;

    internal static JsonElement ToJsonElement(IDictionary<string, object> value) =>
        JsonDocument.Parse(JsonConvert.SerializeObject(value)).RootElement.Clone();

    private static object ToNewtonsoft(object value) => value switch
    {
        JsonElement e => JToken.Parse(e.GetRawText()),
        string or bool or int or long or double or float or decimal => value,
        IEnumerable when value is not string => JToken.Parse(System.Text.Json.JsonSerializer.Serialize(value, AIJsonUtilities.DefaultOptions.GetTypeInfo(typeof(object)))),
        _ => JToken.Parse(System.Text.Json.JsonSerializer.Serialize(value, AIJsonUtilities.DefaultOptions.GetTypeInfo(typeof(object)))),
    };
}
