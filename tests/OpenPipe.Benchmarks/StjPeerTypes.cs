using System.Collections.Generic;

namespace OpenPipe.Benchmarks;

// The System.Text.Json peer's own wire types: just the members the echo reads and writes, named by
// the snake_case policy of StjPeer.Options, in the order the kit writes them.
#pragma warning disable CS1591

public sealed record StjRequest(string Model, List<StjRequestMessage> Messages, double? Temperature, bool? Stream);

public sealed record StjRequestMessage(string Role, string? Content);

public sealed record StjCompletion(string Id, string Object, long Created, string Model, List<StjChoice> Choices, StjUsage Usage);

public sealed record StjChoice(string FinishReason, int Index, StjResponseMessage Message);

public sealed record StjResponseMessage(string? Content, string Role);

public sealed record StjUsage(int PromptTokens, int CompletionTokens, int TotalTokens);
#pragma warning restore CS1591
