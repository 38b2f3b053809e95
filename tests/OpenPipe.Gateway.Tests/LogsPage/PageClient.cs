using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Threading.Tasks;
using AngleSharp.Dom;
using AngleSharp.Html.Parser;
using Microsoft.AspNetCore.Mvc.Testing;
using NUnit.Framework;

namespace OpenPipe.Gateway.Tests.LogsPage;

/// <summary>
/// A browser-like client of the /logs page over the in-memory server: it keeps cookies, does not follow
/// redirects (the tests check them), reads pages as DOMs (AngleSharp), and posts forms with the
/// antiforgery token the form it was read from carries.
/// </summary>
public sealed class PageClient : IDisposable
{
    private static readonly HtmlParser Parser = new();

    public PageClient(WebApplicationFactory<Program> gateway, Uri? baseAddress = null) =>
        Http = gateway.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true, BaseAddress = baseAddress ?? new Uri("http://localhost") });

    public HttpClient Http { get; }

    /// <summary>A page: its status, DOM and HTML.</summary>
    public sealed record Page(HttpStatusCode Status, IDocument Document, string Html, HttpResponseMessage Response)
    {
        public IReadOnlyList<IElement> All(string selector) => Document.QuerySelectorAll(selector).ToList();

        public string Text(string selector) => Document.QuerySelector(selector)?.TextContent.Trim() ?? throw new AssertionException($"No '{selector}' on the page.");

        /// <summary>The ids of the calls the list links to, in order.</summary>
        public IReadOnlyList<long> CallIds() =>
            All("table.calls tbody tr td:first-child a").Select(a => long.Parse(a.GetAttribute("href")!.Split('?')[0]["/logs/".Length..], System.Globalization.CultureInfo.InvariantCulture)).ToList();

        /// <summary>The link of the list's next page, or null.</summary>
        public string? NextPage => Document.QuerySelector("nav.pager a[rel=next]")?.GetAttribute("href");
    }

    public async Task<Page> GetAsync(string url)
    {
        var response = await Http.GetAsync(new Uri(url, UriKind.Relative));
        string html = await response.Content.ReadAsStringAsync();
        return new Page(response.StatusCode, await Parser.ParseDocumentAsync(html), html, response);
    }

    /// <summary>Posts the form <paramref name="formSelector"/> of <paramref name="page"/> with its hidden fields (the antiforgery token) and <paramref name="fields"/>.</summary>
    public async Task<Page> SubmitAsync(Page page, string formSelector, params (string Name, string Value)[] fields)
    {
        var form = page.Document.QuerySelector(formSelector) ?? throw new AssertionException($"No form '{formSelector}' on the page.");
        var values = form.QuerySelectorAll("input[type=hidden]").Select(i => (i.GetAttribute("name")!, i.GetAttribute("value") ?? string.Empty)).ToList();
        values.AddRange(fields);
        return await PostAsync(form.GetAttribute("action") ?? throw new AssertionException("The form has no action."), values.ToArray());
    }

    public async Task<Page> PostAsync(string url, params (string Name, string Value)[] fields)
    {
        using var content = new FormUrlEncodedContent(fields.Select(f => new KeyValuePair<string, string>(f.Name, f.Value)));
        var response = await Http.PostAsync(new Uri(url, UriKind.Relative), content);
        string html = await response.Content.ReadAsStringAsync();
        return new Page(response.StatusCode, await Parser.ParseDocumentAsync(html), html, response);
    }

    /// <summary>Signs in with <paramref name="key"/> through the form, as a person would.</summary>
    public async Task<Page> SignInAsync(string key, string? returnUrl = null)
    {
        var form = await GetAsync("/logs/sign-in" + (returnUrl is null ? string.Empty : "?ReturnUrl=" + Uri.EscapeDataString(returnUrl)));
        Assert.That(form.Status, Is.EqualTo(HttpStatusCode.OK), form.Html);
        return await SubmitAsync(form, "main form", ("key", key));
    }

    /// <summary>Signs in and checks that it worked.</summary>
    public static async Task<PageClient> SignedInAsync(WebApplicationFactory<Program> gateway, string key)
    {
        var client = new PageClient(gateway);
        var signedIn = await client.SignInAsync(key);
        Assert.That(signedIn.Status, Is.EqualTo(HttpStatusCode.Redirect), signedIn.Html);
        return client;
    }

    /// <summary>Signs in and returns the sign-in cookie as a Cookie header's pair (<c>openpipe_logs=...</c>).</summary>
    public static async Task<string> SignInCookieAsync(WebApplicationFactory<Program> gateway, string key)
    {
        using var client = new PageClient(gateway);
        var signedIn = await client.SignInAsync(key);
        Assert.That(signedIn.Status, Is.EqualTo(HttpStatusCode.Redirect), signedIn.Html);
        return signedIn.Response.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("openpipe_logs=", StringComparison.Ordinal)).Split(';')[0];
    }

    /// <summary>The status of a GET that carries <paramref name="cookie"/> and nothing else.</summary>
    public static async Task<HttpStatusCode> StatusWithCookieAsync(WebApplicationFactory<Program> gateway, string path, string cookie)
    {
        using var http = gateway.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false });
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("Cookie", cookie);
        using var response = await http.SendAsync(request);
        return response.StatusCode;
    }

    public void Dispose() => Http.Dispose();
}
