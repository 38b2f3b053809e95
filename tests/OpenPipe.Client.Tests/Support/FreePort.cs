using System.Net;
using System.Net.Sockets;

namespace OpenPipe.Client.Tests.Support;

/// <summary>Free TCP ports on 127.0.0.1 for servers the tests start.</summary>
internal static class FreePort
{
    /// <summary>A port no one listens on right now.</summary>
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
