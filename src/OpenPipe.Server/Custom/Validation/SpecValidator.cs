// Adds: SpecValidator, which checks a DTO graph against the constraints NSwag generated from the
// spec ([Required], [Range], [StringLength], IValidatableObject) and names each problem by its JSON
// path (`messages.1.role`). Requests are checked with it on the way in; responses, optionally, on
// the way out. Each type's plan is built once: only its constrained properties are checked (each
// attribute called directly, in DataAnnotations' order and with its messages), and only members
// that can hold a DTO are walked, each read by a compiled getter; the path is built only for a
// problem. A valid graph allocates little: list items are walked by index and their indexes come
// from a cache of boxed numbers, and one plan lookup per value says whether and how to walk it.

using System;
using System.Collections;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.ComponentModel.DataAnnotations;
using System.Linq;
using System.Linq.Expressions;
using System.Reflection;
using Newtonsoft.Json.Serialization;

namespace OpenPipe.Server;

/// <summary>Validates the generated DTOs recursively, reporting JSON paths.</summary>
internal static class SpecValidator
{
    private const int MaxDepth = 64;
    private static readonly Assembly Dtos = typeof(ChatCompletionRequest).Assembly;
    private static readonly ConcurrentDictionary<Type, Plan> Plans = new();
    private static readonly object[] Indexes = [.. Enumerable.Range(0, 256).Select(i => (object)i)];

    /// <summary>A property with constraints: its attributes, [Required] first as DataAnnotations checks it.</summary>
    private sealed record Check(string Name, string JsonName, Func<object, object?> Get, RequiredAttribute? Required, ValidationAttribute[] Others);

    /// <summary>A member that can hold a DTO or a list of them.</summary>
    private sealed record Child(string JsonName, Func<object, object?> Get);

    /// <summary>How to check one type; <see cref="IsDto"/> false for anything else (which is not walked).</summary>
    private sealed record Plan(bool IsDto, Check[] Checks, ValidationAttribute[] TypeAttributes, bool Validatable, Child[] Children);

    /// <summary>Adds one issue per constraint <paramref name="value"/> or anything under it breaks.</summary>
    public static void Validate(object value, List<ErrorIssue> issues) => Visit(value, PlanOf(value.GetType()), [], issues, 0);

    private static void Visit(object value, Plan plan, List<object> path, List<ErrorIssue> issues, int depth)
    {
        if (depth > MaxDepth)
        {
            return;
        }

        int before = issues.Count;

        // `function` is required of function tools only: a custom (or newer) kind of tool has its own members instead.
        bool openTool = value is ChatCompletionTool { IsFunction: false } or ChatCompletionToolCall { IsFunction: false };
        foreach (var check in plan.Checks)
        {
            if (openTool && check.Name == nameof(ChatCompletionTool.Function))
            {
                continue;
            }

            object? member = check.Get(value);
            if (check.Required is { } required && !required.IsValid(member))
            {
                Add(issues, path, check, required);
                continue;
            }

            foreach (var attribute in check.Others)
            {
                if (!attribute.IsValid(member))
                {
                    Add(issues, path, check, attribute);
                }
            }
        }

        // As Validator.TryValidateObject: the type's own rules only when its properties passed.
        if (issues.Count == before && (plan.TypeAttributes.Length > 0 || plan.Validatable))
        {
            var context = new ValidationContext(value);
            List<ValidationResult>? results = null;
            foreach (var attribute in plan.TypeAttributes)
            {
                if (attribute.GetValidationResult(value, context) is { } result && result != ValidationResult.Success)
                {
                    (results ??= []).Add(result);
                }
            }

            if (results is null && plan.Validatable)
            {
                foreach (var result in ((IValidatableObject)value).Validate(context))
                {
                    if (result != ValidationResult.Success)
                    {
                        (results ??= []).Add(result);
                    }
                }
            }

            // Nothing failed (the usual case): nothing to report.
            if (results is not null)
            {
                foreach (var result in results)
                {
                    foreach (string member in result.MemberNames.Any() ? result.MemberNames : [string.Empty])
                    {
                        string json = JsonNameOf(value.GetType(), member);
                        issues.Add(new ErrorIssue
                        {
                            Message = result.ErrorMessage is { } message && json.Length > 0 ? message.Replace(member, json, StringComparison.Ordinal) : result.ErrorMessage ?? "Invalid value.",
                            Path = json.Length == 0 ? [.. path] : [.. path, json],
                        });
                    }
                }
            }
        }

        foreach (var child in plan.Children)
        {
            object? item = child.Get(value);
            if (item is null || item is string || item is IDictionary)
            {
                continue; // extension data and free-form maps carry no generated constraints
            }

            path.Add(child.JsonName);
            if (item is IList list)
            {
                // By index: no boxed enumerator per list.
                for (int i = 0; i < list.Count; i++)
                {
                    VisitItem(list[i], i, path, issues, depth);
                }
            }
            else if (item is IEnumerable items)
            {
                int i = 0;
                foreach (object? element in items)
                {
                    VisitItem(element, i++, path, issues, depth);
                }
            }
            else if (PlanOf(item.GetType()) is { IsDto: true } itemPlan)
            {
                Visit(item, itemPlan, path, issues, depth + 1);
            }

            path.RemoveAt(path.Count - 1);
        }
    }

    private static void VisitItem(object? element, int index, List<object> path, List<ErrorIssue> issues, int depth)
    {
        if (element is not null && PlanOf(element.GetType()) is { IsDto: true } plan)
        {
            path.Add(index < Indexes.Length ? Indexes[index] : index);
            Visit(element, plan, path, issues, depth + 1);
            path.RemoveAt(path.Count - 1);
        }
    }

    private static void Add(List<ErrorIssue> issues, List<object> path, Check check, ValidationAttribute attribute) =>
        issues.Add(new ErrorIssue
        {
            Message = attribute.FormatErrorMessage(check.Name).Replace(check.Name, check.JsonName, StringComparison.Ordinal),
            Path = [.. path, check.JsonName],
        });

    /// <summary>The type's plan, described on first use; one lookup tells both whether to walk a value and how.</summary>
    private static Plan PlanOf(Type type) => Plans.GetOrAdd(type, Describe);

    /// <summary>Whether a member of this declared type can hold a DTO (or a list of them) at run time.</summary>
    private static bool CanHoldDto(Type type) =>
        !(type.IsValueType || type == typeof(string) || typeof(IDictionary).IsAssignableFrom(type)
          || (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IDictionary<,>)));

    private static string JsonNameOf(Type type, string member)
    {
        if (member.Length == 0)
        {
            return member;
        }

        var contract = OpenPipeJson.Settings.ContractResolver!.ResolveContract(type) as JsonObjectContract;
        return contract?.Properties.FirstOrDefault(p => p.UnderlyingName == member)?.PropertyName ?? member;
    }

    private static Plan Describe(Type type)
    {
        if (type.Assembly != Dtos || !type.IsClass)
        {
            return new Plan(false, [], [], false, []);
        }

        var checks = new List<Check>();
        var children = new List<Child>();
        if (OpenPipeJson.Settings.ContractResolver!.ResolveContract(type) is JsonObjectContract contract)
        {
            foreach (var p in contract.Properties.Where(p => p.Readable && !p.Ignored && p.ValueProvider is not null && p.PropertyName is not null))
            {
                var provider = p.ValueProvider!;
                var property = p.UnderlyingName is { } name ? type.GetProperty(name, BindingFlags.Public | BindingFlags.Instance) : null;
                Func<object, object?> get = property is { GetMethod.IsPublic: true } readable ? Getter(type, readable) : o => provider.GetValue(o);
                var attributes = property is not null ? property.GetCustomAttributes<ValidationAttribute>(inherit: true).ToArray() : [];
                if (attributes.Length > 0)
                {
                    checks.Add(new Check(p.UnderlyingName!, p.PropertyName!, get, attributes.OfType<RequiredAttribute>().FirstOrDefault(), attributes.Where(a => a is not RequiredAttribute).ToArray()));
                }

                if (CanHoldDto(p.PropertyType ?? typeof(object)))
                {
                    children.Add(new Child(p.PropertyName!, get));
                }
            }
        }

        return new Plan(
            true,
            [.. checks],
            type.GetCustomAttributes<ValidationAttribute>(inherit: true).ToArray(),
            typeof(IValidatableObject).IsAssignableFrom(type) && !IsKnownRoleMessage(type),
            [.. children]);
    }

    /// <summary>
    /// A message type of a known role (a subclass of the message base class): its inherited
    /// <see cref="IValidatableObject.Validate"/> reports nothing, so its plan skips it (and the
    /// ValidationContext it would cost for every message).
    /// </summary>
    private static bool IsKnownRoleMessage(Type type) =>
        typeof(ChatCompletionMessage).IsAssignableFrom(type) && type != typeof(ChatCompletionMessage);

    /// <summary>A compiled read of the property (what Newtonsoft's value provider reads, without its wrapper).</summary>
    private static Func<object, object?> Getter(Type type, PropertyInfo property)
    {
        var target = Expression.Parameter(typeof(object));
        var read = Expression.Convert(Expression.Property(Expression.Convert(target, type), property), typeof(object));
        return Expression.Lambda<Func<object, object?>>(read, target).Compile();
    }
}
