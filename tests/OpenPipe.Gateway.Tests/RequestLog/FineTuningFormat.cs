using System.Collections.Generic;
using System.Linq;
using Newtonsoft.Json.Linq;

namespace OpenPipe.Gateway.Tests.RequestLog;

/// <summary>
/// OpenAI's chat fine-tuning format (platform.openai.com/docs/guides/fine-tuning, "Preparing your
/// dataset", and the fine-tuning chat input reference), written as rules: each line is one JSON object
/// with <c>messages</c> (required) and optionally <c>tools</c>, <c>functions</c> and
/// <c>parallel_tool_calls</c>, nothing else.
/// <list type="bullet">
/// <item><c>messages</c>: a non-empty array whose last message is the assistant's.</item>
/// <item><c>system</c>: <c>content</c> a string; optional <c>name</c>.</item>
/// <item><c>user</c>: <c>content</c> a string or an array of parts <c>{type: "text", text}</c> or
/// <c>{type: "image_url", image_url: {url, detail?}}</c>; optional <c>name</c>.</item>
/// <item><c>assistant</c>: <c>content</c> a string, or null when it has <c>tool_calls</c> (or a legacy
/// <c>function_call</c>); <c>tool_calls</c> items are <c>{id, type: "function", function: {name,
/// arguments}}</c> with <c>arguments</c> a string of JSON; optional <c>name</c>, <c>weight</c> 0 or 1.</item>
/// <item><c>tool</c>: <c>tool_call_id</c> naming an earlier assistant tool call, <c>content</c> a string.</item>
/// <item><c>function</c> (legacy): <c>name</c> and <c>content</c> strings.</item>
/// <item><c>tools</c>: items <c>{type: "function", function: {name, description?, parameters?}}</c>,
/// <c>parameters</c> a JSON Schema object.</item>
/// </list>
/// </summary>
public static class FineTuningFormat
{
    /// <summary>What is wrong with one line; empty when it is a valid example.</summary>
    public static List<string> Problems(string line)
    {
        var problems = new List<string>();
        JObject example;
        try
        {
            example = JObject.Parse(line);
        }
        catch (Newtonsoft.Json.JsonException e)
        {
            return [$"not a JSON object: {e.Message}"];
        }

        foreach (var property in example.Properties().Where(p => p.Name is not ("messages" or "tools" or "functions" or "parallel_tool_calls")))
        {
            problems.Add($"unknown key '{property.Name}'");
        }

        if (example["messages"] is not JArray { Count: > 0 } messages)
        {
            problems.Add("messages must be a non-empty array");
            return problems;
        }

        var callIds = new HashSet<string>();
        for (int i = 0; i < messages.Count; i++)
        {
            if (messages[i] is not JObject message)
            {
                problems.Add($"messages[{i}] is not an object");
                continue;
            }

            string at = $"messages[{i}]";
            switch ((string?)message["role"])
            {
                case "system":
                    Only(message, at, problems, "role", "content", "name");
                    String(message, "content", at, problems);
                    break;
                case "user":
                    Only(message, at, problems, "role", "content", "name");
                    UserContent(message["content"], at, problems);
                    break;
                case "assistant":
                    Only(message, at, problems, "role", "content", "tool_calls", "function_call", "name", "weight");
                    Assistant(message, at, problems, callIds);
                    break;
                case "tool":
                    Only(message, at, problems, "role", "content", "tool_call_id");
                    String(message, "content", at, problems);
                    if (!callIds.Contains((string?)message["tool_call_id"] ?? string.Empty))
                    {
                        problems.Add($"{at}.tool_call_id does not name an earlier tool call");
                    }

                    break;
                case "function":
                    Only(message, at, problems, "role", "content", "name");
                    String(message, "name", at, problems);
                    String(message, "content", at, problems);
                    break;
                default:
                    problems.Add($"{at}.role '{message["role"]}' is not system, user, assistant, tool or function");
                    break;
            }
        }

        if ((string?)messages[^1]?["role"] != "assistant")
        {
            problems.Add("the last message is not the assistant's");
        }

        if (example["tools"] is { } tools)
        {
            if (tools is not JArray array)
            {
                problems.Add("tools is not an array");
            }
            else
            {
                foreach (var tool in array)
                {
                    if (tool is not JObject { } t || (string?)t["type"] != "function" || t["function"] is not JObject function
                        || function["name"]?.Type != JTokenType.String || (function["parameters"] is { } p && p.Type != JTokenType.Object)
                        || function.Properties().Any(q => q.Name is not ("name" or "description" or "parameters")))
                    {
                        problems.Add($"tool {tool.ToString(Newtonsoft.Json.Formatting.None)} is not {{type: function, function: {{name, description?, parameters?}}}}");
                    }
                }
            }
        }

        if (example["parallel_tool_calls"] is { } parallel && parallel.Type != JTokenType.Boolean)
        {
            problems.Add("parallel_tool_calls is not a boolean");
        }

        return problems;
    }

    private static void Assistant(JObject message, string at, List<string> problems, HashSet<string> callIds)
    {
        var content = message["content"];
        bool hasCalls = message["tool_calls"] is JArray { Count: > 0 };
        bool hasFunction = message["function_call"] is JObject;
        if (content is null || (content.Type == JTokenType.Null && !hasCalls && !hasFunction) || content.Type is not (JTokenType.String or JTokenType.Null))
        {
            problems.Add($"{at}.content must be a string, or null beside tool calls");
        }

        if (message["tool_calls"] is { } calls)
        {
            if (calls is not JArray array)
            {
                problems.Add($"{at}.tool_calls is not an array");
                return;
            }

            foreach (var call in array)
            {
                if (call is not JObject c || c["id"]?.Type != JTokenType.String || (string?)c["type"] != "function" || c["function"] is not JObject f
                    || f["name"]?.Type != JTokenType.String || f["arguments"]?.Type != JTokenType.String || c.Count != 3 || f.Count != 2)
                {
                    problems.Add($"{at}: tool call {call.ToString(Newtonsoft.Json.Formatting.None)} is not {{id, type: function, function: {{name, arguments: string}}}}");
                    continue;
                }

                try
                {
                    JToken.Parse((string)f["arguments"]!);
                }
                catch (Newtonsoft.Json.JsonException)
                {
                    problems.Add($"{at}: tool call arguments are not JSON text");
                }

                callIds.Add((string)c["id"]!);
            }
        }

        if (message["weight"] is { } weight && !(weight.Type == JTokenType.Integer && (int)weight is 0 or 1))
        {
            problems.Add($"{at}.weight must be 0 or 1");
        }
    }

    private static void UserContent(JToken? content, string at, List<string> problems)
    {
        if (content?.Type == JTokenType.String)
        {
            return;
        }

        if (content is not JArray parts)
        {
            problems.Add($"{at}.content must be a string or an array of parts");
            return;
        }

        foreach (var part in parts)
        {
            bool text = (string?)part["type"] == "text" && part["text"]?.Type == JTokenType.String;
            bool image = (string?)part["type"] == "image_url" && part["image_url"]?["url"]?.Type == JTokenType.String;
            if (!text && !image)
            {
                problems.Add($"{at}: part {part.ToString(Newtonsoft.Json.Formatting.None)} is neither text nor image_url");
            }
        }
    }

    private static void String(JObject message, string name, string at, List<string> problems)
    {
        if (message[name]?.Type != JTokenType.String)
        {
            problems.Add($"{at}.{name} must be a string");
        }
    }

    private static void Only(JObject message, string at, List<string> problems, params string[] allowed)
    {
        foreach (var property in message.Properties().Where(p => !allowed.Contains(p.Name)))
        {
            problems.Add($"{at} has '{property.Name}', which its role does not take");
        }
    }
}
