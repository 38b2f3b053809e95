using System;
using System.Collections.Generic;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.IO;
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
        api.MapGet("/models", (BackendRouter router) => Results.Text(
            new JObject
            {
                ["object"] = "list",
                ["data"] = new JArray(router.RoutedModels().Select(m => new JObject { ["id"] = m.Model, ["object"] = "model", ["created"] = 0, ["owned_by"] = m.Backend })),
            }.ToString(Formatting.None),
            "application/json"))
            .RequireAuthorization(OpenPipeDefaults.AuthorizationPolicy).WithName("OpenPipe.ListModels");
        return api;
    }

    private static async Task<IResult> ReportAsync(HttpContext context, RequestLogQueue log)
    {
        var (body, problem) = await ReadObjectAsync(context).ConfigureAwait(false);
        if (body is null)
        {
            return problem!;
        }

        if ((Check(body, "requestedAt", JTokenType.Integer, JTokenType.Float) ?? Check(body, "receivedAt", JTokenType.Integer, JTokenType.Float)
            ?? Check(body, "statusCode", JTokenType.Integer, JTokenType.Float) ?? Check(body, "errorMessage", JTokenType.String) ?? Check(body, "tags", JTokenType.Object)) is IResult invalid)
        {
            return invalid;
        }

        Dictionary<string, TagValue>? tags = null;
        if (body["tags"] is JObject tagObject && !TryReadTags(tagObject, out tags, out var badTag))
        {
            return badTag!;
        }

        var request = body["reqPayload"];
        var response = body["respPayload"];
        long? requestedAt = (long?)(body["requestedAt"] as JValue);
        long? receivedAt = (long?)(body["receivedAt"] as JValue);
        var usage = (response as JObject)?["usage"] as JObject;
        string? error = (string?)(body["errorMessage"] as JValue);
        var entry = new RequestLogEntry
        {
            ReceivedAt = requestedAt is { } at ? DateTimeOffset.FromUnixTimeMilliseconds(at) : DateTimeOffset.UtcNow,
            KeyId = context.User.GetOpenPipeCaller()!.KeyId,
            Model = (string?)((request as JObject)?["model"] as JValue) ?? (string?)((response as JObject)?["model"] as JValue) ?? "unknown",
            Backend = "report",
            Stream = (bool?)((request as JObject)?["stream"] as JValue) == true,
            Status = (int?)(body["statusCode"] as JValue) ?? (error is null && response is not null ? 200 : 0),
            Error = error,
            LatencyMs = requestedAt is { } start && receivedAt is { } end ? Math.Max(0, end - start) : 0,
            PromptTokens = (long?)(usage?["prompt_tokens"] as JValue),
            CompletionTokens = (long?)(usage?["completion_tokens"] as JValue),
            TotalTokens = (long?)(usage?["total_tokens"] as JValue),
            RequestJson = request?.ToString(Formatting.None) ?? "null",
            ResponseJson = response?.ToString(Formatting.None),
            MetadataJson = ((request as JObject)?["metadata"] as JObject)?.ToString(Formatting.None),
            Tags = RequestLogEntry.TagsJson(tags),
            CompletionId = (string?)((response as JObject)?["id"] as JValue),
        };

        return log.TryEnqueue(entry)
            ? Results.Text("""{"status":"ok"}""", "application/json")
            : Error(503, "The request log is full; the report was not stored. Retry later.");
    }

    private static async Task<IResult> UpdateTagsAsync(HttpContext context, IGatewayStore store, RequestLogQueue log)
    {
        var (body, problem) = await ReadObjectAsync(context).ConfigureAwait(false);
        if (body is null)
        {
            return problem!;
        }

        if (body["filters"] is not JArray filterArray)
        {
            return Error(400, "filters is required: an array of {field, equals}.", "filters");
        }

        if (body["tags"] is not JObject tagObject)
        {
            return Error(400, "tags is required: an object of tag names to a string, number, boolean or null.", "tags");
        }

        var filters = new List<LogFilter>();
        for (int i = 0; i < filterArray.Count; i++)
        {
            if (filterArray[i] is not JObject filter || filter["field"] is not JValue { Type: JTokenType.String } field
                || filter["equals"] is not JValue { Type: JTokenType.String or JTokenType.Integer or JTokenType.Float or JTokenType.Boolean } equals
                || ToTagValue(equals) is not { } equalsValue)
            {
                return Error(400, $"filters[{i}] must be {{\"field\": string, \"equals\": string | number | boolean}}.", "filters", i.ToString(CultureInfo.InvariantCulture));
            }

            string name = (string)field!;
            if (name is not ("model" or "completionId") && !(name.StartsWith("tags.", StringComparison.Ordinal) && name.Length > "tags.".Length))
            {
                return Error(400, $"filters[{i}].field '{name}' is not one of model, completionId, tags.NAME.", "filters", i.ToString(CultureInfo.InvariantCulture), "field");
            }

            filters.Add(new LogFilter(name, equalsValue));
        }

        if (!TryReadTags(tagObject, out var tags, out var badTag))
        {
            return badTag!;
        }

        // Calls logged or reported just before must be in the table before they can be tagged.
        await log.WaitForWriterAsync(WriterWait, context.RequestAborted).ConfigureAwait(false);
        int matched = await store.UpdateTagsAsync(context.User.GetOpenPipeCaller()!.KeyId, filters, tags, context.RequestAborted).ConfigureAwait(false);
        return Results.Text(new JObject { ["matchedLogs"] = matched }.ToString(Formatting.None), "application/json");
    }

    /// <summary>A tag object's values, each with its JSON type (string, number, boolean or null), as op-tags has them.</summary>
    private static bool TryReadTags(JObject tagObject, [NotNullWhen(true)] out Dictionary<string, TagValue>? tags, out IResult? error)
    {
        tags = new Dictionary<string, TagValue>(StringComparer.Ordinal);
        foreach (var property in tagObject.Properties())
        {
            if (property.Value is not JValue value || ToTagValue(value) is not { } tag)
            {
                (tags, error) = (null, Error(400, $"tags.{property.Name} must be a string, number, boolean or null.", "tags", property.Name));
                return false;
            }

            tags[property.Name] = tag;
        }

        error = null;
        return true;
    }

    private static TagValue? ToTagValue(JValue value) => value.Type switch
    {
        JTokenType.Null => TagValue.Null,
        JTokenType.String => TagValue.FromString((string?)value),
        JTokenType.Boolean => TagValue.FromBoolean((bool)value),
        JTokenType.Integer => TagValue.FromJsonNumber(value.ToString(Formatting.None)),
        JTokenType.Float when value.Value is double d && !double.IsFinite(d) => null,
        JTokenType.Float => TagValue.FromJsonNumber(value.ToString(Formatting.None)),
        _ => null,
    };

    private static IResult? Check(JObject body, string name, params JTokenType[] types) =>
        body[name] is { } token && token.Type != JTokenType.Null && !types.Contains(token.Type)
            ? Error(400, $"{name} must be of type {string.Join(" or ", types.Select(t => t == JTokenType.Float ? "number" : t.ToString().ToLowerInvariant()))}.", name)
            : null;

    private static async Task<(JObject? Body, IResult? Problem)> ReadObjectAsync(HttpContext context)
    {
        if (context.Request.ContentType is not { } type || !type.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
        {
            return (null, Error(415, $"Unsupported content type '{context.Request.ContentType}': send application/json."));
        }

        try
        {
            using var reader = new StreamReader(context.Request.Body);
            string text = await reader.ReadToEndAsync(context.RequestAborted).ConfigureAwait(false);
            return JToken.Parse(text) is JObject body ? (body, null) : (null, Error(400, "The request body must be a JSON object."));
        }
        catch (JsonException e)
        {
            return (null, Error(400, "The request body is not valid JSON: " + e.Message));
        }
        catch (Exception e) when (e is BadHttpRequestException or System.Text.DecoderFallbackException)
        {
            return (null, Error(400, "The request body could not be read: " + e.Message));
        }
    }

    private static IResult Error(int status, string message, params string[] path) =>
        Results.Text(OpenPipeJson.Serialize(OpenPipeErrors.Create(status, message,
            path.Length == 0 ? null : [new ErrorIssue { Message = message, Path = path.ToList<object>() }])), "application/json", statusCode: status);
}
