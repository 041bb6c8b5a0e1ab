using System;
using System.Collections.Generic;
using System.Security.Cryptography;
using System.Text;
using System.Threading;
using StackExchange.Redis;

namespace MonarchLogs.Core.Connection
{
    /// <summary>
    /// The connections of a host that connects by connection string, one command after another
    /// (the PowerShell module, through <c>Storage.SharedStores</c>): one multiplexer per target,
    /// made on first use and reused by every later call (StackExchange.Redis multiplexers are
    /// built to be shared and reconnect by themselves).
    /// </summary>
    internal sealed class SharedConnections
    {
        private readonly object _gate = new object();
        private readonly Dictionary<string, ConnectionMultiplexer> _connections = new Dictionary<string, ConnectionMultiplexer>(StringComparer.Ordinal);
        private readonly string _clientName;

        /// <param name="clientName">The CLIENT SETNAME of the connections, unless a connection string names one.</param>
        public SharedConnections(string clientName)
        {
            _clientName = clientName;
        }

        /// <summary>How many connections are open.</summary>
        public int Count
        {
            get
            {
                lock (_gate) return _connections.Count;
            }
        }

        /// <summary>
        /// The shared connection of a target. A connection that is reconnecting (Valkey restarted)
        /// gets up to <paramref name="wait"/> (by default the connect timeout) to come back; an
        /// unreachable server or refused credentials throw a <see cref="MonarchLogsException"/>.
        /// </summary>
        public IConnectionMultiplexer Open(StoreConnectionSettings settings, TimeSpan? wait, CancellationToken cancellationToken)
        {
            var options = StoreConnection.CreateOptions(settings, _clientName);
            var key = CacheKey(options, settings.TrustedCertificateAuthorityPath);
            ConnectionMultiplexer? connection;
            lock (_gate)
            {
                _connections.TryGetValue(key, out connection);
            }

            if (connection is null)
            {
                var created = StoreConnection.ConnectAsync(options, cancellationToken).GetAwaiter().GetResult();
                lock (_gate)
                {
                    if (_connections.TryGetValue(key, out connection))
                    {
                        created.Dispose();
                    }
                    else
                    {
                        _connections[key] = created;
                        connection = created;
                    }
                }
            }
            else
            {
                var patience = wait ?? TimeSpan.FromMilliseconds(options.ConnectTimeout);
                StoreConnection.EnsureConnectedAsync(connection, options, patience, cancellationToken).GetAwaiter().GetResult();
            }

            return connection;
        }

        /// <summary>Closes every connection; a later <see cref="Open"/> connects anew.</summary>
        public void CloseAll()
        {
            List<ConnectionMultiplexer> closing;
            lock (_gate)
            {
                closing = new List<ConnectionMultiplexer>(_connections.Values);
                _connections.Clear();
            }

            foreach (var connection in closing)
            {
                // Close, not Dispose alone: it sends QUIT, so the server drops the client at once.
                connection.Close(allowCommandsToComplete: false);
                connection.Dispose();
            }
        }

        /// <summary>
        /// Identifies one connection: the target, the effective user and password, from the
        /// caller or written in the connection string, and the trusted CA. The password enters
        /// only as a hash, so a different password never reuses a connection made with another,
        /// and the key itself reveals nothing.
        /// </summary>
        private static string CacheKey(ConfigurationOptions options, string? trustedAuthority)
        {
            string passwordHash;
            using (var sha = SHA256.Create())
            {
                passwordHash = Convert.ToBase64String(sha.ComputeHash(Encoding.UTF8.GetBytes(options.Password ?? string.Empty)));
            }

            return StoreConnection.Describe(options) + "\n" + (options.User ?? string.Empty) + "\n" + passwordHash + "\n" + (trustedAuthority ?? string.Empty);
        }
    }
}
