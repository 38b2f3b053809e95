// Adds: SpecValidator, which checks a DTO graph against the constraints NSwag generated from the
// spec ([Required], [Range], [StringLength], IValidatableObject) and names each problem by its JSON
// path (`messages.1.role`). Requests are checked with it on the way in; responses, optionally, on
// the way out.

using System;
using System.Collections;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.ComponentModel.DataAnnotations;
using System.Linq;
using System.Reflection;
using Newtonsoft.Json.Serialization;
using OpenPipe.Client;

namespace OpenPipe.Server;

/// <summary>Validates the generated DTOs recursively, reporting JSON paths.</summary>
internal static class SpecValidator
{
    private const int MaxDepth = 64;
    private static readonly Assembly Dtos = typeof(ChatCompletionRequest).Assembly;
    private static readonly ConcurrentDictionary<Type, Member[]> Members = new();

    private sealed record Member(string JsonName, Func<object, object?> Get);

    /// <summary>Adds one issue per constraint <paramref name="value"/> or anything under it breaks.</summary>
    public static void Validate(object value, List<ErrorIssue> issues) => Visit(value, [], issues, 0);

    private static void Visit(object value, List<object> path, List<ErrorIssue> issues, int depth)
    {
        if (depth > MaxDepth)
        {
            return;
        }

        var type = value.GetType();
        var members = Members.GetOrAdd(type, Describe);
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(value, new ValidationContext(value), results, validateAllProperties: true);

        // `function` is required of function tools only: a custom (or newer) kind of tool has its own members instead.
        if (value is ChatCompletionTool { IsFunction: false } or ChatCompletionToolCall { IsFunction: false })
        {
            results.RemoveAll(r => r.MemberNames.Contains("Function"));
        }
        foreach (var result in results)
        {
            var names = result.MemberNames.Any() ? result.MemberNames : [string.Empty];
            foreach (string member in names)
            {
                string json = members.FirstOrDefault(m => m.JsonName == member)?.JsonName ?? JsonNameOf(type, member);
                issues.Add(new ErrorIssue
                {
                    Message = result.ErrorMessage is { } message && json.Length > 0 ? message.Replace(member, json, StringComparison.Ordinal) : result.ErrorMessage ?? "Invalid value.",
                    Path = json.Length == 0 ? [.. path] : [.. path, json],
                });
            }
        }

        foreach (var member in members)
        {
            object? child = member.Get(value);
            if (child is null || child is string)
            {
                continue;
            }

            if (child is IDictionary)
            {
                continue; // extension data and free-form maps carry no generated constraints
            }

            if (child is IEnumerable items)
            {
                int i = 0;
                foreach (object? item in items)
                {
                    if (item is not null && IsDto(item.GetType()))
                    {
                        Visit(item, [.. path, member.JsonName, i], issues, depth + 1);
                    }

                    i++;
                }
            }
            else if (IsDto(child.GetType()))
            {
                Visit(child, [.. path, member.JsonName], issues, depth + 1);
            }
        }
    }

    private static bool IsDto(Type type) => type.Assembly == Dtos && type.IsClass;

    private static string JsonNameOf(Type type, string member)
    {
        if (member.Length == 0)
        {
            return member;
        }

        var contract = OpenPipeJson.Settings.ContractResolver!.ResolveContract(type) as JsonObjectContract;
        return contract?.Properties.FirstOrDefault(p => p.UnderlyingName == member)?.PropertyName ?? member;
    }

    private static Member[] Describe(Type type)
    {
        if (OpenPipeJson.Settings.ContractResolver!.ResolveContract(type) is not JsonObjectContract contract)
        {
            return [];
        }

        return contract.Properties
            .Where(p => p.Readable && !p.Ignored && p.ValueProvider is not null && p.PropertyName is not null)
            .Select(p => new Member(p.PropertyName!, o => p.ValueProvider!.GetValue(o)))
            .ToArray();
    }
}
