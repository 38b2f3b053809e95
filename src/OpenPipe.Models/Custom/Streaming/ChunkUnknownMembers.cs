// Adds: a look at the stream DTOs' unknown members without creating an empty dictionary per chunk
// (the generated AdditionalProperties getter creates one on first read), for the accumulator.

using System.Collections.Generic;

namespace OpenPipe;

public partial class ChatCompletionChunk
{
    internal IDictionary<string, object>? AdditionalPropertiesIfAny() => _additionalProperties;
}

public partial class ChatCompletionChunkChoice
{
    internal IDictionary<string, object>? AdditionalPropertiesIfAny() => _additionalProperties;
}

public partial class ChatCompletionChunkDelta
{
    internal IDictionary<string, object>? AdditionalPropertiesIfAny() => _additionalProperties;
}

public partial class ChatCompletionChunkToolCall
{
    internal IDictionary<string, object>? AdditionalPropertiesIfAny() => _additionalProperties;
}

public partial class ResponseAudio
{
    internal IDictionary<string, object>? AdditionalPropertiesIfAny() => _additionalProperties;
}
