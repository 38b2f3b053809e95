using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Net.Http;
using System.Threading.Tasks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using NUnit.Framework;

namespace OpenPipe.Gateway.Tests;

/// <summary>Rejected keys are logged at Debug, not Information, unless configuration says otherwise.</summary>
[TestFixture]
[NonParallelizable]
public sealed class RejectedKeyLoggingTests
{
    private static async Task<List<(string Category, LogLevel Level, string Message)>> RejectAsync(Dictionary<string, string?> settings)
    {
        var capture = new CapturingProvider();
        using var gateway = new GatewayFactory(new Uri("http://127.0.0.1:9/v1"), settings) { MoreServices = s => s.AddSingleton<ILoggerProvider>(capture) };
        using var http = gateway.CreateClient();
        foreach (string? key in new[] { "wrong-key", null })
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/chat/completions")
            {
                Content = new StringContent("""{"model":"echo","messages":[{"role":"user","content":"x"}]}""", System.Text.Encoding.UTF8, "application/json"),
            };
            if (key is not null)
            {
                request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
            }

            using var response = await http.SendAsync(request);
            Assert.That((int)response.StatusCode, Is.EqualTo(401));
        }

        return [.. capture.Entries];
    }

    [Test]
    public async Task WrongKey_DefaultLogging_NothingAtInformationOrAbove()
    {
        // Act
        var entries = await RejectAsync([]);

        // Assert
        Assert.That(entries.Where(e => e.Level >= LogLevel.Information && (e.Message.Contains("OpenPipeBearer", StringComparison.Ordinal) || e.Category.Contains("Bearer", StringComparison.Ordinal))), Is.Empty);
    }

    [Test]
    public async Task WrongKey_DebugEnabled_OneDebugLinePerRejectionWithTheReason()
    {
        // Act
        var entries = await RejectAsync(new() { ["Logging:LogLevel:Default"] = "Debug" });

        // Assert
        var rejected = entries.Where(e => e.Message.StartsWith("Rejected POST /api/v1/chat/completions", StringComparison.Ordinal)).ToList();
        Assert.That(rejected.Select(e => e.Level), Is.EqualTo(new[] { LogLevel.Debug, LogLevel.Debug }));
        Assert.That(rejected[0].Message, Does.Contain("The API key is not valid."));
        Assert.That(rejected[1].Message, Does.Contain("no Authorization header"));
        Assert.That(entries.Any(e => e.Message.Contains("wrong-key", StringComparison.Ordinal)), Is.False, "keys never reach the logs");
    }

    [Test]
    public async Task WrongKey_ConfigurationAsksForTheHandlersInformation_GetsIt()
    {
        // Act
        var entries = await RejectAsync(new() { ["Logging:LogLevel:OpenPipe.Server.OpenPipeBearerHandler"] = "Information" });

        // Assert
        Assert.That(entries.Count(e => e.Level == LogLevel.Information && e.Message.Contains("OpenPipeBearer was challenged", StringComparison.Ordinal)), Is.EqualTo(2));
    }

    private sealed class CapturingProvider : ILoggerProvider
    {
        public ConcurrentQueue<(string Category, LogLevel Level, string Message)> Entries { get; } = new();

        public ILogger CreateLogger(string categoryName) => new Logger(categoryName, Entries);

        public void Dispose()
        {
        }

        private sealed class Logger(string category, ConcurrentQueue<(string, LogLevel, string)> entries) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                entries.Enqueue((category, logLevel, formatter(state, exception)));
        }
    }
}
