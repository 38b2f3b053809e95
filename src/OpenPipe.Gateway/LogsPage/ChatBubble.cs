using System.Collections.Generic;

namespace OpenPipe.Gateway.LogsPage;

// The pieces of a Conversation as the detail view shows them.

/// <summary>What a part of a message is.</summary>
public enum PartKind
{
    /// <summary>Text.</summary>
    Text,

    /// <summary>A refusal.</summary>
    Refusal,

    /// <summary>An image, shown as its address.</summary>
    Image,

    /// <summary>Audio, shown as its format.</summary>
    Audio,

    /// <summary>Anything else, shown as JSON.</summary>
    Other,
}

/// <summary>A part of a message's content.</summary>
/// <param name="Kind">What it is.</param>
/// <param name="Text">What to show.</param>
public sealed record BubblePart(PartKind Kind, string Text);

/// <summary>A tool call (or a legacy function call) of an assistant message.</summary>
/// <param name="Id">The call's id, or null for a legacy function call.</param>
/// <param name="Name">The function's name.</param>
/// <param name="Arguments">The arguments, indented when they are JSON.</param>
public sealed record ToolCallView(string? Id, string Name, string Arguments);

/// <summary>A tool the request offered.</summary>
/// <param name="Name">The function's name.</param>
/// <param name="Description">Its description, if any.</param>
public sealed record ToolView(string Name, string? Description);

/// <summary>One message as a chat bubble.</summary>
/// <param name="Style">The bubble's style: system, user, assistant, tool, error or other.</param>
/// <param name="Label">The role, and for the response which choice and why it finished.</param>
/// <param name="Parts">The content.</param>
/// <param name="ToolCalls">The assistant's tool calls.</param>
/// <param name="ToolCallId">For a tool result, the call it answers.</param>
/// <param name="Name">The message's <c>name</c> (a participant, or a legacy function's).</param>
/// <param name="IsResponse">Whether it is the logged response rather than part of the request.</param>
public sealed record ChatBubble(string Style, string Label, IReadOnlyList<BubblePart> Parts, IReadOnlyList<ToolCallView> ToolCalls, string? ToolCallId, string? Name, bool IsResponse);
