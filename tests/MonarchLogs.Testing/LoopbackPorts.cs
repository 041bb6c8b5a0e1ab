using System;
using System.Collections.Generic;
using System.Net;
using System.Net.Sockets;

namespace MonarchLogs.Testing
{
    /// <summary>Free loopback ports for servers the tests start.</summary>
    public static class LoopbackPorts
    {
        private static readonly Random Random = new Random();
        private static readonly HashSet<int> Handed = new HashSet<int>();

        /// <summary>
        /// A free port below 45000 whose port + 10000 is free too: a cluster node listens on both
        /// (the bus port must stay below 65536), and the range stays clear of the ephemeral one.
        /// </summary>
        public static int ForClusterNode()
        {
            lock (Random)
            {
                for (var attempt = 0; attempt < 500; attempt++)
                {
                    var port = Random.Next(20_000, 45_000);
                    if (Handed.Contains(port) || Handed.Contains(port + 10_000)) continue;
                    if (!IsFree(port) || !IsFree(port + 10_000)) continue;
                    Handed.Add(port);
                    Handed.Add(port + 10_000);
                    return port;
                }
            }

            throw new InvalidOperationException("No free pair of loopback ports for a cluster node.");
        }

        public static bool IsFree(int port)
        {
            try
            {
                var listener = new TcpListener(IPAddress.Loopback, port);
                listener.Start();
                listener.Stop();
                return true;
            }
            catch (SocketException)
            {
                return false;
            }
        }
    }
}
