using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using MonarchLogs.Core.Connection;
using MonarchLogs.Core.Format;
using StackExchange.Redis;

namespace MonarchLogs.Core.Query
{
    /// <summary>
    /// What every reader of a store (a query, a live tail) needs: its connection and format, the
    /// check that the store is readable, and the registry of its partitions. The store engine's
    /// façade hands one to each reader, so readers never depend on the façade.
    /// </summary>
    internal sealed class StoreReader
    {
        /// <summary>How long a format read stays good: a reader that lives long (the viewer) follows an upgrade of its store within this time.</summary>
        internal TimeSpan FormatRecheck { get; set; } = TimeSpan.FromSeconds(10);

        // When the format was last read (Stopwatch timestamp); 0: not yet, or forgotten.
        private long _formatCheckedAt;

        public StoreReader(IConnectionMultiplexer connection, StorageFormat format)
        {
            Connection = connection;
            Format = format;
        }

        public IConnectionMultiplexer Connection { get; }

        public StorageFormat Format { get; }

        public IDatabase Database => Connection.GetDatabase();

        /// <summary>The store's format version (1 or 2), as <see cref="EnsureReadableAsync"/> last read it.</summary>
        public int Version { get; private set; } = 1;

        /// <summary>Whether the store is a Valkey Cluster: a command may then name keys of one slot only.</summary>
        public bool IsCluster => Connection.GetEndPoints().Any(endpoint => Connection.GetServer(endpoint).ServerType == ServerType.Cluster);

        /// <summary>
        /// Before any read: the connection runs as the ACL user it logged in as, is not down for a
        /// refused certificate (see <see cref="StoreConnection.EnsureVerifiedAsync"/>), and the
        /// store has a format this version reads.
        /// </summary>
        public async Task EnsureReadableAsync(CancellationToken cancellationToken)
        {
            await StoreConnection.EnsureVerifiedAsync(Connection, cancellationToken).ConfigureAwait(false);
            // While the connection is down, the format is read again: its failure says why (see below).
            var checkedAt = Interlocked.Read(ref _formatCheckedAt);
            if (checkedAt != 0 && Connection.IsConnected && Stopwatch.GetTimestamp() - checkedAt < FormatRecheck.TotalSeconds * Stopwatch.Frequency) return;
            RedisValue version;
            try
            {
                version = await Database.StringGetAsync(Format.FormatKey).WithCancellation(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is RedisConnectionException || ex is RedisTimeoutException)
            {
                // No connection: refused credentials or a refused certificate are told apart from a server that is down.
                var explained = await StoreConnection.ExplainFailureAsync(Connection, ex, cancellationToken).ConfigureAwait(false);
                if (ReferenceEquals(explained, ex)) throw;
                throw explained;
            }

            Version = Format.ReadVersion(version.IsNull ? null : version.ToString());
            if (!version.IsNull) Interlocked.Exchange(ref _formatCheckedAt, Stopwatch.GetTimestamp());
        }

        /// <summary>Makes the next read check the store's format again: this process changed it (an upgrade).</summary>
        public void ForgetFormat() => Interlocked.Exchange(ref _formatCheckedAt, 0);

        /// <summary>The registered partitions, from the registry hash (never KEYS or SCAN); junk entries are reported, not fatal.</summary>
        public async Task<IReadOnlyList<Partition>> GetPartitionsAsync(Action<PartitionError>? partitionError, CancellationToken cancellationToken)
        {
            await EnsureReadableAsync(cancellationToken).ConfigureAwait(false);
            HashEntry[] entries;
            try
            {
                entries = await Database.HashGetAllAsync(Format.PartitionsKey).WithCancellation(cancellationToken).ConfigureAwait(false);
            }
            catch (RedisServerException ex)
            {
                // The registry itself cannot be read: no partition can be found, so the read ends.
                throw StoreErrors.Classify(ex, (string?)Format.PartitionsKey);
            }

            var partitions = new List<Partition>(entries.Length);
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var entry in entries)
            {
                var partition = Format.ParseRegistryEntry(entry, out var problem);
                if (partition is null)
                {
                    var field = (string?)entry.Name ?? string.Empty;
                    partitionError?.Invoke(new PartitionError(field, null, new MonarchLogsException(StoreErrors.InvalidRegistryEntry, MonarchErrorKind.InvalidData,
                        $"The registry {Format.PartitionsKey} holds an entry that names no partition of this store, so it is not read: {problem}.")));
                    continue;
                }

                if (seen.Add(partition.StreamKey)) partitions.Add(partition);
            }

            partitions.Sort((a, b) => string.CompareOrdinal(a.OrderKey, b.OrderKey));
            return partitions;
        }
    }
}
