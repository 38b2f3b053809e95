using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.Extensions.DependencyInjection;
using Newtonsoft.Json.Linq;
using OpenPipe.Gateway.Storage;
using OpenPipe.Server;

namespace OpenPipe.Gateway.Tests.LogsPage;

/// <summary>
/// The calls the /logs page's tests read (the server-side tests and, linked, the browser tests): two API
/// keys and an admin key; key A's calls over six days with two models, tags, criteria, cache hits, a
/// 429 and a 500 without a response, a tool-calling conversation, and a call whose message, tag and
/// model carry markup that must show as text. Written once per gateway, through its own store.
/// </summary>
public static class PageSeed
{
    public const string KeyA = "page-test-key-a";
    public const string KeyB = "page-test-key-b";
    public const string AdminKey = "page-test-admin-key";

    /// <summary>Markup that would run if the page did not encode what it shows.</summary>
    public const string Hostile = "<script>window.pwned = 1</script>\"><img src=x onerror=\"window.pwned = 2\">";

    public const string ModelMini = "gpt-4o-mini";
    public const string ModelBot = "openpipe:support-bot";

    /// <summary>Key A's calls per day, and the days.</summary>
    public const int CallsPerDay = 6;
    public const int Days = 6;

    /// <summary>Key B's calls.</summary>
    public const int CallsOfB = 8;

    public static readonly DateTimeOffset Start = new(2025, 3, 1, 9, 0, 0, TimeSpan.Zero);

    public static string KeyIdA { get; } = OpenPipeCaller.KeyIdOf(KeyA);

    public static string KeyIdB { get; } = OpenPipeCaller.KeyIdOf(KeyB);

    public static string AdminKeyId { get; } = OpenPipeCaller.KeyIdOf(AdminKey);

    /// <summary>A model name with markup in it.</summary>
    public const string HostileModel = "<i>model</i>\"><b>x</b>";

    /// <summary>The gateway's settings for these keys, and limits to show.</summary>
    public static Dictionary<string, string?> Settings() => new()
    {
        ["OpenPipe:Server:ApiKeys:0"] = KeyA,
        ["OpenPipe:Server:ApiKeys:1"] = KeyB,
        ["Gateway:Admin:Keys:0"] = AdminKey,
        ["Gateway:Storage:FlushInterval"] = "00:00:00.020",
        ["Gateway:Limits:RequestsPerMinute"] = "60",
        ["Gateway:Limits:TokensPerDay"] = "200000",
    };

    /// <summary>Every seeded call, in the order written (ids 1, 2, ... in this order).</summary>
    public static IReadOnlyList<RequestLogEntry> Entries { get; } = Make();

    /// <summary>Key A's tool-calling conversation (its id is its position in <see cref="Entries"/> plus one).</summary>
    public static long ToolCallId { get; } = IndexOf(e => e.CompletionId == "chatcmpl-tools") + 1;

    /// <summary>Key A's call with markup in it.</summary>
    public static long HostileCallId { get; } = IndexOf(e => e.CompletionId == "chatcmpl-hostile") + 1;

    /// <summary>One of key B's calls.</summary>
    public static long CallOfB { get; } = IndexOf(e => e.KeyId == KeyIdB) + 1;

    /// <summary>Writes <see cref="Entries"/> through the gateway's store, as its log writer does.</summary>
    public static Task WriteAsync(IServiceProvider services) =>
        services.GetRequiredService<IGatewayStore>().WriteLogAsync(Entries.ToList());

    private static int IndexOf(Func<RequestLogEntry, bool> match)
    {
        for (int i = 0; i < Entries.Count; i++)
        {
            if (match(Entries[i]))
            {
                return i;
            }
        }

        throw new InvalidOperationException("No such seeded call.");
    }

    private static List<RequestLogEntry> Make()
    {
        var entries = new List<RequestLogEntry>();
        for (int day = 0; day < Days; day++)
        {
            for (int i = 0; i < CallsPerDay; i++)
            {
                int n = (day * CallsPerDay) + i;
                string model = n % 3 == 0 ? ModelBot : ModelMini;
                int status = n == 7 ? 429 : n == 13 ? 500 : 200;
                var tags = new JObject { ["prompt_id"] = n % 2 == 0 ? "checkout" : "support", ["attempt"] = 1 + (n % 3) };
                entries.Add(Call(KeyIdA, Start.AddDays(day).AddMinutes(i * 37), model, n % 3 == 0 ? "openpipe" : "openai", status,
                    $"Question {n}: where is my order {1000 + n}?", status == 200 ? $"Order {1000 + n} ships tomorrow." : null,
                    tags, criteria: n % 4 == 1 ? ["tone@v1"] : null, cacheHit: n % 5 == 4, prompt: 40 + (n * 3), completion: 12 + n, id: "chatcmpl-a" + n));
            }
        }

        entries.Add(ToolConversation(Start.AddDays(Days - 1).AddHours(12)));
        entries.Add(Call(KeyIdA, Start.AddDays(Days - 1).AddHours(13), HostileModel, "openai", 200, "Say this back: " + Hostile, "You said: " + Hostile,
            new JObject { ["prompt_id"] = "hostile", ["note"] = Hostile }, criteria: null, cacheHit: false, prompt: 30, completion: 20, id: "chatcmpl-hostile"));
        for (int i = 0; i < CallsOfB; i++)
        {
            entries.Add(Call(KeyIdB, Start.AddDays(i % Days).AddMinutes(5 + i), "m-of-b", "echo", 200, $"Key B asks {i}", $"Key B answer {i}",
                new JObject { ["prompt_id"] = "of-b" }, criteria: null, cacheHit: false, prompt: 5, completion: 5, id: "chatcmpl-b" + i));
        }

        return entries;
    }

    private static RequestLogEntry Call(
        string keyId, DateTimeOffset at, string model, string backend, int status, string question, string? answer, JObject tags, string[]? criteria, bool cacheHit,
        long prompt, long completion, string id)
    {
        var request = new JObject
        {
            ["model"] = model,
            ["messages"] = new JArray(
                new JObject { ["role"] = "system", ["content"] = "You are the shop's support assistant. Answer briefly." },
                new JObject { ["role"] = "user", ["content"] = question }),
            ["store"] = true,
        };
        return new RequestLogEntry
        {
            ReceivedAt = at,
            KeyId = keyId,
            Model = model,
            Backend = backend,
            Status = status,
            Error = status == 200 ? null : status == 429 ? "Rate limit reached for requests." : "The upstream failed: 500 Internal Server Error.",
            LatencyMs = 180 + (prompt % 97),
            PromptTokens = status == 200 ? prompt : null,
            CompletionTokens = status == 200 ? completion : null,
            TotalTokens = status == 200 ? prompt + completion : null,
            RequestJson = request.ToString(Newtonsoft.Json.Formatting.None),
            ResponseJson = answer is null ? null : Completion(id, model, new JObject { ["role"] = "assistant", ["content"] = answer }, "stop", prompt, completion),
            Tags = tags.ToString(Newtonsoft.Json.Formatting.None),
            Criteria = criteria is null ? null : new JArray(criteria).ToString(Newtonsoft.Json.Formatting.None),
            CacheHit = cacheHit,
            CompletionId = answer is null ? null : id,
        };
    }

    /// <summary>A weather question answered after a tool call: system, user, the assistant's call, the tool's result, and the final answer as the response.</summary>
    private static RequestLogEntry ToolConversation(DateTimeOffset at)
    {
        var request = JObject.Parse("""
            {
              "model": "gpt-4o-mini",
              "messages": [
                {"role": "system", "content": "You can look up the weather."},
                {"role": "user", "content": "Should I take an umbrella in Rome today?"},
                {"role": "assistant", "content": null, "tool_calls": [
                  {"id": "call_weather_1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Rome\",\"unit\":\"celsius\"}"}}]},
                {"role": "tool", "tool_call_id": "call_weather_1", "content": "{\"forecast\":\"rain\",\"temperature\":14}"}
              ],
              "tools": [
                {"type": "function", "function": {"name": "get_weather", "description": "Gets today's weather in a city.",
                  "parameters": {"type": "object", "properties": {"city": {"type": "string"}, "unit": {"type": "string"}}, "required": ["city"]}}}
              ],
              "store": true
            }
            """);
        return new RequestLogEntry
        {
            ReceivedAt = at,
            KeyId = KeyIdA,
            Model = ModelMini,
            Backend = "openai",
            Status = 200,
            LatencyMs = 812,
            PromptTokens = 96,
            CompletionTokens = 18,
            TotalTokens = 114,
            RequestJson = request.ToString(Newtonsoft.Json.Formatting.None),
            ResponseJson = Completion("chatcmpl-tools", ModelMini, new JObject { ["role"] = "assistant", ["content"] = "Yes: rain is forecast in Rome today (14 °C)." }, "stop", 96, 18),
            Tags = new JObject { ["prompt_id"] = "weather" }.ToString(Newtonsoft.Json.Formatting.None),
            Criteria = new JArray("tone@v1", "length@v2").ToString(Newtonsoft.Json.Formatting.None),
            CompletionId = "chatcmpl-tools",
        };
    }

    private static string Completion(string id, string model, JObject message, string finishReason, long prompt, long completion) => new JObject
    {
        ["id"] = id,
        ["object"] = "chat.completion",
        ["created"] = 1_740_800_000,
        ["model"] = model,
        ["choices"] = new JArray(new JObject { ["index"] = 0, ["message"] = message, ["finish_reason"] = finishReason }),
        ["usage"] = new JObject { ["prompt_tokens"] = prompt, ["completion_tokens"] = completion, ["total_tokens"] = prompt + completion },
    }.ToString(Newtonsoft.Json.Formatting.None);

    /// <summary>How many of key A's seeded calls match, for expectations.</summary>
    public static int CountOfA(Func<RequestLogEntry, bool> match) => Entries.Count(e => e.KeyId == KeyIdA && match(e));

    /// <summary>The seeded calls of key A, newest first (received time, then id), as the page lists them.</summary>
    public static IReadOnlyList<long> IdsOfANewestFirst() =>
        Entries.Select((e, i) => (Entry: e, Id: (long)(i + 1))).Where(x => x.Entry.KeyId == KeyIdA)
            .OrderByDescending(x => x.Entry.ReceivedAt).ThenByDescending(x => x.Id).Select(x => x.Id).ToList();

    /// <summary>Formats an id as the page's links have it.</summary>
    public static string Id(long id) => id.ToString(CultureInfo.InvariantCulture);
}
