using System;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using StackExchange.Redis;

namespace MonarchLogs.Core.Connection
{
    /// <summary>
    /// What <see cref="StoreConnection"/> knows of a connection it made, kept beside it: the user it
    /// logs in as, its certificate check, and whether the server confirmed the user since the last
    /// (re)connect. StackExchange.Redis sends AUTH without waiting for its answer: when Valkey
    /// refuses the password and its <c>default</c> user is open (nopass), the connection silently
    /// goes on as <c>default</c>; so with a user, the user is asked back with <c>ACL WHOAMI</c>.
    /// </summary>
    internal sealed class ConnectionGuard
    {
        private static readonly ConditionalWeakTable<IConnectionMultiplexer, ConnectionGuard> Guards =
            new ConditionalWeakTable<IConnectionMultiplexer, ConnectionGuard>();

        /// <summary>Watches <paramref name="connection"/> (once): it is verified again after every reconnect.</summary>
        public static void Attach(ConnectionMultiplexer connection, ConnectionGuard guard)
        {
            if (!ReferenceEquals(Guards.GetValue(connection, _ => guard), guard)) return;
            connection.ConnectionRestored += (_, _) => guard.State = Unverified;
        }

        /// <summary>The guard of a connection <see cref="StoreConnection"/> made; false for any other connection.</summary>
        public static bool TryGet(IConnectionMultiplexer connection, out ConnectionGuard guard) => Guards.TryGetValue(connection, out guard!);

        /// <summary>The one-line refusal of a server certificate.</summary>
        public static MonarchLogsException CertificateRefusal(string endpoints, string reason) =>
            new MonarchLogsException(StoreErrors.CertificateRejected, MonarchErrorKind.ConnectionError,
                $"Valkey at {endpoints} presented a TLS certificate that {reason}.", transient: true);

        /// <summary>What <see cref="StoreConnection.EnsureVerifiedAsync"/> does: asks the server for the user once per (re)connect.</summary>
        public static async Task VerifyAsync(IConnectionMultiplexer connection, CancellationToken cancellationToken)
        {
            if (!Guards.TryGetValue(connection, out var guard)) return;
            if (guard.Certificate is not null && !connection.IsConnected && guard.CertificateRefusal() is { } certificate) throw certificate;
            var state = guard.State;
            if (state == Verified) return;
            if (state == Refused) throw guard.Refusal();
            if (!connection.IsConnected) return;
            if (guard.ExpectedUser is null)
            {
                guard.State = Verified;
                return;
            }

            var db = connection.GetDatabase();
            string? actual;
            try
            {
                actual = (string?)await db.ExecuteAsync("ACL", "WHOAMI").WithCancellation(cancellationToken).ConfigureAwait(false);
            }
            catch (RedisServerException ex) when (ex.Message.StartsWith("NOPERM", StringComparison.Ordinal))
            {
                // A user without ACL WHOAMI is still named by the refusal: "NOPERM User <name> has no permissions ...".
                actual = UserOfRefusal(ex.Message);
            }
            catch (RedisServerException)
            {
                // A server without ACLs (ERR unknown command) has no other user to fall back to.
                actual = null;
            }

            if (actual is null || guard.ExpectedUser is null || string.Equals(actual, guard.ExpectedUser, StringComparison.Ordinal))
            {
                guard.State = Verified;
                return;
            }

            guard.State = Refused;
            // Close the connection that fell back, so nothing more runs as the wrong user, and the
            // client's next reconnect logs in again (and is checked again): a password put right
            // on the server is picked up without a restart.
            try
            {
                var id = await db.ExecuteAsync("CLIENT", "ID").ConfigureAwait(false);
                await db.ExecuteAsync("CLIENT", "KILL", "ID", (long)id, "SKIPME", "no").ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is RedisException || ex is InvalidCastException)
            {
                // The user it fell back to may not kill connections; reads stay refused meanwhile.
            }

            throw guard.Refusal();
        }

        private static string? UserOfRefusal(string message)
        {
            const string Start = "NOPERM User ";
            if (!message.StartsWith(Start, StringComparison.Ordinal)) return null;
            var end = message.IndexOf(' ', Start.Length);
            return end < 0 ? null : message.Substring(Start.Length, end - Start.Length);
        }


        public const int Unverified = 0;
        public const int Verified = 1;
        public const int Refused = 2;
        private volatile int _state;

        public ConnectionGuard(bool hasCredentials, string? expectedUser, string endpoints, ConfigurationOptions options, ServerCertificateCheck? certificate)
        {
            HasCredentials = hasCredentials;
            ExpectedUser = expectedUser;
            Endpoints = endpoints;
            Options = options;
            Certificate = certificate;
        }

        /// <summary>Whether the connection logs in (a user or only a password), so that a separate login can explain a failure.</summary>
        public bool HasCredentials { get; }

        /// <summary>The TLS certificate check of the connection; null without TLS.</summary>
        public ServerCertificateCheck? Certificate { get; }

        public MonarchLogsException? CertificateRefusal() =>
            Certificate?.Rejection is { } reason ? CertificateRefusal(Endpoints, reason) : null;

        /// <summary>The ACL user logged in as; null when only a password or none is given (the default user).</summary>
        public string? ExpectedUser { get; }

        /// <summary>The options the connection was made with, for a separate login that explains a failure.</summary>
        public ConfigurationOptions Options { get; }

        public string Endpoints { get; }

        public int State
        {
            get => _state;
            set => _state = value;
        }

        // The password is never part of it: only the server and the user name.
        public MonarchLogsException Refusal() =>
            new MonarchLogsException(StoreErrors.AuthenticationFailed, MonarchErrorKind.PermissionDenied,
                ExpectedUser is null
                    ? $"Valkey at {Endpoints} refused the password."
                    : $"Valkey at {Endpoints} refused the user name or password (user '{ExpectedUser}').");
    }
}
