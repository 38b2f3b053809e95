using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.Extensions.DependencyInjection;
using Newtonsoft.Json.Linq;
using OpenPipe.Client;
using OpenPipe.Gateway.Storage;

namespace OpenPipe.Gateway.Tests.RequestLog;

/// <summary>
/// A known set of logged calls, written straight into a gateway's store: each row varies by key,
/// model, backend, status, tags (strings, numbers, booleans), criteria, cache hit, time and text, so
/// every filter selects a different subset, which the tests compute from the same descriptions.
/// Rows are told apart by their completion id, <c>seed-N</c>.
/// </summary>
public sealed record LogSeed(
    int Index, string KeyId, string Model, string Backend, int Status, bool HasResponse, IReadOnlyDictionary<string, TagValue> Tags,
    IReadOnlyList<string> Criteria, bool CacheHit, DateTimeOffset ReceivedAt, string Word, bool WithTools, long PromptTokens, long CompletionTokens)
{
    public static readonly DateTimeOffset Start = new(2025, 3, 1, 10, 0, 0, TimeSpan.Zero);

    public static readonly string[] Models = ["m-alpha", "m-beta", "m-gamma", "m-delta"];

    public string CompletionId => "seed-" + Index.ToString(CultureInfo.InvariantCulture);

    public long TotalTokens => PromptTokens + CompletionTokens;

    /// <summary>The 60 seeds; keys A and B only.</summary>
    public static List<LogSeed> Make() => Enumerable.Range(0, 60).Select(Make).ToList();

    public static LogSeed Make(int i)
    {
        var tags = new Dictionary<string, TagValue>(StringComparer.Ordinal);
        if (i % 2 == 0)
        {
            tags["prompt_id"] = "p" + (i % 3).ToString(CultureInfo.InvariantCulture);
        }

        if (i % 3 == 0)
        {
            tags["attempt"] = i % 4; // a number
        }
        else if (i % 4 == 2)
        {
            tags["attempt"] = "2"; // the same text as a string
        }

        if (i % 5 == 1)
        {
            tags["reviewed"] = i % 10 == 1; // a boolean
        }

        int status = i % 10 == 3 ? 500 : i % 10 == 7 ? 429 : i % 13 == 0 ? 400 : 200;
        return new LogSeed(
            i,
            i % 3 == 2 ? RequestLogStorage.KeyIdB : RequestLogStorage.KeyIdA,
            Models[i % 4],
            i % 5 == 0 ? "report" : i % 2 == 0 ? "echo" : "wm",
            status,
            status == 200 && i % 11 != 5,
            tags,
            i % 6 == 1 ? ["tone@v1"] : i % 6 == 4 ? ["tone@v1", "length@v2"] : [],
            i % 8 == 1,
            // Every tenth row shares its time with the one before: id orders them.
            Start.AddMinutes(i % 10 == 9 ? i - 1 : i),
            i % 9 == 0 ? "Zebra" : "plain",
            i % 4 == 3,
            10 + i,
            i % 7);
    }

    /// <summary>Writes the seeds through the gateway's own store (as the log writer does).</summary>
    public static async Task WriteAsync(GatewayFactory gateway, IEnumerable<LogSeed> seeds)
    {
        var store = gateway.Services.GetRequiredService<IGatewayStore>();
        await store.WriteLogAsync(seeds.Select(s => s.Entry()).ToList());
    }

    public RequestLogEntry Entry() => new()
    {
        ReceivedAt = ReceivedAt,
        KeyId = KeyId,
        Model = Model,
        Backend = Backend,
        Status = Status,
        Error = Status == 200 ? null : "failed " + Index.ToString(CultureInfo.InvariantCulture),
        LatencyMs = 12.5,
        PromptTokens = PromptTokens,
        CompletionTokens = CompletionTokens,
        TotalTokens = TotalTokens,
        RequestJson = RequestJson(),
        ResponseJson = HasResponse ? ResponseJson() : null,
        Tags = RequestLogEntry.TagsJson(Tags),
        Criteria = Criteria.Count == 0 ? null : new JArray(Criteria).ToString(Newtonsoft.Json.Formatting.None),
        CacheHit = CacheHit,
        CompletionId = CompletionId,
    };

    /// <summary>The request: a system and a user message, and for tool rows a tool call and its result before the last question.</summary>
    public string RequestJson()
    {
        var messages = new JArray
        {
            new JObject { ["role"] = "system", ["content"] = "Answer briefly." },
            new JObject { ["role"] = "user", ["content"] = $"question {Index} {Word}" },
        };
        var request = new JObject { ["model"] = Model, ["messages"] = messages, ["store"] = true, ["temperature"] = 0.2 };
        if (WithTools)
        {
            messages.Add(new JObject
            {
                ["role"] = "assistant",
                ["content"] = null,
                ["tool_calls"] = new JArray(new JObject
                {
                    ["id"] = $"call_{Index}_a",
                    ["type"] = "function",
                    ["function"] = new JObject { ["name"] = "get_weather", ["arguments"] = "{\"city\":\"Paris\"}" },
                }),
            });
            messages.Add(new JObject { ["role"] = "tool", ["tool_call_id"] = $"call_{Index}_a", ["content"] = "sunny, 21 C" });
            messages.Add(new JObject { ["role"] = "user", ["content"] = new JArray(new JObject { ["type"] = "text", ["text"] = "And in Rome?" }) });
            request["tools"] = new JArray(new JObject
            {
                ["type"] = "function",
                ["function"] = new JObject
                {
                    ["name"] = "get_weather",
                    ["description"] = "Gets the weather in a city.",
                    ["parameters"] = JObject.Parse("""{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}"""),
                    ["strict"] = true,
                },
            });
            request["parallel_tool_calls"] = false;
        }

        return request.ToString(Newtonsoft.Json.Formatting.None);
    }

    /// <summary>The response: text, or for tool rows a tool call.</summary>
    public string ResponseJson()
    {
        var message = WithTools
            ? new JObject
            {
                ["role"] = "assistant",
                ["content"] = null,
                ["refusal"] = null,
                ["tool_calls"] = new JArray(new JObject
                {
                    ["id"] = $"call_{Index}_b",
                    ["type"] = "function",
                    ["function"] = new JObject { ["name"] = "get_weather", ["arguments"] = "{\"city\":\"Rome\"}" },
                }),
            }
            : new JObject { ["role"] = "assistant", ["content"] = $"answer {Index}", ["refusal"] = null };
        return new JObject
        {
            ["id"] = CompletionId,
            ["object"] = "chat.completion",
            ["created"] = 1_740_000_000,
            ["model"] = Model,
            ["choices"] = new JArray(new JObject { ["index"] = 0, ["finish_reason"] = WithTools ? "tool_calls" : "stop", ["message"] = message }),
            ["usage"] = new JObject { ["prompt_tokens"] = PromptTokens, ["completion_tokens"] = CompletionTokens, ["total_tokens"] = TotalTokens },
        }.ToString(Newtonsoft.Json.Formatting.None);
    }

    /// <summary>Whether the row has the tag, compared by text as OpenPipe's filters compare.</summary>
    public bool HasTag(string name, string text) => Tags.TryGetValue(name, out var value) && LogFilter.TextOf(value) == text;
}
