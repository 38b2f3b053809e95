using System;
using System.IO;
using NUnit.Framework;

/// <summary>
/// The gateway in Development reads its developer's user secrets (dotnet user-secrets), which would
/// change what a test configures (an upstream key without its URL fails validation). For this test
/// process and the gateways it starts, the secrets store is an empty folder: it lives under %APPDATA%
/// when that variable is set, on every operating system.
/// </summary>
[SetUpFixture]
public sealed class IsolatedUserSecrets
{
    private const string Variable = "APPDATA";
    private string? saved;
    private string? folder;

    [OneTimeSetUp]
    public void Isolate()
    {
        saved = Environment.GetEnvironmentVariable(Variable);
        folder = Directory.CreateTempSubdirectory("openpipe-no-user-secrets-").FullName;
        Environment.SetEnvironmentVariable(Variable, folder);
    }

    [OneTimeTearDown]
    public void Restore()
    {
        Environment.SetEnvironmentVariable(Variable, saved);
        if (folder is not null)
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
