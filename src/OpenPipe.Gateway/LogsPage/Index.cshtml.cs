using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using OpenPipe.Client;
using OpenPipe.Gateway.Logs;
using OpenPipe.Server;

namespace OpenPipe.Gateway.LogsPage;

/// <summary>
/// <c>/logs</c>: the filter form and one page of calls, newest first, read with the logs API's parser
/// and service, so the filters, the scoping and the keyset cursor are the API's: a page costs one
/// indexed query of <c>limit + 1</c> rows whatever the log's size (no count, no offset).
/// </summary>
/// <param name="logs">The log as a viewer sees it.</param>
/// <param name="gateway">The gateway's settings (the backends' names, for the form).</param>
public sealed class IndexModel(LogQueryService logs, IOptions<GatewayOptions> gateway) : LogsPageModel
{
    /// <summary>The form's values.</summary>
    public FilterForm Form { get; private set; } = null!;

    /// <summary>The page of calls, or null when the filters could not be read.</summary>
    public LogList? Calls { get; private set; }

    /// <summary>What is wrong with the filters, or null.</summary>
    public string? Problem { get; private set; }

    /// <summary>The backends the gateway can log, for the form's suggestions.</summary>
    public IEnumerable<string> Backends =>
        new[] { GatewayOptions.EchoBackend }.Concat(gateway.Value.Upstreams.Keys.Order(System.StringComparer.Ordinal)).Concat(["report", "none"]).Distinct();

    /// <summary>This page of the list, for links back to it.</summary>
    public string Here => LogsPageQuery.Link(LogsPageDefaults.BasePath, Form.Query, FilterForm.ListNames);

    /// <summary>The first page with the same filters.</summary>
    public string FirstPage => LogsPageQuery.Link(LogsPageDefaults.BasePath, Form.Query, [.. LogQueryParser.FilterNames, "limit"]);

    /// <summary>The next page, or null on the last.</summary>
    public string? NextPage => Calls?.NextCursor is { } cursor ? LogsPageQuery.Link(LogsPageDefaults.BasePath, Form.Query, FilterForm.ListNames, ("cursor", cursor)) : null;

    /// <summary>The download of every call the filters select.</summary>
    public string ExportLink => LogsPageQuery.Link(LogsPageDefaults.BasePath + "/export", Form.Query, LogQueryParser.FilterNames);

    /// <summary>The form that adds the calls the filters select to a dataset.</summary>
    public string DatasetLink => LogsPageQuery.Link(LogsPageDefaults.BasePath + "/dataset", Form.Query, LogQueryParser.FilterNames);

    /// <summary>Whether this is a later page than the first.</summary>
    public bool IsLaterPage => Form.Query.ContainsKey("cursor");

    /// <summary>A call's detail, with a link back to this page.</summary>
    /// <param name="id">The call's id.</param>
    /// <returns>The link.</returns>
    public string DetailLink(long id) => LogsPageQuery.Link(LogsPageDefaults.BasePath + "/" + id.ToString(System.Globalization.CultureInfo.InvariantCulture), QueryCollection.Empty, [], ("back", Here));

    /// <summary>Reads the filters and the page.</summary>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <returns>The page (400 or 403 with a message for filters that cannot be used).</returns>
    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken)
    {
        ViewData["Section"] = "calls";
        Form = FilterForm.Read(Request.Query);
        if (!LogQueryParser.TryParse(Form.Query, FilterForm.ListNames, out var query, out var error)
            || !LogQueryParser.TryParsePage(Form.Query, out int limit, out var cursor, out error)
            || !LogQueryService.TryScope(Viewer, query, out query, out error))
        {
            Problem = error.Message;
            Response.StatusCode = error.Code == OpenPipeErrors.CodeFor(StatusCodes.Status403Forbidden) ? StatusCodes.Status403Forbidden : StatusCodes.Status400BadRequest;
            return Page();
        }

        Calls = await logs.ListAsync(Viewer, query, limit, cursor, cancellationToken).ConfigureAwait(false);
        return Page();
    }
}
