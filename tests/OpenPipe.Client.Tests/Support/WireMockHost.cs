using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net.Http;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;
using WireMock;
using WireMock.Handlers;
using WireMock.Logging;
using WireMock.Matchers;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.ResponseProviders;
using WireMock.Server;
using WireMock.Settings;

namespace OpenPipe.Client.Tests.Support;

/// <summary>
/// WireMock.Net in this process on a free port of 127.0.0.1. Stubs come from the test project's
/// <c>Mappings/</c> folder (WireMock.Net's mapping JSON); response files (<c>BodyAsFile</c>) and SSE
/// transcripts from <c>WireMock/__files/</c>. Adds the two things WireMock.Net has no mapping field for:
/// an SSE body sent event by event over time (<see cref="StubSlowStream"/>), and transport faults
/// (<see cref="FaultHeader"/>).
/// </summary>
internal sealed class WireMockHost : IDisposable
{
    /// <summary>
    /// A mapping whose response carries this header is never sent: the connection fails instead, in the
    /// way the header's value names. WireMock.Net's own faults (EMPTY_RESPONSE, MALFORMED_RESPONSE_CHUNK)
    /// still send a well-formed HTTP response with a bad body; these fail the connection itself:
    /// <list type="bullet">
    /// <item><c>CONNECTION_RESET_BY_PEER</c>: the socket is closed with a TCP reset.</item>
    /// <item><c>EMPTY_RESPONSE</c>: the socket is closed with no byte sent.</item>
    /// <item><c>MALFORMED_RESPONSE_CHUNK</c>: a 200 status line and chunked headers, then bytes that are not a chunk, then close.</item>
    /// <item><c>RANDOM_DATA_THEN_CLOSE</c>: random bytes where the status line should be, then close.</item>
    /// </list>
    /// </summary>
    public const string FaultHeader = "X-Fault";

    private readonly string mappingsFolder;
    private readonly string filesFolder;

    private WireMockHost(WireMockServer server, string mappingsFolder, string filesFolder)
    {
        Server = server;
        this.mappingsFolder = mappingsFolder;
        this.filesFolder = filesFolder;
    }

    /// <summary>The WireMock.Net server, for stubs written with its fluent API.</summary>
    public WireMockServer Server { get; }

    public int Port => Server.Port;

    /// <summary>The chat completions API's base URL on this server (OpenPipe's <c>/api/v1</c>).</summary>
    public Uri ApiBaseUrl => new($"http://127.0.0.1:{Port}/api/v1");

    /// <summary>Every request received since the last <see cref="Reset"/>, oldest first.</summary>
    /// <remarks>WireMock.Net journals a request once its response is ready, so after any delay the stub adds.</remarks>
    public IReadOnlyList<ILogEntry> Requests => Server.LogEntries;

    /// <summary>The requests no stub matched (WireMock.Net answered them with 404).</summary>
    public IReadOnlyList<ILogEntry> Unmatched => Server.LogEntries.Where(e => e.MappingGuid is null).ToList();

    /// <summary>Starts a server whose stubs and files are under <paramref name="testDirectory"/> (the test output folder).</summary>
    public static async Task<WireMockHost> StartAsync(string testDirectory)
    {
        // WireMock.Net's SSE writer blocks a pool thread per open stream while it waits for the next
        // event; enough threads up front keep a slow stream from delaying every other request.
        ThreadPool.GetMinThreads(out int workers, out int io);
        ThreadPool.SetMinThreads(Math.Max(workers, 32), io);

        string files = Path.Combine(testDirectory, "WireMock", "__files");
        var server = WireMockServer.Start(new WireMockServerSettings
        {
            Urls = [$"http://127.0.0.1:{FreePort.Next()}"],
            StartAdminInterface = false,
            Logger = new WireMockNullLogger(),
            FileSystemHandler = new FilesFolderHandler(files),
            PreWireMockMiddlewareInit = app => ((IApplicationBuilder)app).Use(ReadBodyThenFailConnectionWhenAskedAsync),
        });
        var host = new WireMockHost(server, Path.Combine(testDirectory, "Mappings"), files);

        // One request before the tests run, so the first test does not pay for the server's warm-up
        // (a caller that gives up within 200 ms would otherwise leave before its request is even read).
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        using var warmUp = await http.PostAsync(new Uri(host.ApiBaseUrl, "warm-up"), new StringContent("{}", Encoding.UTF8, "application/json"));
        host.Reset();
        return host;
    }

    /// <summary>Removes every stub, the request journal and scenario states.</summary>
    public void Reset() => Server.Reset();

    /// <summary>
    /// Adds the stubs of a mapping file in <c>Mappings/</c> (one WireMock.Net mapping or an array of them),
    /// replacing each <c>$NAME</c> placeholder in it.
    /// </summary>
    public void Stub(string mappingFile, params (string Name, string Value)[] replacements)
    {
        string json = File.ReadAllText(Path.Combine(mappingsFolder, mappingFile));
        foreach (var (name, value) in replacements)
        {
            json = json.Replace("$" + name, value, StringComparison.Ordinal);
        }

        Server.WithMapping(json);
    }

    /// <summary>
    /// Answers a POST to <paramref name="path"/> whose JSON body has <c>"stream": true</c> with the SSE
    /// transcript <c>streams/<paramref name="transcript"/></c>, sent as text/event-stream one event at a
    /// time (each flushed as its own chunk), the events spread evenly over <paramref name="duration"/>.
    /// </summary>
    public void StubSlowStream(string path, string transcript, TimeSpan duration)
    {
        // Each event keeps its own line endings and the blank line that ends it, so the bytes sent are the file's.
        string[] events = Regex.Split(File.ReadAllText(Path.Combine(filesFolder, "streams", transcript)), @"(?<=\r?\n\r?\n)")
            .Where(e => e.Length > 0)
            .ToArray();
        TimeSpan gap = duration / events.Length;

        Server
            .Given(Request.Create().UsingPost().WithPath(path).WithBody(new JsonPartialMatcher("""{ "stream": true }""")))
            .RespondWith(new NewResponseEachRequest(() => Response.Create()
                .WithStatusCode(200)
                .WithHeader("Content-Type", "text/event-stream")
                .WithSseBody(
                    async (_, queue) =>
                    {
                        foreach (string e in events)
                        {
                            queue.Write(e);
                            await Task.Delay(gap);
                        }

                        queue.Close();
                    },
                    // Bounds the wait for the next event, so a stub that stopped writing cannot hold the response open.
                    timeout: duration + TimeSpan.FromSeconds(10))));
    }

    public void Dispose() => Server.Stop();

    private static async Task ReadBodyThenFailConnectionWhenAskedAsync(HttpContext context, RequestDelegate next)
    {
        // The body is read before anything else, so a request is journaled even when its caller leaves
        // (a cancellation, a client time-out) before WireMock.Net gets to it.
        context.Request.EnableBuffering();
        await context.Request.Body.CopyToAsync(Stream.Null, context.RequestAborted);
        context.Request.Body.Position = 0;

        context.Response.OnStarting(() =>
        {
            if (context.Response.Headers.TryGetValue(FaultHeader, out var fault))
            {
                FailConnection(context, fault.ToString());
            }

            return Task.CompletedTask;
        });
        await next(context);
    }

    private static void FailConnection(HttpContext context, string fault)
    {
        Socket socket = context.Features.Get<IConnectionSocketFeature>()?.Socket
            ?? throw new InvalidOperationException("Transport faults need Kestrel's socket transport.");
        switch (fault)
        {
            case "CONNECTION_RESET_BY_PEER":
                // Linger 0: closing sends RST instead of FIN.
                socket.LingerState = new LingerOption(true, 0);
                socket.Close();
                break;
            case "EMPTY_RESPONSE":
                CloseGracefully(socket);
                break;
            case "MALFORMED_RESPONSE_CHUNK":
                socket.Send(Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz-not-a-chunk-size\r\n{\"id\":"));
                CloseGracefully(socket);
                break;
            case "RANDOM_DATA_THEN_CLOSE":
                // Random bytes as a "status line": never "H" first, so it cannot be read as HTTP.
                var garbage = new byte[64];
                new Random(42).NextBytes(garbage);
                garbage[0] = 0;
                socket.Send(garbage);
                socket.Send("\r\n\r\n"u8);
                CloseGracefully(socket);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(fault), fault, "Unknown transport fault.");
        }

        // Kestrel gives up the connection without writing the response WireMock.Net is starting.
        context.Abort();
    }

    /// <summary>FIN after what was sent (Kestrel's own abort resets the connection, which can drop those bytes).</summary>
    private static void CloseGracefully(Socket socket)
    {
        socket.Shutdown(SocketShutdown.Both);
        socket.Close();
    }

    /// <summary>Builds a fresh response for each request: WireMock.Net's SSE body queue belongs to the builder, so one builder serves one stream.</summary>
    private sealed class NewResponseEachRequest(Func<IResponseProvider> create) : IResponseProvider
    {
        public Task<(IResponseMessage Message, IMapping? Mapping)> ProvideResponseAsync(IMapping mapping, IRequestMessage requestMessage, WireMockServerSettings settings) =>
            create().ProvideResponseAsync(mapping, requestMessage, settings);
    }

    /// <summary>Resolves a mapping's <c>BodyAsFile</c> against the <c>__files</c> folder.</summary>
    private sealed class FilesFolderHandler(string filesFolder) : LocalFileSystemHandler
    {
        public override byte[] ReadResponseBodyAsFile(string path) => File.ReadAllBytes(Path.Combine(filesFolder, path));
    }
}
