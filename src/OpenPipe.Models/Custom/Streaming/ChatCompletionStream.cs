// Adds: the one definition of the stream's framing that the spec's ChatCompletionEventStream
// describes, shared by the client's reader and the server's writer: the `[DONE]` terminator. The
// error event is the generated ChatCompletionStreamError.

namespace OpenPipe;

/// <summary>The framing of a chat completion event stream (<c>text/event-stream</c>).</summary>
public static class ChatCompletionStream
{
    /// <summary>The data of the event that ends a successful stream: <c>data: [DONE]</c>.</summary>
    public const string Done = "[DONE]";

    /// <summary>The media type of the stream.</summary>
    public const string MediaType = "text/event-stream";
}
