using System.Collections.Generic;
using System.Text.Json.Serialization;

namespace OpenPipe.Benchmarks;

// The practical limit: minimal System.Text.Json types with just what the scenarios read.
#pragma warning disable CS1591

public sealed class MinimalCompletion
{
    [JsonPropertyName("id")] public string Id { get; set; } = "";
    [JsonPropertyName("object")] public string Object { get; set; } = "";
    [JsonPropertyName("created")] public long Created { get; set; }
    [JsonPropertyName("model")] public string Model { get; set; } = "";
    [JsonPropertyName("choices")] public List<MinimalChoice> Choices { get; set; } = [];
    [JsonPropertyName("usage")] public MinimalUsage? Usage { get; set; }
}

public sealed class MinimalChoice
{
    [JsonPropertyName("index")] public int Index { get; set; }
    [JsonPropertyName("finish_reason")] public string? FinishReason { get; set; }
    [JsonPropertyName("message")] public MinimalMessage Message { get; set; } = new();
    [JsonPropertyName("logprobs")] public MinimalLogprobs? Logprobs { get; set; }
}

public sealed class MinimalMessage
{
    [JsonPropertyName("role")] public string Role { get; set; } = "";
    [JsonPropertyName("content")] public string? Content { get; set; }
    [JsonPropertyName("tool_calls")] public List<MinimalToolCall>? ToolCalls { get; set; }
}

public sealed class MinimalToolCall
{
    [JsonPropertyName("id")] public string Id { get; set; } = "";
    [JsonPropertyName("type")] public string Type { get; set; } = "";
    [JsonPropertyName("function")] public MinimalFunction Function { get; set; } = new();
}

public sealed class MinimalFunction
{
    [JsonPropertyName("name")] public string Name { get; set; } = "";
    [JsonPropertyName("arguments")] public string Arguments { get; set; } = "";
}

public sealed class MinimalLogprobs
{
    [JsonPropertyName("content")] public List<MinimalTokenLogprob>? Content { get; set; }
}

public sealed class MinimalTokenLogprob
{
    [JsonPropertyName("token")] public string Token { get; set; } = "";
    [JsonPropertyName("bytes")] public List<int>? Bytes { get; set; }
    [JsonPropertyName("logprob")] public double Logprob { get; set; }
    [JsonPropertyName("top_logprobs")] public List<MinimalTopLogprob> TopLogprobs { get; set; } = [];
}

public sealed class MinimalTopLogprob
{
    [JsonPropertyName("token")] public string Token { get; set; } = "";
    [JsonPropertyName("bytes")] public List<int>? Bytes { get; set; }
    [JsonPropertyName("logprob")] public double Logprob { get; set; }
}

public sealed class MinimalUsage
{
    [JsonPropertyName("prompt_tokens")] public int PromptTokens { get; set; }
    [JsonPropertyName("completion_tokens")] public int CompletionTokens { get; set; }
    [JsonPropertyName("total_tokens")] public int TotalTokens { get; set; }
}

public sealed class MinimalChunk
{
    [JsonPropertyName("id")] public string Id { get; set; } = "";
    [JsonPropertyName("choices")] public List<MinimalChunkChoice> Choices { get; set; } = [];
}

public sealed class MinimalChunkChoice
{
    [JsonPropertyName("index")] public int Index { get; set; }
    [JsonPropertyName("delta")] public MinimalDelta Delta { get; set; } = new();
    [JsonPropertyName("finish_reason")] public string? FinishReason { get; set; }
}

public sealed class MinimalDelta
{
    [JsonPropertyName("role")] public string? Role { get; set; }
    [JsonPropertyName("content")] public string? Content { get; set; }
}

/// <summary>The request, in minimal System.Text.Json types equivalent to what the full request sets.</summary>
public sealed class MinimalRequest
{
    [JsonPropertyName("model")] public string Model { get; set; } = "";
    [JsonPropertyName("messages")] public List<Dictionary<string, object?>> Messages { get; set; } = [];
    [JsonPropertyName("tools")] public List<Dictionary<string, object?>>? Tools { get; set; }
    [JsonPropertyName("tool_choice")] public string? ToolChoice { get; set; }
    [JsonPropertyName("temperature")] public double? Temperature { get; set; }
    [JsonPropertyName("top_p")] public double? TopP { get; set; }
    [JsonPropertyName("max_tokens")] public int? MaxTokens { get; set; }
    [JsonPropertyName("n")] public int? N { get; set; }
    [JsonPropertyName("stop")] public List<string>? Stop { get; set; }
    [JsonPropertyName("logprobs")] public bool? Logprobs { get; set; }
    [JsonPropertyName("top_logprobs")] public int? TopLogprobs { get; set; }
    [JsonPropertyName("store")] public bool? Store { get; set; }
    [JsonPropertyName("metadata")] public Dictionary<string, string>? Metadata { get; set; }
    [JsonPropertyName("stream")] public bool? Stream { get; set; }
}
#pragma warning restore CS1591
