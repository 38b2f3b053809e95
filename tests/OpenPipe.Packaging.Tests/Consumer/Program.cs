// A consumer of the packed OpenPipe.Client and OpenPipe.Server packages (and OpenPipe.Models, which both bring): it serves a
// Microsoft.Extensions.AI IChatClient through the kit's endpoint on a free port, calls it with the
// client, through IChatClient and as a stream, and prints the answers.
using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.AI;
using OpenPipe;
using OpenPipe.Client;
using OpenPipe.Server;

var builder = WebApplication.CreateBuilder(args);
builder.WebHost.UseUrls("http://127.0.0.1:0");
builder.Logging.ClearProviders();
builder.Services.AddChatClient(new EchoChatClient());
builder.Services.AddOpenPipeServer<ChatClientCompletionHandler>(o => o.ApiKeys.Add("consumer-key"));
var app = builder.Build();
app.MapOpenPipeChatCompletions();
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
await foreach (var update in chat.GetStreamingResponseAsync("streamed", cancellationToken: timeout.Token))
{
    streamed.Append(update.Text);
}

Console.WriteLine("stream: " + streamed);
await app.StopAsync();

/// <summary>An IChatClient that answers "echo: " and the last message, word by word when streaming.</summary>
sealed class EchoChatClient : IChatClient
{
    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        Task.FromResult(new ChatResponse(new ChatMessage(Microsoft.Extensions.AI.ChatRole.Assistant, "echo: " + messages.Last().Text)));

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        foreach (string word in ("echo: " + messages.Last().Text).Split(' '))
        {
            await Task.Yield();
            yield return new ChatResponseUpdate(Microsoft.Extensions.AI.ChatRole.Assistant, word == "echo:" ? word : " " + word);
        }
    }

    public object? GetService(Type serviceType, object? serviceKey = null) => null;

    public void Dispose()
    {
    }
}
