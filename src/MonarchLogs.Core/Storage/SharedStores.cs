using System;
using System.Threading;
using MonarchLogs.Core.Connection;
using MonarchLogs.Core.Format;

namespace MonarchLogs.Core.Storage
{
    /// <summary>
    /// The stores of a host that opens them by connection string, one command after another (the
    /// PowerShell module), over the shared connections of <see cref="SharedConnections"/>. Callers
    /// deal in connection strings, credentials and stores only, never in StackExchange.Redis
    /// types, so a host that loads this engine in a load context of its own never binds to
    /// whichever StackExchange.Redis its process loaded first.
    /// </summary>
    public sealed class SharedStores
    {
        private readonly SharedConnections _connections;

        /// <param name="clientName">The CLIENT SETNAME of the connections, unless a connection string names one.</param>
        public SharedStores(string clientName)
        {
            _connections = new SharedConnections(clientName);
        }

        /// <summary>How many connections are open.</summary>
        public int ConnectionCount => _connections.Count;

        /// <summary>
        /// The store <paramref name="settings"/> name, under their prefix, on the shared
        /// connection (see <see cref="SharedConnections.Open"/>): an unreachable server, a refused
        /// certificate or refused credentials throw a <see cref="MonarchLogsException"/>.
        /// </summary>
        public LogStore Open(StoreConnectionSettings settings, TimeSpan? wait, CancellationToken cancellationToken) =>
            new LogStore(_connections.Open(settings, wait, cancellationToken), new StorageFormat(settings.Prefix));

        /// <summary>Closes every connection; a later <see cref="Open"/> connects anew.</summary>
        public void CloseAll() => _connections.CloseAll();
    }
}
