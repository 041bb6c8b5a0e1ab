using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Management.Automation.Runspaces;
using System.Threading;
using MonarchLogs.Core.Connection;
using MonarchLogs.Core.Format;
using MonarchLogs.Core.Storage;
using StackExchange.Redis;

namespace MonarchLogs.Cmdlets.Infrastructure
{
    /// <summary>
    /// The connections of this PowerShell process: one multiplexer per connection target, made on
    /// first use and reused by every later command (StackExchange.Redis multiplexers are built to
    /// be shared and reconnect by themselves). The Connect-MonarchLog default is kept per runspace,
    /// so two sessions hosted in one process do not share each other's credentials.
    /// </summary>
    internal static class SessionConnections
    {
        private static readonly object Gate = new object();
        private static readonly Dictionary<string, ConnectionMultiplexer> Connections = new Dictionary<string, ConnectionMultiplexer>(StringComparer.Ordinal);
        private static readonly ConcurrentDictionary<Guid, ConnectionTarget> Defaults = new ConcurrentDictionary<Guid, ConnectionTarget>();

        public static ConnectionTarget? SessionDefault =>
            Runspace.DefaultRunspace is { } runspace && Defaults.TryGetValue(runspace.InstanceId, out var target) ? target : null;

        public static void SetSessionDefault(ConnectionTarget target)
        {
            if (Runspace.DefaultRunspace is { } runspace) Defaults[runspace.InstanceId] = target;
        }

        /// <summary>
        /// The store of a target, on the shared connection. A connection that is reconnecting
        /// (Valkey restarted) gets up to <paramref name="wait"/> to come back; an unreachable server
        /// or refused credentials throw a <see cref="Core.MonarchLogsException"/>.
        /// </summary>
        public static LogStore Open(ConnectionTarget target, TimeSpan? wait, CancellationToken cancellationToken)
        {
            var options = target.CreateOptions();
            var key = ConnectionTarget.CacheKey(options);
            ConnectionMultiplexer? connection;
            lock (Gate)
            {
                Connections.TryGetValue(key, out connection);
            }

            if (connection is null)
            {
                var created = StoreConnection.ConnectAsync(options, cancellationToken).GetAwaiter().GetResult();
                lock (Gate)
                {
                    if (Connections.TryGetValue(key, out connection))
                    {
                        created.Dispose();
                    }
                    else
                    {
                        Connections[key] = created;
                        connection = created;
                    }
                }
            }
            else
            {
                var patience = wait ?? TimeSpan.FromMilliseconds(options.ConnectTimeout);
                StoreConnection.EnsureConnectedAsync(connection, options, patience, cancellationToken).GetAwaiter().GetResult();
            }

            return new LogStore(connection, new StorageFormat(target.Prefix));
        }
    }
}
