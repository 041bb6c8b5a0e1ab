using System;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;
using MonarchLogs.Core.Connection;
using MonarchLogs.Core.Format;
using StackExchange.Redis;

namespace MonarchLogs.Core.Append
{
    /// <summary>
    /// What an appender must know of the store before it writes: the format version (marking a new
    /// store version 2) and whether its user may write the counts. Read before the first write,
    /// again after every reconnect (another server: a failover, a restore) and at least every
    /// <see cref="RecheckEvery"/>; a store found at version 1 (waiting for its upgrade) is read
    /// again at every attempt.
    /// </summary>
    internal sealed class FormatCheck
    {
        /// <summary>How long a version read stays trusted without a reconnect.</summary>
        public static readonly TimeSpan RecheckEvery = TimeSpan.FromSeconds(10);

        private readonly StorageFormat _format;
        private readonly Reconnects _reconnects;
        private readonly Stopwatch _sinceCheck = new Stopwatch();

        /// <summary>The connection's <see cref="Reconnects.Count"/> when the format was last checked; -1 before the first check.</summary>
        private long _checkedAt = -1;
        private volatile int _version;
        private volatile bool _unmarked;
        private volatile bool _keepsCounts = true;

        public FormatCheck(IConnectionMultiplexer connection, StorageFormat format)
        {
            _format = format;
            _reconnects = Reconnects.Of(connection);
        }

        /// <summary>The version last read: 1 or 2; 0 before the first check.</summary>
        public int Version => _version;

        /// <summary>Whether this connection's user may write the counts hashes (see <see cref="MayWriteCountsAsync"/>).</summary>
        public bool KeepsCounts => _keepsCounts;

        /// <summary>
        /// Before an appender sends: nothing is written as another user than the one configured (a
        /// refused password that fell back to an open default user), nor while a refused
        /// certificate keeps the connection down, nor into a store of another version than 2.
        /// </summary>
        /// <exception cref="MonarchLogsException">
        /// <c>StoreNeedsUpgrade</c>: the store is version 1, or has no format key that this user may set;
        /// <c>UnsupportedStorageFormat</c>: the store has a version above 2.
        /// </exception>
        public async Task EnsureWritesAsync(IConnectionMultiplexer connection, IDatabase db, CancellationToken cancellationToken)
        {
            await StoreConnection.EnsureVerifiedAsync(connection, cancellationToken).ConfigureAwait(false);
            var version = await EnsureAsync(db, cancellationToken).ConfigureAwait(false);
            if (version != 2) throw _unmarked ? _format.CannotMark() : _format.NeedsUpgrade();
        }

        /// <summary>The store's version (1 or 2), read again when a reconnect happened, the last read is old, or it was 1.</summary>
        /// <exception cref="MonarchLogsException"><c>UnsupportedStorageFormat</c>: the store has another version.</exception>
        public async Task<int> EnsureAsync(IDatabase db, CancellationToken cancellationToken)
        {
            // Read before the check: a reconnect while it runs makes the next append check again.
            var reconnects = _reconnects.Count;
            // Only version 2 is trusted for a while: a store of version 1 is read again at the next
            // attempt, so a writer that waits for its upgrade writes as soon as it is marked 2.
            lock (_sinceCheck)
            {
                if (_version == 2 && Interlocked.Read(ref _checkedAt) == reconnects && _sinceCheck.Elapsed < RecheckEvery) return _version;
            }

            var version = await db.StringGetAsync(_format.FormatKey).WithCancellation(cancellationToken).ConfigureAwait(false);
            var unmarked = false;
            if (version.IsNull) (version, unmarked) = await MarkNewStoreAsync(db, cancellationToken).ConfigureAwait(false);
            var read = _format.ReadVersion(version.IsNull ? null : version.ToString());
            _keepsCounts = await MayWriteCountsAsync(db, cancellationToken).ConfigureAwait(false);
            _unmarked = unmarked;
            _version = read;
            lock (_sinceCheck)
            {
                Interlocked.Exchange(ref _checkedAt, reconnects);
                _sinceCheck.Restart();
            }

            return read;
        }

        /// <summary>
        /// A store without a format key: one an older version wrote (it has a registry) stays
        /// unmarked, which is version 1; a new one is marked version 2 (<c>SET NX</c>: a writer that
        /// marks it at the same moment wins, and its version is read). A user of an older role may
        /// not ask whether the registry exists (<c>EXISTS</c>): it marks as writers did before.
        /// A user that may not set the key (docs/operations.md) leaves it unset and is refused.
        /// </summary>
        private async Task<(RedisValue Version, bool Unmarked)> MarkNewStoreAsync(IDatabase db, CancellationToken cancellationToken)
        {
            try
            {
                if (await db.KeyExistsAsync(_format.PartitionsKey).WithCancellation(cancellationToken).ConfigureAwait(false)) return (RedisValue.Null, false);
            }
            catch (RedisServerException ex) when (ex.Message.StartsWith("NOPERM", StringComparison.Ordinal))
            {
            }

            try
            {
                var previous = await db.ExecuteAsync("SET", _format.FormatKey, StorageFormat.Version2, "NX", "GET").WithCancellation(cancellationToken).ConfigureAwait(false);
                return (previous.IsNull ? (RedisValue)StorageFormat.Version2 : (RedisValue)previous, false);
            }
            catch (RedisServerException ex) when (ex.Message.StartsWith("NOPERM", StringComparison.Ordinal))
            {
                return (RedisValue.Null, true);
            }
        }

        /// <summary>
        /// Whether this connection's user may write the counts hashes. A user of an older role
        /// (docs/operations.md) may write the streams only: it then appends without counting, and
        /// the statistics count those partitions by reading them, so nothing is stored less and no
        /// figure is wrong. Asked with a script that declares a counts key (Valkey checks a script's
        /// keys against the ACL before it runs) and asks the ACL about HINCRBY without running it.
        /// </summary>
        private async Task<bool> MayWriteCountsAsync(IDatabase db, CancellationToken cancellationToken)
        {
            try
            {
                var probe = _format.CountsKeyOf(_format.Prefix + ":stream:probe:information");
                var allowed = await db.ScriptEvaluateAsync("return redis.acl_check_cmd('hincrby', KEYS[1], 'probe', '1') and 1 or 0", new RedisKey[] { probe }, flags: CommandFlags.NoScriptCache)
                    .WithCancellation(cancellationToken).ConfigureAwait(false);
                return (long)allowed == 1;
            }
            catch (RedisServerException ex) when (ex.Message.StartsWith("NOPERM", StringComparison.Ordinal))
            {
                return false;
            }
        }
    }
}
