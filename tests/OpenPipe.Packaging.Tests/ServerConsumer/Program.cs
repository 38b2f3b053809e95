// A server implementer's program, built from the packed OpenPipe.Models and OpenPipe.Server packages
// only: it serves a handler on a free port, calls itself over plain HTTP (JSON and a stream), and
// prints the answers.
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using OpenPipe;
using OpenPipe.Server;

var builder = WebApplication.CreateBuilder(args);
builder.WebHost.UseUrls("http://127.0.0.1:0");
builder.Logging.ClearProviders();
builder.Services.AddOpenPipeServer<ShoutHandler>(o => o.ApiKeys.Add("server-key"));
var app = builder.Build();
app.MapOpenPipeChatCompletions();
await app.StartAsync();
string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
using var http = new HttpClient { BaseAddress = new Uri(address) };
http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "server-key");
foreach (bool stream in new[] { false, true })
{
    var request = new ChatCompletionRequest { Model = "shout", Stream = stream, Messages = [new UserMessage { Content = "hello" }] };
    using var content = new StringContent(OpenPipeJson.Serialize(request), Encoding.UTF8, "application/json");
    using var response = await http.PostAsync("/api/v1/chat/completions", content, timeout.Token);
    string body = await response.Content.ReadAsStringAsync(timeout.Token);
    if (stream)
    {
        var chunks = body.Split('\n').Where(l => l.StartsWith("data: {", StringComparison.Ordinal)).Select(l => OpenPipeJson.Deserialize<ChatCompletionChunk>(l[6..])!);
        Console.WriteLine($"stream {(int)response.StatusCode}: " + string.Concat(chunks.Select(c => c.Choices.FirstOrDefault()?.Delta.Content)));
    }
    else
    {
        Console.WriteLine($"json {(int)response.StatusCode}: " + OpenPipeJson.Deserialize<ChatCompletion>(body)!.Choices[0].Message.Content);
    }
}

await app.StopAsync();

/// <summary>Answers with the last user message in capitals.</summary>
sealed class ShoutHandler : IChatCompletionHandler
{
    public Task<ChatCompletion> CompleteAsync(ChatCompletionRequest request, ChatCompletionContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(ChatCompletion.FromText(request.Model, Shout(request), Usage.Create(promptTokens: 1, completionTokens: 1)));

    public async IAsyncEnumerable<ChatCompletionChunk> StreamAsync(ChatCompletionRequest request, ChatCompletionContext context,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        string id = ChatCompletion.NewId();
        var created = DateTimeOffset.UtcNow;
        await Task.Yield();
        yield return ChatCompletionChunk.Delta(id, request.Model, created, new ChatCompletionChunkDelta { Role = ChatRole.Assistant, Content = Shout(request) });
        yield return ChatCompletionChunk.Delta(id, request.Model, created, new ChatCompletionChunkDelta(), FinishReason.Stop);
    }

    private static string Shout(ChatCompletionRequest request) =>
        (request.Messages.OfType<UserMessage>().LastOrDefault()?.Content?.ToString() ?? "").ToUpperInvariant();
}
