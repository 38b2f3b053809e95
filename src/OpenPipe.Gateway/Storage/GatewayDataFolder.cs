using System;
using System.IO;

namespace OpenPipe.Gateway.Storage;

/// <summary>
/// Where the gateway keeps its SQLite database when <c>Gateway:RequestLog:Path</c> does not say:
/// a folder of its own in the user's local application data (<c>$XDG_DATA_HOME/openpipe-gateway</c>,
/// by default <c>~/.local/share/openpipe-gateway</c>, on Linux; <c>%LOCALAPPDATA%\openpipe-gateway</c>
/// on Windows), so a clean or a new build of the gateway's folder leaves the log and the cache alone,
/// and the folder whose settings files the host watches is not written on every request.
/// </summary>
public static class GatewayDataFolder
{
    /// <summary>The folder's name under the user's local application data.</summary>
    public const string FolderName = "openpipe-gateway";

    /// <summary>The database file's name in the folder.</summary>
    public const string DatabaseFileName = "openpipe-gateway.db";

    /// <summary>The data folder, or null when this machine has no local application data folder for the user.</summary>
    /// <returns>The folder's full path.</returns>
    public static string? Folder()
    {
        string root = Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.DoNotVerify);
        return string.IsNullOrEmpty(root) ? null : Path.Combine(root, FolderName);
    }

    /// <summary>The database file the gateway uses when <paramref name="configuredPath"/> is empty.</summary>
    /// <param name="configuredPath"><c>Gateway:RequestLog:Path</c>; a relative path is relative to <paramref name="contentRoot"/>.</param>
    /// <param name="contentRoot">The gateway's content root.</param>
    /// <returns>The file's full path.</returns>
    public static string DatabasePath(string? configuredPath, string contentRoot) =>
        !string.IsNullOrWhiteSpace(configuredPath)
            ? Path.GetFullPath(configuredPath, contentRoot)
            : Path.Combine(Folder() ?? throw new InvalidOperationException(
                "This machine has no local application data folder for the gateway's database: set Gateway:RequestLog:Path (or Gateway:Storage:ConnectionString)."), DatabaseFileName);
}
