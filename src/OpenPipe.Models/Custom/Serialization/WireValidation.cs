// Adds: what the generated validation (Validate in Generated/Serialization/*.Serialization.g.cs)
// reports into: the JSON path it is at and the issues, each with the message DataAnnotations gives for
// the same constraint (so a message reads as the spec's attributes say it), and the public entry
// point, OpenPipeValidation.

using System;
using System.Collections.Generic;
using System.ComponentModel.DataAnnotations;

namespace OpenPipe;

/// <summary>A wire type whose generated code checks it against the spec.</summary>
internal interface IWireValidatable
{
    /// <summary>Reports each constraint the value or anything in it breaks.</summary>
    /// <param name="validation">Where the issues go.</param>
    void Validate(WireValidation validation);
}

/// <summary>The issues found so far and the JSON path the validation is at.</summary>
internal sealed class WireValidation
{
    /// <summary>Deeper graphs (or one that refers to itself) are not walked further.</summary>
    private const int MaxDepth = 64;

    private static readonly object[] Indexes = CreateIndexes();

    private readonly List<object> path = [];
    private int depth;

    /// <summary>The issues, in the order found.</summary>
    public List<ErrorIssue> Issues { get; } = [];

    /// <summary>How many issues have been found.</summary>
    public int Count => Issues.Count;

    /// <summary>Steps into a member; false (nothing entered) past the depth limit.</summary>
    public bool Enter(string member) => Enter((object)member);

    /// <summary>Steps into a list item; false (nothing entered) past the depth limit.</summary>
    public bool Enter(int index) => Enter(index < Indexes.Length ? Indexes[index] : index);

    /// <summary>Steps out of what <see cref="Enter(string)"/> or <see cref="Enter(int)"/> entered.</summary>
    public void Leave()
    {
        path.RemoveAt(path.Count - 1);
        depth--;
    }

    public void Required(string member) => Add(member, new RequiredAttribute().FormatErrorMessage(member));

    public void Range(string member, double minimum, double maximum) => Add(member, new RangeAttribute(minimum, maximum).FormatErrorMessage(member));

    public void Range(string member, int minimum, int maximum) => Add(member, new RangeAttribute(minimum, maximum).FormatErrorMessage(member));

    public void MinLength(string member, int length) => Add(member, new MinLengthAttribute(length).FormatErrorMessage(member));

    public void MaxLength(string member, int length) => Add(member, new MaxLengthAttribute(length).FormatErrorMessage(member));

    public void StringLength(string member, int maximum, int minimum) => Add(member, new StringLengthAttribute(maximum) { MinimumLength = minimum }.FormatErrorMessage(member));

    /// <summary>An issue of the object the validation is at (its own rule), at <paramref name="member"/> or at the object itself.</summary>
    public void Add(string? member, string message) =>
        Issues.Add(new ErrorIssue { Message = message, Path = member is null ? [.. path] : [.. path, member] });

    private bool Enter(object segment)
    {
        if (depth >= MaxDepth)
        {
            return false;
        }

        path.Add(segment);
        depth++;
        return true;
    }

    private static object[] CreateIndexes()
    {
        var indexes = new object[256];
        for (int i = 0; i < indexes.Length; i++)
        {
            indexes[i] = i;
        }

        return indexes;
    }
}

/// <summary>Checks wire values against the constraints of the API's spec.</summary>
public static class OpenPipeValidation
{
    /// <summary>
    /// The constraints of the spec <paramref name="value"/> or anything in it breaks (required members,
    /// ranges, minimum items, known message roles), one issue each, with its JSON path (member names as
    /// strings, list indexes as integers) and the message DataAnnotations gives for the constraint.
    /// </summary>
    /// <param name="value">A wire value (a request, a completion, a chunk, ...).</param>
    /// <returns>The issues; empty when the value is valid.</returns>
    public static IReadOnlyList<ErrorIssue> Validate(object value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value is not IWireValidatable validatable)
        {
            return [];
        }

        var validation = new WireValidation();
        validatable.Validate(validation);
        return validation.Issues;
    }
}
