using System;
using System.Collections.Generic;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using OpenPipe.Client;
using OpenPipe.Gateway.Backends;
using OpenPipe.Gateway.Storage;
using OpenPipe.Server;

namespace OpenPipe.Gateway.Api;

/// <summary>
/// The gateway's routes besides chat completions, under <c>/api/v1</c> with the same bearer keys
/// (the kit's <see cref="OpenPipeDefaults.AuthorizationPolicy"/>):
/// <c>POST /report</c> and <c>POST /logs/update-tags</c> (what OpenPipe's SDKs call to log calls to
/// other models and tag them later; both on the gateway's storage) and <c>GET /models</c>
/// (the routed models, in OpenAI's list shape).
/// </summary>
public static class GatewayApiEndpoints
{
    private static readonly TimeSpan WriterWait = TimeSpan.FromSeconds(10);

    /// <summary>Maps the routes on <paramref name="api"/> (the group <c>MapOpenPipeChatCompletions</c> returns, under <c>/api/v1</c>).</summary>
    /// <param name="api">The API's route group.</param>
    /// <returns>The same group.</returns>
    public static RouteGroupBuilder MapGatewayApi(this RouteGroupBuilder api)
    {
        ArgumentNullException.ThrowIfNull(api);
        api.MapPost("/report", ReportAsync).RequireAuthorization(OpenPipeDefaults.AuthorizationPolicy).WithName("OpenPipe.Report");
        api.MapPost("/logs/update-tags", UpdateTagsAsync).RequireAuthorization(OpenPipeDefaults.AuthorizationPolicy).WithName("OpenPipe.UpdateLogTags");
        api.MapGet("/models", (BackendRouter router) => new OpenPipeJsonResult(new ModelList
        {
            Object = "list",
            Data = [.. router.RoutedModels().Select(m => new ModelInfo { Id = m.Model, Object = "model", Created = 0, OwnedBy = m.Backend })],
        }))
            .RequireAuthorization(OpenPipeDefaults.AuthorizationPolicy).WithName("OpenPipe.ListModels");
        return api;
    }

    private static async Task<IResult> ReportAsync(HttpContext context, RequestLogQueue log)
    {
        var body = await OpenPipeRequestBody.ReadAsync<ReportRequest>(context, context.RequestAborted).ConfigureAwait(false);
        if (!body.IsValid)
        {
            return body.Error;
        }

        var report = body.Value;
        Dictionary<string, TagValue>? tags = null;
        if (report.Tags is { } tagObject && !TryReadTags(tagObject, out tags, out var badTag))
        {
            return badTag;
        }

        var request = report.ReqPayload as JObject;
        var response = report.RespPayload as JObject;
        var usage = response?["usage"] as JObject;
        long? requestedAt = (long?)report.RequestedAt;
        long? receivedAt = (long?)report.ReceivedAt;
        string? error = report.ErrorMessage;
        var entry = new RequestLogEntry
        {
            ReceivedAt = requestedAt is { } at ? DateTimeOffset.FromUnixTimeMilliseconds(at) : DateTimeOffset.UtcNow,
            KeyId = context.User.GetOpenPipeCaller()!.KeyId,
            Model = (string?)(request?["model"] as JValue) ?? (string?)(response?["model"] as JValue) ?? "unknown",
            Backend = "report",
            Stream = (request?["stream"] as JValue)?.Value is true,
            Status = (int?)report.StatusCode ?? (error is null && report.RespPayload is not null ? 200 : 0),
            Error = error,
            LatencyMs = requestedAt is { } start && receivedAt is { } end ? Math.Max(0, end - start) : 0,
            PromptTokens = (long?)(usage?["prompt_tokens"] as JValue),
            CompletionTokens = (long?)(usage?["completion_tokens"] as JValue),
            TotalTokens = (long?)(usage?["total_tokens"] as JValue),
            RequestJson = OpenPipeJson.Serialize(report.ReqPayload),
            ResponseJson = report.RespPayload is null ? null : OpenPipeJson.Serialize(report.RespPayload),
            MetadataJson = (request?["metadata"] as JObject)?.ToString(Formatting.None),
            Tags = RequestLogEntry.TagsJson(tags),
            CompletionId = (string?)(response?["id"] as JValue),
        };

        return log.TryEnqueue(entry)
            ? new OpenPipeJsonResult(new ReportResponse { Status = "ok" })
            : Error(503, "The request log is full; the report was not stored. Retry later.");
    }

    private static async Task<IResult> UpdateTagsAsync(HttpContext context, IGatewayStore store, RequestLogQueue log)
    {
        var body = await OpenPipeRequestBody.ReadAsync<UpdateLogTagsRequest>(context, context.RequestAborted).ConfigureAwait(false);
        if (!body.IsValid)
        {
            return body.Error;
        }

        var update = body.Value;
        var filters = new List<LogFilter>();
        for (int i = 0; i < update.Filters.Count; i++)
        {
            var filter = update.Filters[i];
            if (ToTagValue(filter.EqualsValue) is not { IsNull: false } equals)
            {
                return Error(400, $"filters[{i}].equals must be a string, number or boolean.", "filters", i, "equals");
            }

            if (filter.Field is not ("model" or "completionId") && !(filter.Field.StartsWith("tags.", StringComparison.Ordinal) && filter.Field.Length > "tags.".Length))
            {
                return Error(400, $"filters[{i}].field '{filter.Field}' is not one of model, completionId, tags.NAME.", "filters", i, "field");
            }

            filters.Add(new LogFilter(filter.Field, equals));
        }

        if (!TryReadTags(update.Tags, out var tags, out var badTag))
        {
            return badTag;
        }

        // Calls logged or reported just before must be in the table before they can be tagged.
        await log.WaitForWriterAsync(WriterWait, context.RequestAborted).ConfigureAwait(false);
        int matched = await store.UpdateTagsAsync(context.User.GetOpenPipeCaller()!.KeyId, filters, tags, context.RequestAborted).ConfigureAwait(false);
        return new OpenPipeJsonResult(new UpdateLogTagsResponse { MatchedLogs = matched });
    }

    /// <summary>A tag object's values, each with its JSON type (string, number, boolean or null), as op-tags has them.</summary>
    private static bool TryReadTags(IDictionary<string, object> tagObject, [NotNullWhen(true)] out Dictionary<string, TagValue>? tags, [NotNullWhen(false)] out IResult? error)
    {
        tags = new Dictionary<string, TagValue>(StringComparer.Ordinal);
        foreach (var (name, value) in tagObject)
        {
            if (ToTagValue(value) is not { } tag)
            {
                (tags, error) = (null, Error(400, $"tags.{name} must be a string, number, boolean or null.", "tags", name));
                return false;
            }

            tags[name] = tag;
        }

        error = null;
        return true;
    }

    /// <summary>A JSON value as Newtonsoft reads an untyped member (string, long, double, bool, null, JToken) as a tag value; null for an object or array.</summary>
    private static TagValue? ToTagValue(object? value) => value switch
    {
        null => TagValue.Null,
        string text => TagValue.FromString(text),
        bool flag => TagValue.FromBoolean(flag),
        long number => TagValue.FromNumber(number),
        double number when double.IsFinite(number) => TagValue.FromNumber(number),
        System.Numerics.BigInteger number => TagValue.FromJsonNumber(number.ToString(CultureInfo.InvariantCulture)),
        JValue token => ToTagValue(token.Value),
        _ => null,
    };

    private static OpenPipeJsonResult Error(int status, string message, params object[] path) =>
        new(OpenPipeErrors.Create(status, message, path.Length == 0 ? null : [new ErrorIssue { Message = message, Path = path.ToList() }]), status);
}
