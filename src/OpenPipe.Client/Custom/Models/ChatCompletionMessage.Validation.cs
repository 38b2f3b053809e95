// Adds: validation of a message's role. An unknown role reads into the base class without
// throwing (forward compatibility); a server validating a request reports it as a bad field.

using System.Collections.Generic;
using System.ComponentModel.DataAnnotations;

namespace OpenPipe.Client;

public partial class ChatCompletionMessage : IValidatableObject
{
    /// <summary>Whether the role was none the spec names: the message read into this base class, not a subclass.</summary>
    internal bool HasUnknownRole => GetType() == typeof(ChatCompletionMessage);

    /// <summary>Reports a message whose role is none of system, developer, user, assistant, tool, function.</summary>
    /// <param name="validationContext">The validation context.</param>
    /// <returns>The problems found.</returns>
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (HasUnknownRole)
        {
            string role = AdditionalProperties.TryGetValue("role", out var value) ? value?.ToString() ?? "null" : "(missing)";
            yield return new ValidationResult(
                $"Unknown message role '{role}': expected system, developer, user, assistant, tool or function.", ["role"]);
        }
    }
}
