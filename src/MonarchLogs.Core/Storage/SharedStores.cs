using System;
using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Threading;
using MonarchLogs.Core.Append;
using MonarchLogs.Core.Connection;
using MonarchLogs.Core.Format;
using StackExchange.Redis;

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

        // Per connection and prefix, one format and one appender for every store opened: a
        // command a call (Write-MonarchLog in a loop) then shares one writer, its send order and
        // its head compaction, instead of leaving an appender per call to check the head later.
        private readonly ConditionalWeakTable<IConnectionMultiplexer, ConcurrentDictionary<string, Lazy<(StorageFormat Format, VersionedAppender Appender)>>> _writers =
            new ConditionalWeakTable<IConnectionMultiplexer, ConcurrentDictionary<string, Lazy<(StorageFormat Format, VersionedAppender Appender)>>>();

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
        public LogStore Open(StoreConnectionSettings settings, TimeSpan? wait, CancellationToken cancellationToken)
        {
            var connection = _connections.Open(settings, wait, cancellationToken);
            var prefix = new StorageFormat(settings.Prefix).Prefix;
            var writer = _writers.GetValue(connection, _ => new ConcurrentDictionary<string, Lazy<(StorageFormat, VersionedAppender)>>(StringComparer.Ordinal))
                .GetOrAdd(prefix, _ => new Lazy<(StorageFormat, VersionedAppender)>(() =>
                {
                    var format = new StorageFormat(prefix);
                    return (format, new VersionedAppender(connection, format));
                })).Value;
            return new LogStore(connection, writer.Format, writer.Appender);
        }

        /// <summary>Closes every connection; a later <see cref="Open"/> connects anew.</summary>
        public void CloseAll() => _connections.CloseAll();
    }
}
