using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenPipe.Gateway.Storage;

namespace OpenPipe.Gateway.Logs;

/// <summary>
/// Says at start, once the log writer created the schema, when free-text search on PostgreSQL has no
/// trigram index (pg_trgm could not be created, or Gateway:Storage:TextIndex is false), so an
/// operator knows why searches over a large log are slow.
/// </summary>
internal sealed partial class TextIndexReport(IGatewayStore store, ILogger<TextIndexReport> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (store is PostgresGatewayStore { TextIndexProblem: { } problem })
        {
            LogNoTextIndex(logger, problem);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Request log: {Problem}")]
    private static partial void LogNoTextIndex(ILogger logger, string problem);
}
