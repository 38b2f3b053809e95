// A consumer of the packed OpenPipe.Client and OpenPipe.Server packages: it serves the API on a
// free port, calls it with the client and through Microsoft.Extensions.AI, and prints the answers.
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.AI;
using OpenPipe.Client;
using OpenPipe.Server;

var builder = WebApplication.CreateBuilder(args);
builder.WebHost.UseUrls("http://127.0.0.1:0");
builder.Logging.ClearProviders();
builder.Services.AddOpenPipeServer(o => o.ApiKeys.Add("consumer-key"));
var app = builder.Build();
app.UseOpenPipeServer();
await app.StartAsync();
string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
using var client = new OpenPipeClient(new OpenPipeClientOptions { ApiKey = "consumer-key", BaseUrl = new Uri(address + "/api/v1") });
var completion = await client.CreateChatCompletionAsync(
    new ChatCompletionRequest { Model = "echo", Messages = [new UserMessage { Content = "from the client" }] }, timeout.Token);
Console.WriteLine("client: " + completion.Choices[0].Message.Content);

IChatClient chat = client.AsIChatClient("echo");
var response = await chat.GetResponseAsync("from IChatClient", cancellationToken: timeout.Token);
Console.WriteLine("ichatclient: " + response.Text);

var streamed = new System.Text.StringBuilder();
await foreach (var update in chat.GetStreamingResponseAsync("stream it", cancellationToken: timeout.Token))
{
    streamed.Append(update.Text);
}

Console.WriteLine("stream: " + streamed);
await app.StopAsync();

/// <summary>Echoes the last user message.</summary>
public sealed class EchoController : ChatCompletionsControllerBase
{
    /// <inheritdoc />
    public override Task<ActionResult<ChatCompletion>> CreateChatCompletion(bool? opLogRequest, CacheMode? opCache,
        string? opTags, string? opCriteria, ChatCompletionRequest body, CancellationToken cancellationToken = default) =>
        RespondAsync(body, Complete, Stream);

    private static async IAsyncEnumerable<ChatCompletionChunk> Stream(ChatCompletionRequest request, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        foreach (string word in new[] { "echo:", " streamed" })
        {
            await Task.Yield();
            yield return new ChatCompletionChunk
            {
                Id = "chatcmpl-consumer",
                Object = "chat.completion.chunk",
                Model = request.Model,
                Created = 1,
                Choices = [new ChatCompletionChunkChoice { Index = 0, Delta = new ChatCompletionChunkDelta { Content = word } }],
            };
        }
    }

    private static Task<ChatCompletion> Complete(ChatCompletionRequest request, CancellationToken cancellationToken) =>
        Task.FromResult(new ChatCompletion
        {
            Id = "chatcmpl-consumer",
            Object = "chat.completion",
            Model = request.Model,
            Created = 1,
            Choices =
            [
                new ChatCompletionChoice
                {
                    Index = 0,
                    FinishReason = FinishReason.Stop,
                    Message = new ChatCompletionResponseMessage { Role = "assistant", Content = "echo: " + request.Messages.OfType<UserMessage>().Last().Content },
                },
            ],
        });
}
