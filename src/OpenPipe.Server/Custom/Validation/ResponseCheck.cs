// Adds: ResponseCheck, the optional check of what leaves the server (on by default in Development,
// OpenPipeServerOptions.CheckResponses): each completion or chunk is validated against the
// generated contract (the spec's constraints, checked by the generated validation) plus the `object` constants, and
// the first violation of a response is logged with its JSON path. The response is still sent.

using System.Collections.Generic;
using Microsoft.Extensions.Logging;

namespace OpenPipe.Server;

/// <summary>Checks one response (a completion, or the chunks of a stream) and logs its first violation.</summary>
internal sealed partial class ResponseCheck(ILogger logger)
{
    private bool reported;

    public void Check(ChatCompletion completion)
    {
        var issues = new List<ErrorIssue>();
        if (completion.Object != ChatCompletion.ObjectType)
        {
            issues.Add(new ErrorIssue { Message = $"object is {Quote(completion.Object)}; the spec requires \"{ChatCompletion.ObjectType}\".", Path = ["object"] });
        }

        if (completion.Created <= 0)
        {
            issues.Add(new ErrorIssue { Message = $"created is {completion.Created}; set it to the Unix time in seconds.", Path = ["created"] });
        }

        issues.AddRange(OpenPipeValidation.Validate(completion));
        Report("ChatCompletion", issues);
    }

    public void Check(ChatCompletionChunk chunk)
    {
        var issues = new List<ErrorIssue>();
        if (chunk is null)
        {
            issues.Add(new ErrorIssue { Message = "the chunk is null.", Path = [] });
        }
        else
        {
            if (chunk.Object != ChatCompletionChunk.ObjectType)
            {
                issues.Add(new ErrorIssue { Message = $"object is {Quote(chunk.Object)}; the spec requires \"{ChatCompletionChunk.ObjectType}\".", Path = ["object"] });
            }

            if (chunk.Created <= 0)
            {
                issues.Add(new ErrorIssue { Message = $"created is {chunk.Created}; set it to the Unix time in seconds.", Path = ["created"] });
            }

            issues.AddRange(OpenPipeValidation.Validate(chunk));
        }

        Report("ChatCompletionChunk", issues);
    }

    private void Report(string type, List<ErrorIssue> issues)
    {
        if (issues.Count == 0 || reported)
        {
            return;
        }

        reported = true;
        var first = issues[0];
        LogViolation(logger, type, first.Path is { Count: > 0 } path ? string.Join('.', path) : "(root)", first.Message);
    }

    private static string Quote(string? value) => value is null ? "missing" : $"\"{value}\"";

    [LoggerMessage(Level = LogLevel.Error, Message = "Response check: the handler's {Type} breaks the spec at {Path}: {Problem} Build responses with ChatCompletion.Create/FromText and ChatCompletionChunk.Delta/Create so required fields are set.")]
    private static partial void LogViolation(ILogger logger, string type, string path, string problem);
}
