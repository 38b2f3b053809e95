using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Text.RegularExpressions;
using System.Threading.Tasks;

namespace OpenPipe.Benchmarks;

/// <summary>
/// The request log's web page over the benchmark's rows: signs in with a key through the sign-in form
/// (its antiforgery token and cookies, as a browser does), then times whole page loads, the HTML read
/// to its end, as a browser would request them.
/// </summary>
internal static partial class LogsPageTimings
{
    /// <summary>Signs in at <paramref name="root"/> with <paramref name="key"/>; the client keeps the sign-in cookie.</summary>
    public static async Task<HttpClient> SignInAsync(Uri root, string key)
    {
        var http = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false }) { BaseAddress = root };
        string form = await http.GetStringAsync("/logs/sign-in");
        string token = TokenPattern().Match(form) is { Success: true } match ? WebUtility.HtmlDecode(match.Groups[1].Value) : throw new InvalidOperationException("The sign-in form has no antiforgery token.");
        using var content = new FormUrlEncodedContent([new("key", key), new("__RequestVerificationToken", token)]);
        using var signedIn = await http.PostAsync("/logs/sign-in", content);
        if (signedIn.StatusCode != HttpStatusCode.Redirect)
        {
            throw new InvalidOperationException($"Signing in answered {(int)signedIn.StatusCode}, not a redirect.");
        }

        return http;
    }

    /// <summary>Loads <paramref name="path"/> <paramref name="runs"/> times after 3 unmeasured loads: the times in ms, sorted, and the page's size.</summary>
    public static async Task<(List<double> Times, int Bytes)> TimeAsync(HttpClient http, string path, int runs = 20)
    {
        var times = new List<double>();
        int bytes = 0;
        for (int run = 0; run < runs + 3; run++)
        {
            var watch = Stopwatch.StartNew();
            using var response = await http.GetAsync(path);
            byte[] body = await response.Content.ReadAsByteArrayAsync();
            watch.Stop();
            if (response.StatusCode != HttpStatusCode.OK)
            {
                throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture, $"{path} answered {(int)response.StatusCode}."));
            }

            bytes = body.Length;
            if (run >= 3)
            {
                times.Add(watch.Elapsed.TotalMilliseconds);
            }
        }

        times.Sort();
        return (times, bytes);
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex TokenPattern();
}
