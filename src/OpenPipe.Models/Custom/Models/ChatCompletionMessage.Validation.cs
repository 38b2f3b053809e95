// Adds: validation of a message's role. An unknown role reads into the base class without
// throwing (forward compatibility); a server validating a request reports it as a bad field.

using System;
using System.Collections.Generic;
using System.ComponentModel.DataAnnotations;

namespace OpenPipe;

public partial class ChatCompletionMessage : IValidatableObject
{
    /// <summary>
    /// Whether <see cref="Validate(ValidationContext)"/> can report anything for a message of this type: only for this
    /// base class, into which a message whose role the spec does not name is read; a subclass is a
    /// known role.
    /// </summary>
    /// <param name="messageType">The message's run-time type.</param>
    /// <returns>True for the base class itself.</returns>
    private static bool ValidatesRole(Type messageType) => messageType == typeof(ChatCompletionMessage);

    /// <summary>The generated validation's rule of this class: the same report as <see cref="Validate(ValidationContext)"/>.</summary>
    partial void ValidateObject(WireValidation validation)
    {
        foreach (var result in Validate(new ValidationContext(this)))
        {
            foreach (string member in result.MemberNames)
            {
                validation.Add(member, result.ErrorMessage ?? "Invalid value.");
            }
        }
    }

    /// <summary>Reports a message whose role is none of system, developer, user, assistant, tool, function.</summary>
    /// <param name="validationContext">The validation context.</param>
    /// <returns>The problems found.</returns>
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (ValidatesRole(GetType()))
        {
            string role = AdditionalProperties.TryGetValue("role", out var value) ? value?.ToString() ?? "null" : "(missing)";
            yield return new ValidationResult(
                $"Unknown message role '{role}': expected system, developer, user, assistant, tool or function.", ["role"]);
        }
    }
}
