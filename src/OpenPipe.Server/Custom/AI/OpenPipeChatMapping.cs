// Adds: the server side of the conversions between Microsoft.Extensions.AI's chat types and the
// wire types, for ChatClientCompletionHandler: a request to ChatMessages and ChatOptions, a
// ChatResponse and its updates to a completion and chunks. (OpenPipe.Client has the reverse.)

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

namespace OpenPipe.Server;

/// <summary>Maps Microsoft.Extensions.AI's chat types to and from the generated DTOs.</summary>
internal static class OpenPipeChatMapping
{
    internal const string ProviderName = "openpipe";

    // ---- Server side: request -> M.E.AI ----

    /// <summary>The messages of a request, each with its DTO as raw representation.</summary>
    internal static List<ChatMessage> ToChatMessages(ChatCompletionRequest request)
    {
        var result = new List<ChatMessage>(request.Messages.Count);
        foreach (var message in request.Messages)
        {
            ChatMessage converted = message switch
            {
                SystemMessage s => new ChatMessage(AIChatRole.System, s.Content?.ToString()) { AuthorName = s.Name },
                DeveloperMessage d => new ChatMessage(AIChatRole.System, d.Content?.ToString()) { AuthorName = d.Name },
                UserMessage u => new ChatMessage(AIChatRole.User, FromContent(u.Content)) { AuthorName = u.Name },
                AssistantMessage a => new ChatMessage(AIChatRole.Assistant, FromAssistant(a)) { AuthorName = a.Name },
                ToolMessage t => new ChatMessage(AIChatRole.Tool, [new FunctionResultContent(t.ToolCallId, t.Content?.ToString())]),
                FunctionMessage f => new ChatMessage(AIChatRole.Tool, [new FunctionResultContent(f.Name, f.Content)]),
                _ => new ChatMessage(new AIChatRole(message.AdditionalProperties.TryGetValue("role", out var r) ? r?.ToString() ?? "user" : "user"), message.AdditionalProperties.TryGetValue("content", out var c) ? c?.ToString() : null),
            };
            converted.RawRepresentation = message;
            result.Add(converted);
        }

        return result;
    }

    private static List<AIContent> FromContent(ChatMessageContent? content)
    {
        if (content is null)
        {
            return [];
        }

        if (content.Text is { } text)
        {
            return [new TextContent(text)];
        }

        var result = new List<AIContent>();
        foreach (var part in content.Parts!)
        {
            switch (part)
            {
                case TextContentPart t:
                    result.Add(new TextContent(t.Text));
                    break;
                case ImageContentPart { ImageUrl.Url: { } url } when url.StartsWith("data:", StringComparison.OrdinalIgnoreCase):
                    result.Add(new DataContent(url));
                    break;
                case ImageContentPart { ImageUrl.Url: { } url }:
                    result.Add(new UriContent(new Uri(url), "image/*"));
                    break;
                case InputAudioContentPart a:
                    result.Add(new DataContent(Convert.FromBase64String(a.InputAudio.Data), a.InputAudio.Format == InputAudioFormat.Mp3 ? "audio/mpeg" : "audio/wav"));
                    break;
                case RefusalContentPart r:
                    result.Add(new TextContent(r.Refusal));
                    break;
                default:
                    result.Add(new AIContent { RawRepresentation = part });
                    break;
            }
        }

        return result;
    }

    private static List<AIContent> FromAssistant(AssistantMessage message)
    {
        var result = FromContent(message.Content);
        foreach (var call in message.ToolCalls ?? [])
        {
            result.Add(ToFunctionCall(call.Id, call.Function.Name, call.Function.Arguments));
        }

        return result;
    }

    /// <summary>The options a request asks for; the request itself is the raw representation factory's result.</summary>
    internal static ChatOptions ToChatOptions(ChatCompletionRequest request)
    {
        var options = new ChatOptions
        {
            ModelId = request.Model,
            Temperature = (float?)request.Temperature,
            TopP = (float?)request.TopP,
            MaxOutputTokens = (int?)(request.MaxCompletionTokens ?? request.MaxTokens),
            FrequencyPenalty = (float?)request.FrequencyPenalty,
            PresencePenalty = (float?)request.PresencePenalty,
            // A fresh copy per call without the messages, which M.E.AI passes separately.
            RawRepresentationFactory = _ => CopyWithoutMessages(request),
        };
        if (request.Stop is { } stop)
        {
            options.StopSequences = stop.Values.ToList();
        }

        options.ResponseFormat = request.ResponseFormat switch
        {
            ResponseFormatText => ChatResponseFormat.Text,
            ResponseFormatJsonSchema s => ChatResponseFormat.ForJsonSchema(
                s.JsonSchema.Schema is { } schema ? ToJsonElement(schema) : JsonDocument.Parse("{}").RootElement,
                s.JsonSchema.Name,
                s.JsonSchema.Description),
            ResponseFormatJsonObject => ChatResponseFormat.Json,
            _ => null,
        };
        if (request.Tools is { Count: > 0 } tools)
        {
            options.Tools = tools.Select(t => (AITool)AIFunctionFactory.CreateDeclaration(
                t.Function.Name,
                t.Function.Description,
                t.Function.Parameters is { } p ? ToJsonElement(p) : JsonDocument.Parse("""{"type":"object","properties":{}}""").RootElement)).ToList();
            options.ToolMode = request.ToolChoice switch
            {
                { Mode: "none" } => ChatToolMode.None,
                { Mode: "required" } => ChatToolMode.RequireAny,
                { Object.Function.Name: { } name } => ChatToolMode.RequireSpecific(name),
                _ => ChatToolMode.Auto,
            };
        }

        return options;
    }

    private static ChatCompletionRequest CopyWithoutMessages(ChatCompletionRequest request)
    {
        var serializer = Newtonsoft.Json.JsonSerializer.Create(OpenPipeJson.Settings);
        var json = JObject.FromObject(request, serializer);
        json["messages"] = new JArray();
        return json.ToObject<ChatCompletionRequest>(serializer)!;
    }

    // ---- Server side: M.E.AI -> response ----

    /// <summary>A completion for a response (its raw representation when that is one).</summary>
    internal static ChatCompletion ToChatCompletion(ChatResponse response, string requestedModel)
    {
        if (response.RawRepresentation is ChatCompletion raw)
        {
            return raw;
        }

        var message = new ChatCompletionResponseMessage { Role = "assistant" };
        var contents = response.Messages.Where(m => m.Role == AIChatRole.Assistant).SelectMany(m => m.Contents).ToList();
        string text = string.Concat(contents.OfType<TextContent>().Select(t => t.Text));
        message.Content = text.Length > 0 ? text : null;
        string reasoning = string.Concat(contents.OfType<TextReasoningContent>().Select(t => t.Text));
        message.ReasoningContent = reasoning.Length > 0 ? reasoning : null;
        foreach (var call in contents.OfType<FunctionCallContent>())
        {
            (message.ToolCalls ??= []).Add(new ChatCompletionToolCall
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

        return new ChatCompletion
        {
            Id = response.ResponseId ?? "chatcmpl-" + Guid.NewGuid().ToString("N"),
            Object = "chat.completion",
            Created = (response.CreatedAt ?? DateTimeOffset.UtcNow).ToUnixTimeSeconds(),
            Model = response.ModelId ?? requestedModel,
            Choices =
            [
                new ChatCompletionChoice
                {
                    Index = 0,
                    Message = message,
                    FinishReason = ToWireFinishReason(response.FinishReason, message.ToolCalls is { Count: > 0 }),
                },
            ],
            Usage = response.Usage is { } usage ? ToWireUsage(usage) : null,
        };
    }

    internal static FinishReason ToWireFinishReason(ChatFinishReason? reason, bool hasToolCalls) =>
        reason is null ? (hasToolCalls ? FinishReason.ToolCalls : FinishReason.Stop)
        : reason == ChatFinishReason.Stop ? FinishReason.Stop
        : reason == ChatFinishReason.Length ? FinishReason.Length
        : reason == ChatFinishReason.ToolCalls ? FinishReason.ToolCalls
        : reason == ChatFinishReason.ContentFilter ? FinishReason.ContentFilter
        : new FinishReason(reason.Value.Value);

    internal static Usage ToWireUsage(UsageDetails usage)
    {
        long input = usage.InputTokenCount ?? 0, output = usage.OutputTokenCount ?? 0;
        return new Usage { PromptTokens = (int)input, CompletionTokens = (int)output, TotalTokens = (int)(usage.TotalTokenCount ?? input + output) };
    }

    /// <summary>A tool call of a request message as M.E.AI's function call, its arguments parsed as M.E.AI parses them.</summary>
    private static FunctionCallContent ToFunctionCall(string callId, string name, string? arguments) =>
        FunctionCallContent.CreateFromParsedArguments(
            string.IsNullOrWhiteSpace(arguments) ? "{}" : arguments,
            callId,
            name,
            json => System.Text.Json.JsonSerializer.Deserialize<Dictionary<string, object?>>(json, AIJsonUtilities.DefaultOptions));

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
