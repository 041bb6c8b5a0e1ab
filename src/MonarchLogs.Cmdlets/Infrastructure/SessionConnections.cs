using System;
using System.Collections.Concurrent;
using System.Management.Automation.Runspaces;
using System.Threading;
using MonarchLogs.Core.Storage;

namespace MonarchLogs.Cmdlets.Infrastructure
{
    /// <summary>
    /// The connections of this PowerShell process: one per connection target, made on first use
    /// and reused by every later command (<see cref="SharedStores"/>). The Connect-MonarchLog
    /// default is kept per runspace, so two sessions hosted in one process do not share each
    /// other's credentials.
    /// </summary>
    internal static class SessionConnections
    {
        private const string ClientName = "MonarchLogs.PowerShell";
        private static readonly SharedStores Stores = new SharedStores(ClientName);
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
        public static LogStore Open(ConnectionTarget target, TimeSpan? wait, CancellationToken cancellationToken) =>
            target.Open(Stores, wait, cancellationToken);

        /// <summary>Closes every connection and forgets every session default (the module is removed).</summary>
        public static void CloseAll()
        {
            Defaults.Clear();
            Stores.CloseAll();
        }
    }
}
