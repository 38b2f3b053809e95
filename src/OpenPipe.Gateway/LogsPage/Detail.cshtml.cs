using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Newtonsoft.Json.Linq;
using OpenPipe.Client;
using OpenPipe.Gateway.Logs;

namespace OpenPipe.Gateway.LogsPage;

/// <summary>
/// <c>/logs/{id}</c>: one call as the logs API's <c>GET /logs/{id}</c> gives it to the viewer (another
/// key's call is not found): its summary, the conversation as chat bubbles, and the raw JSON.
/// </summary>
/// <param name="logs">The log as a viewer sees it.</param>
public sealed class DetailModel(LogQueryService logs) : LogsPageModel
{
    /// <summary>The call, or null when the viewer has none of that id.</summary>
    public LogEntry? Call { get; private set; }

    /// <summary>The conversation.</summary>
    public Conversation? Conversation { get; private set; }

    /// <summary>The request as logged, indented.</summary>
    public string RequestJson { get; private set; } = string.Empty;

    /// <summary>The response as logged, indented, or null.</summary>
    public string? ResponseJson { get; private set; }

    /// <summary>The request's metadata, indented, or null.</summary>
    public string? MetadataJson { get; private set; }

    /// <summary>The list page this call was opened from, or the first page.</summary>
    public string BackLink => Request.Query["back"].ToString() is var back && LogsPageQuery.IsPagePath(back) ? back : LogsPageDefaults.BasePath;

    /// <summary>Reads the call.</summary>
    /// <param name="id">The call's id.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <returns>The page (404 when not found).</returns>
    public async Task<IActionResult> OnGetAsync(long id, CancellationToken cancellationToken)
    {
        ViewData["Section"] = "calls";
        Call = await logs.GetAsync(Viewer, id, cancellationToken).ConfigureAwait(false);
        if (Call is null)
        {
            Response.StatusCode = StatusCodes.Status404NotFound;
            return Page();
        }

        string? request = RawText(Call.Request);
        string? response = RawText(Call.Response);
        Conversation = Conversation.Read(request, response, Call.Status, Call.Error);
        RequestJson = JsonText.Indent(request);
        ResponseJson = response is null ? null : JsonText.Indent(response);
        MetadataJson = RawText(Call.Metadata) is { } metadata ? JsonText.Indent(metadata) : null;
        return Page();
    }

    /// <summary>A body as the log reader gives it (raw JSON text), or as JSON for any other value.</summary>
    private static string? RawText(object? value) => value switch
    {
        null => null,
        JRaw raw => raw.Value as string ?? raw.ToString(),
        JToken { Type: JTokenType.Null } => null,
        _ => OpenPipeJson.Serialize(value),
    };
}
