using System.Threading.Tasks;
using NUnit.Framework;

namespace OpenPipe.Gateway.Tests.Support;

/// <summary>
/// Starts the throwaway PostgreSQL of a fixture, or marks the fixture's tests ignored, naming the apt
/// package, on a machine without PostgreSQL. `.ci/run` installs PostgreSQL and fails when any test
/// did not run, so CI never passes with these skipped.
/// </summary>
internal static class PostgresRequirement
{
    public static async Task<PostgresServer> StartServerAsync()
    {
        try
        {
            return await PostgresServer.StartAsync();
        }
        catch (PostgresNotInstalledException e)
        {
            Assert.Ignore(e.Message);
            throw;
        }
    }
}
