// Adds: the spec's required members checked while reading, without Newtonsoft's own tracking.
// Newtonsoft builds a dictionary of every property of an object for each object it reads whose
// type has a required property: for a completion with log probabilities that is one dictionary per
// token and per alternative. Here each such type's required
// members get a bit: a property found in the JSON sets its bit (JsonProperty.ShouldDeserialize is
// called for every property present, before its value is read), and when the object ends a missing
// one is the same JsonSerializationException Newtonsoft throws ("Required property 'x' not found in
// JSON."), raised inside the reader, so the server reports it with its JSON path.
// Writing does not need it: with the wire settings' NullValueHandling.Ignore, Newtonsoft does not
// consult Required when writing these properties.

using System;
using System.Collections.Generic;
using System.Runtime.Serialization;
using Newtonsoft.Json;
using Newtonsoft.Json.Serialization;

namespace OpenPipe.Client;

/// <summary>Checks a contract's required members with one bit per member and a per-thread stack of objects being read.</summary>
internal static class RequiredMembers
{
    /// <summary>Real nesting is bounded by the reader's MaxDepth (128); frames beyond this are left over from reads that failed.</summary>
    private const int MaxFrames = 512;

    /// <summary>What <see cref="Install"/> took over, by contract, for readers that check required members themselves (Utf8DtoReader).</summary>
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<JsonObjectContract, Installed> InstalledOn = new();

    [ThreadStatic]
    private static Frame[]? frames;

    [ThreadStatic]
    private static int count;

    /// <summary>
    /// Takes over the required checks of <paramref name="contract"/>'s properties marked
    /// <see cref="Required.Always"/> or <see cref="Required.AllowNull"/> (up to 64); leaves the
    /// contract to Newtonsoft when it has more, or an item-level requirement.
    /// </summary>
    /// <param name="contract">A contract just created by the resolver.</param>
    public static void Install(JsonObjectContract contract)
    {
        if (contract.ItemRequired is not null and not Required.Default)
        {
            return;
        }

        var required = new List<JsonProperty>();
        foreach (var property in contract.Properties)
        {
            if (!property.Ignored && property.Required is Required.Always or Required.AllowNull)
            {
                required.Add(property);
            }
        }

        if (required.Count == 0 || required.Count > 64)
        {
            return;
        }

        var members = required.ToArray();
        ulong notNull = 0;
        bool wrappedOthers = false;
        for (int i = 0; i < members.Length; i++)
        {
            ulong bit = 1UL << i;
            var property = members[i];
            if (property is { Required: Required.Always, PropertyType.IsValueType: false, ValueProvider: not null })
            {
                notNull |= bit;
            }

            var previous = property.ShouldDeserialize;
            wrappedOthers |= previous is not null;
            property.ShouldDeserialize = target =>
            {
                Mark(target, bit);
                return previous is null || previous(target);
            };

            // With no required property left, Newtonsoft does not track presence for this contract (HasRequiredOrDefaultValueProperties becomes false).
            property.Required = Required.Default;
        }

        contract.OnDeserializingCallbacks.Add((target, _) => Push(target));
        contract.OnDeserializedCallbacks.Add((target, _) => Check(target, members, notNull));
        InstalledOn.AddOrUpdate(contract, new Installed(members, notNull, wrappedOthers));
    }

    /// <summary>
    /// The required members <see cref="Install"/> took over on <paramref name="contract"/> (it added
    /// one deserializing and one deserialized callback, and wrapped each member's ShouldDeserialize).
    /// </summary>
    /// <param name="contract">A contract from the wire settings' resolver.</param>
    /// <param name="installed">The members, which must be present, and which of them must not be null.</param>
    /// <returns>Whether this contract's required members are checked here.</returns>
    public static bool TryGetInstalled(JsonObjectContract contract, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Installed? installed) =>
        InstalledOn.TryGetValue(contract, out installed);

    /// <summary>A contract's required members as <see cref="Install"/> took them over.</summary>
    /// <param name="Members">The members that must be present.</param>
    /// <param name="NotNull">Bit i set: <c>Members[i]</c> must not be null (a reference marked Required.Always).</param>
    /// <param name="WrappedOthers">Whether a member already had a ShouldDeserialize of its own, which still runs.</param>
    internal sealed record Installed(JsonProperty[] Members, ulong NotNull, bool WrappedOthers);

    private static void Push(object target)
    {
        var stack = frames ??= new Frame[16];
        if (count >= MaxFrames)
        {
            Array.Clear(stack);
            count = 0;
        }

        if (count == stack.Length)
        {
            Array.Resize(ref frames, stack.Length * 2);
            stack = frames;
        }

        stack[count++] = new Frame(target, 0);
    }

    private static void Mark(object target, ulong bit)
    {
        var stack = frames;
        for (int i = count - 1; i >= 0; i--)
        {
            if (ReferenceEquals(stack![i].Target, target))
            {
                stack[i].Seen |= bit;
                return;
            }
        }
    }

    private static void Check(object target, JsonProperty[] members, ulong notNull)
    {
        var stack = frames;
        int i = count - 1;
        while (i >= 0 && !ReferenceEquals(stack![i].Target, target))
        {
            i--;
        }

        if (i < 0)
        {
            // Not read through this contract's population (filled member by member elsewhere): nothing to check.
            return;
        }

        ulong seen = stack![i].Seen;
        Array.Clear(stack, i, count - i);
        count = i;
        List<string>? problems = null;
        for (int m = 0; m < members.Length; m++)
        {
            ulong bit = 1UL << m;
            if ((seen & bit) == 0)
            {
                (problems ??= []).Add($"Required property '{members[m].PropertyName}' not found in JSON.");
            }
            else if ((notNull & bit) != 0 && members[m].ValueProvider!.GetValue(target) is null)
            {
                // A null is skipped by the wire settings (NullValueHandling.Ignore), so a reference left null was null in the JSON.
                (problems ??= []).Add($"Required property '{members[m].PropertyName}' expects a value but got null.");
            }
        }

        if (problems is not null)
        {
            throw new RequiredMembersException(problems);
        }
    }

    private struct Frame(object target, ulong seen)
    {
        public object? Target = target;
        public ulong Seen = seen;
    }
}

/// <summary>One object's required members that were missing or null, each as Newtonsoft words it.</summary>
internal sealed class RequiredMembersException : JsonSerializationException
{
    public RequiredMembersException(IReadOnlyList<string> problems)
        : base(problems.Count == 1 ? problems[0] : $"{problems[0]} (and {problems.Count - 1} more)")
    {
        Problems = problems;
    }

    /// <summary>Each problem, one member each.</summary>
    public IReadOnlyList<string> Problems { get; }
}
