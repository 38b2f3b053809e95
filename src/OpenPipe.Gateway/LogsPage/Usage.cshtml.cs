using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using OpenPipe.Client;
using OpenPipe.Gateway.Logs;
using OpenPipe.Gateway.UsageReports;
using OpenPipe.Server;

namespace OpenPipe.Gateway.LogsPage;

/// <summary>
/// <c>/logs/usage</c>: the usage API's report (sums per key, model or UTC day, and each key's limits with
/// their current use) for the viewer, and a chart of tokens per day.
/// </summary>
/// <param name="usage">The usage as a viewer sees it.</param>
public sealed class UsageModel(UsageService usage) : LogsPageModel
{
    /// <summary>The parameters the usage view takes (the usage API's).</summary>
    public static IReadOnlyList<string> Names { get; } = ["group_by", "from", "to", "key_id"];

    /// <summary>The form's values.</summary>
    public FilterForm Form { get; private set; } = null!;

    /// <summary>The grouping shown: key, model or day.</summary>
    public string GroupBy { get; private set; } = "day";

    /// <summary>The report, or null when the parameters could not be read.</summary>
    public UsageReport? Report { get; private set; }

    /// <summary>The chart of tokens per day.</summary>
    public TokenChart? Chart { get; private set; }

    /// <summary>What is wrong with the parameters, or null.</summary>
    public string? Problem { get; private set; }

    /// <summary>Reads the report.</summary>
    /// <param name="cancellationToken">Cancels the queries.</param>
    /// <returns>The page (400 or 403 with a message for parameters that cannot be used).</returns>
    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken)
    {
        ViewData["Section"] = "usage";
        Form = FilterForm.Read(Request.Query);
        GroupBy = Form.Query.TryGetValue("group_by", out var asked) ? asked.ToString() : "day";
        UsageGroupBy? groupBy = GroupBy switch { "key" => UsageGroupBy.Key, "model" => UsageGroupBy.Model, "day" => UsageGroupBy.Day, _ => null };
        if (!LogQueryParser.TryParse(Form.Query, Names, out var query, out var error) || !LogQueryService.TryScope(Viewer, query, out query, out error))
        {
            return Refuse(error);
        }

        if (groupBy is not { } by)
        {
            return Refuse(LogQueryParser.Invalid("group_by", $"group_by must be key, model or day, not '{GroupBy}'."));
        }

        Report = await usage.GetAsync(Viewer, by, query.KeyId, query.From, query.To, cancellationToken).ConfigureAwait(false);
        var days = by == UsageGroupBy.Day ? Report : await usage.GetAsync(Viewer, UsageGroupBy.Day, query.KeyId, query.From, query.To, cancellationToken).ConfigureAwait(false);
        Chart = TokenChart.From(days.Data);
        return Page();
    }

    private PageResult Refuse(ErrorResponse error)
    {
        Problem = error.Message;
        Response.StatusCode = error.Code == OpenPipeErrors.CodeFor(StatusCodes.Status403Forbidden) ? StatusCodes.Status403Forbidden : StatusCodes.Status400BadRequest;
        return Page();
    }
}
