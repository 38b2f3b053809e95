// Adds: the one error shape every failure of the server answers with: OpenPipe's
// {message, code, issues?} plus the OpenAI-style error object, built from model state, client
// errors (404, 415, ...) and header problems, and written outside MVC too (auth, minimal APIs).

using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.RegularExpressions;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.ModelBinding;

namespace OpenPipe.Server;

/// <summary>Builds and writes the server's error bodies.</summary>
public static partial class OpenPipeErrors
{
    /// <summary>An error body for <paramref name="status"/>, in OpenPipe's and OpenAI's shapes.</summary>
    /// <param name="status">The HTTP status code.</param>
    /// <param name="message">What went wrong, for a person.</param>
    /// <param name="issues">For a bad request, one entry per problem.</param>
    /// <returns>The body.</returns>
    public static ErrorResponse Create(int status, string message, IList<ErrorIssue>? issues = null)
    {
        string code = CodeFor(status);
        return new ErrorResponse
        {
            Message = message,
            Code = code,
            Issues = issues is { Count: > 0 } ? issues : null,
            Error = new OpenAIError { Message = message, Code = code, Type = TypeFor(status) },
        };
    }

    /// <summary>OpenPipe's code for a status, e.g. 400 BAD_REQUEST.</summary>
    /// <param name="status">The HTTP status code.</param>
    /// <returns>The code.</returns>
    public static string CodeFor(int status) => status switch
    {
        400 => "BAD_REQUEST",
        401 => "UNAUTHORIZED",
        403 => "FORBIDDEN",
        404 => "NOT_FOUND",
        405 => "METHOD_NOT_SUPPORTED",
        408 => "TIMEOUT",
        413 => "PAYLOAD_TOO_LARGE",
        415 => "UNSUPPORTED_MEDIA_TYPE",
        429 => "TOO_MANY_REQUESTS",
        >= 500 => "INTERNAL_SERVER_ERROR",
        _ => "CLIENT_ERROR",
    };

    /// <summary>An MVC result carrying the error body.</summary>
    /// <param name="status">The HTTP status code.</param>
    /// <param name="message">What went wrong.</param>
    /// <param name="issues">For a bad request, one entry per problem.</param>
    /// <returns>The result.</returns>
    public static ObjectResult Result(int status, string message, IList<ErrorIssue>? issues = null) =>
        new(Create(status, message, issues)) { StatusCode = status, ContentTypes = { "application/json" } };

    /// <summary>A 400 naming every field at fault in <paramref name="modelState"/>.</summary>
    /// <param name="modelState">The model state after binding and validation.</param>
    /// <returns>The result.</returns>
    public static ObjectResult FromModelState(ModelStateDictionary modelState)
    {
        ArgumentNullException.ThrowIfNull(modelState);
        var issues = new List<ErrorIssue>();
        var entries = modelState.Where(e => e.Value?.Errors.Count > 0).OrderBy(e => e.Key, StringComparer.Ordinal).ToList();
        if (entries.Count > 1)
        {
            // "No value for body" only repeats the errors that made the body unreadable.
            entries.RemoveAll(e => e.Key is "body" or "" or "$");
        }

        foreach (var (key, entry) in entries)
        {
            foreach (var error in entry!.Errors)
            {
                string message = !string.IsNullOrEmpty(error.ErrorMessage) ? error.ErrorMessage : error.Exception?.Message ?? "Invalid value.";
                issues.Add(new ErrorIssue { Message = message, Path = PathOf(key, message) });
            }
        }

        string summary = issues.Count == 1 ? issues[0].Message : $"The request body is invalid ({issues.Count} issues).";
        return Result(StatusCodes.Status400BadRequest, summary, issues);
    }

    /// <summary>Writes an error body directly to the response (outside MVC).</summary>
    /// <param name="context">The request.</param>
    /// <param name="status">The HTTP status code.</param>
    /// <param name="message">What went wrong.</param>
    /// <returns>A task that completes when the body is written.</returns>
    public static Task WriteAsync(HttpContext context, int status, string message)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(OpenPipeJson.Serialize(Create(status, message)), context.RequestAborted);
    }

    private static string TypeFor(int status) => status switch
    {
        401 => "authentication_error",
        403 => "permission_error",
        404 => "not_found_error",
        429 => "rate_limit_error",
        >= 500 => "server_error",
        _ => "invalid_request_error",
    };

    /// <summary>
    /// "body.messages[0].role" becomes ["messages", 0, "role"]: property names as strings, array
    /// indices as integers (Newtonsoft's ['quoted.name'] segments included); a missing required
    /// property is named from the message.
    /// </summary>
    internal static IList<object> PathOf(string key, string message)
    {
        var parts = new List<object>();
        var name = new System.Text.StringBuilder();
        void EndName()
        {
            if (name.Length > 0)
            {
                parts.Add(name.ToString());
                name.Clear();
            }
        }

        for (int i = 0; i < key.Length; i++)
        {
            char c = key[i];
            if (c == '.')
            {
                EndName();
            }
            else if (c == '[' && i + 1 < key.Length && key[i + 1] == '\'')
            {
                EndName();
                int end = key.IndexOf("']", i + 2, StringComparison.Ordinal);
                end = end < 0 ? key.Length : end;
                parts.Add(key[(i + 2)..end]);
                i = Math.Min(key.Length, end + 1);
            }
            else if (c == '[')
            {
                EndName();
                int end = key.IndexOf(']', i + 1);
                end = end < 0 ? key.Length : end;
                string inside = key[(i + 1)..end];
                parts.Add(int.TryParse(inside, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int index) ? index : inside);
                i = end;
            }
            else
            {
                name.Append(c);
            }
        }

        EndName();
        if (parts.Count > 0 && parts[0] is "body" or "$")
        {
            parts.RemoveAt(0);
        }

        if (RequiredProperty().Match(message) is { Success: true } match && (parts.Count == 0 || !Equals(parts[^1], match.Groups[1].Value)))
        {
            parts.Add(match.Groups[1].Value);
        }

        return parts;
    }

    [GeneratedRegex("Required property '([^']+)'")]
    private static partial Regex RequiredProperty();
}
