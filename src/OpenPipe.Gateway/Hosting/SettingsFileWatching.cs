// Adds: how the gateway notices edits to its settings files. The framework watches appsettings.json
// with a FileSystemWatcher on the whole content root, subfolders included, and the gateway's
// SQLite request log lives in that folder by default: every write of the database, its journal and
// its WAL raised events the watcher then matched against the settings files. With every request
// logged, that cost about a fifth of the gateway's CPU per request (tests/OpenPipe.Benchmarks/README.md,
// "Levers"). Polling looks at the settings files alone, every four seconds, so an edit to them still
// takes effect, within four seconds.

using System;

namespace OpenPipe.Gateway.Hosting;

/// <summary>Makes the gateway's file providers poll the files they watch instead of watching their whole folder.</summary>
internal static class SettingsFileWatching
{
    /// <summary>The variable the framework's file providers read when they are created.</summary>
    internal const string PollingVariable = "DOTNET_USE_POLLING_FILE_WATCHER";

    /// <summary>
    /// Asks for polling, unless the environment already says which watcher to use. Call it before the
    /// host builder exists: a file provider reads the variable when it is created.
    /// </summary>
    /// <returns>Whether polling was asked for here.</returns>
    public static bool PollUnlessChosen()
    {
        if (Environment.GetEnvironmentVariable(PollingVariable) is not null)
        {
            return false;
        }

        Environment.SetEnvironmentVariable(PollingVariable, "true");
        return true;
    }
}
