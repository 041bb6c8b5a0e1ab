using System;
using System.IO;
using System.Net.Sockets;
using StackExchange.Redis;

namespace MonarchLogs.Core
{
    /// <summary>
    /// The one classification of store failures. Every layer (the provider's writer, the
    /// cmdlets, the web viewer) passes what it caught through <see cref="Classify"/> and acts on
    /// the result: one set of error ids, one answer to "retry or set aside".
    /// <list type="bullet">
    /// <item>Transient (<see cref="MonarchLogsException.IsTransient"/>): the connection is lost or
    /// slow, the server is loading, busy, out of memory, read-only after a failover, or a cluster
    /// slot is moving. Retried with backoff, up to a time limit.</item>
    /// <item>Permanent: a key of another type (WRONGTYPE), an ACL that refuses the user (NOPERM,
    /// WRONGPASS), a store of another format version, a store to upgrade before it is written
    /// (<see cref="NeedsUpgrade"/>). Never retried blindly;
    /// it costs the partition or the entry it concerns, never the others.</item>
    /// </list>
    /// </summary>
    public static class StoreErrors
    {
        /// <summary>Valkey cannot be reached (connection refused or lost). Transient.</summary>
        public const string Unreachable = "ValkeyUnreachable";
        /// <summary>Valkey did not answer in time. Transient.</summary>
        public const string Timeout = "ValkeyTimeout";
        /// <summary>Valkey answers but cannot serve now: loading, busy, read-only after a failover, out of memory. Transient.</summary>
        public const string Unavailable = "ValkeyUnavailable";
        /// <summary>
        /// Valkey's TLS certificate was refused: not signed by the trusted CA, not naming the host,
        /// expired. Transient: the writer keeps the entries and retries (a certificate being
        /// replaced), up to its time limit; the cmdlets and the viewer report it.
        /// </summary>
        public const string CertificateRejected = "ValkeyCertificateRejected";
        /// <summary>Valkey refused the user or the password.</summary>
        public const string AuthenticationFailed = "ValkeyAuthenticationFailed";
        /// <summary>Valkey's ACL does not let the user run a command or touch a key (NOPERM).</summary>
        public const string PermissionDenied = "ValkeyPermissionDenied";
        /// <summary>A key of the store holds another type than the format says (WRONGTYPE).</summary>
        public const string WrongType = "PartitionWrongType";
        /// <summary>The store is marked with another storage format version.</summary>
        public const string UnsupportedFormat = "UnsupportedStorageFormat";
        /// <summary>
        /// A writer met a store of storage format 1 (or one whose format it cannot tell and may
        /// not mark): this version writes format 2 only, and <c>Update-MonarchLogStore</c>
        /// upgrades the store. Permanent for a command, which fails at once; the logging provider
        /// keeps its entries and tries again, as in an outage, since the upgrade ends it.
        /// </summary>
        public const string NeedsUpgrade = "StoreNeedsUpgrade";
        /// <summary>Valkey refused a command for another reason; the message has its answer.</summary>
        public const string CommandFailed = "ValkeyCommandFailed";

        /// <summary>A registry entry that names no partition of this store (junk, a foreign key, a value that does not match its key).</summary>
        public const string InvalidRegistryEntry = "InvalidRegistryEntry";

        /// <summary>
        /// The failure as a <see cref="MonarchLogsException"/> with its stable id, kind and
        /// whether a retry may help. <paramref name="target"/> (a key, a partition) is named in
        /// the message when given. An exception that already is one is returned as it is.
        /// </summary>
        public static MonarchLogsException Classify(Exception ex, string? target = null)
        {
            if (ex is MonarchLogsException monarch) return monarch;
            if (ex is AggregateException { InnerExceptions.Count: 1 } aggregate) return Classify(aggregate.InnerExceptions[0], target);
            var on = target is null ? string.Empty : $" ({target})";
            var first = FirstLine(ex.Message);
            switch (ex)
            {
                case RedisConnectionException connection when connection.FailureType == ConnectionFailureType.AuthenticationFailure || IsAuthenticationError(first):
                    return new MonarchLogsException(AuthenticationFailed, MonarchErrorKind.PermissionDenied, "Valkey refused the user name or password" + on + ".", ex);
                case RedisConnectionException:
                case IOException:
                case SocketException:
                case ObjectDisposedException:
                    return new MonarchLogsException(Unreachable, MonarchErrorKind.ConnectionError, "Lost the connection to Valkey" + on + ": " + first, ex, transient: true);
                case RedisTimeoutException:
                case TimeoutException:
                    return new MonarchLogsException(Timeout, MonarchErrorKind.OperationTimeout, "Valkey did not answer in time" + on + ": " + first, ex, transient: true);
                case RedisServerException:
                    return ClassifyServerReply(first, target, ex);
                default:
                    return new MonarchLogsException(CommandFailed, MonarchErrorKind.InvalidData, "The store failed" + on + ": " + ex.GetType().Name + ": " + first, ex);
            }
        }

        /// <summary>
        /// Whether a failure is one of the store or of its connection (rather than a bug), the
        /// kind a host reports as an error with its id instead of a crash.
        /// </summary>
        public static bool IsStoreFailure(Exception ex) => ex is MonarchLogsException || ex is RedisException;

        /// <summary>
        /// Whether a failure is the connection lost or timing out, after which every further
        /// command on it would fail the same way.
        /// </summary>
        public static bool IsConnectionFailure(Exception ex) =>
            ex is RedisConnectionException || ex is RedisTimeoutException
            || (ex is MonarchLogsException monarch && monarch.Kind == MonarchErrorKind.ConnectionError);

        /// <summary>Classifies the text of a server error reply (<c>WRONGTYPE ...</c>, <c>NOPERM ...</c>).</summary>
        public static MonarchLogsException ClassifyServerReply(string reply, string? target = null, Exception? inner = null)
        {
            var on = target is null ? string.Empty : $" ({target})";
            var first = FirstLine(reply);
            var code = ErrorCode(first);
            switch (code)
            {
                case "WRONGTYPE":
                    return new MonarchLogsException(WrongType, MonarchErrorKind.InvalidData, $"A key of another type is where the store expects a stream or its registry{on}: {first}", inner);
                case "NOPERM":
                    return new MonarchLogsException(PermissionDenied, MonarchErrorKind.PermissionDenied, $"Valkey refused the command for this user{on}: {first}", inner);
                case "WRONGPASS":
                case "NOAUTH":
                    return new MonarchLogsException(AuthenticationFailed, MonarchErrorKind.PermissionDenied, $"Valkey refused the user name or password{on}.", inner);
                case "LOADING":
                case "BUSY":
                case "TRYAGAIN":
                case "CLUSTERDOWN":
                case "MASTERDOWN":
                case "READONLY":
                case "MOVED":
                case "ASK":
                case "OOM":
                case "NOREPLICAS":
                case "UNBLOCKED":
                    return new MonarchLogsException(Unavailable, MonarchErrorKind.ConnectionError, $"Valkey cannot take the command now{on}: {first}", inner, transient: true);
                default:
                    return new MonarchLogsException(CommandFailed, MonarchErrorKind.InvalidData, $"Valkey refused a command{on}: {first}", inner);
            }
        }

        /// <summary>The error code of a reply: its first word, as Valkey sends it (<c>WRONGTYPE</c>, <c>ERR</c>).</summary>
        public static string ErrorCode(string reply)
        {
            var end = reply.IndexOf(' ');
            return end < 0 ? reply : reply.Substring(0, end);
        }

        internal static bool IsAuthenticationError(string? text) =>
            text is not null && (text.IndexOf("WRONGPASS", StringComparison.Ordinal) >= 0 || text.IndexOf("NOAUTH", StringComparison.Ordinal) >= 0
                || text.IndexOf("AuthenticationFailure", StringComparison.Ordinal) >= 0);

        internal static string FirstLine(string text)
        {
            var end = text.IndexOfAny(new[] { '\r', '\n' });
            return end < 0 ? text : text.Substring(0, end);
        }
    }
}
