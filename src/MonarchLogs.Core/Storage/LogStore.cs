using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using System.Threading;
using System.Threading.Tasks;
using MonarchLogs.Core.Append;
using MonarchLogs.Core.Query;
using MonarchLogs.Core.Retention;
using MonarchLogs.Core.Tail;
using StackExchange.Redis;

namespace MonarchLogs.Core.Storage
{
    /// <summary>
    /// The store engine: every read and write of the log store goes through here and through
    /// <see cref="StorageFormat"/>. It takes plain arguments and a CancellationToken, and shares
    /// the caller's one <see cref="IConnectionMultiplexer"/>.
    /// </summary>
    public sealed class LogStore
    {
        private int _formatChecked;
        private StoreAppender? _appender;

        public LogStore(IConnectionMultiplexer connection, StorageFormat? format = null)
        {
            Connection = connection ?? throw new ArgumentNullException(nameof(connection));
            Format = format ?? new StorageFormat();
        }

        public IConnectionMultiplexer Connection { get; }

        public StorageFormat Format { get; }

        internal IDatabase Database => Connection.GetDatabase();

        /// <summary>Whether the store is a Valkey Cluster: a command may then name keys of one slot only.</summary>
        internal bool IsCluster => Connection.GetEndPoints().Any(endpoint => Connection.GetServer(endpoint).ServerType == ServerType.Cluster);

        /// <summary>
        /// Appends entries (for scripts, tools and tests; the logging provider drives an
        /// <see cref="ILogAppender"/> itself). Returns the number stored; throws the first
        /// partition's failure, after the other partitions were written.
        /// </summary>
        public async Task<int> AppendAsync(IReadOnlyList<MonarchLogEntry> entries, CancellationToken cancellationToken = default)
        {
            var batch = new AppendBatch(entries);
            var result = await Appender.AppendAsync(batch, cancellationToken).ConfigureAwait(false);
            if (result.Failures.Count > 0) throw result.Failures[0].Error;
            return result.Stored;
        }

        /// <summary>The append path over this store's connection (StackExchange.Redis).</summary>
        public ILogAppender Appender => _appender ??= new StoreAppender(Connection, Format);

        /// <summary>The registered partitions, from the registry hash (never KEYS or SCAN).</summary>
        public async Task<IReadOnlyList<Partition>> GetPartitionsAsync(CancellationToken cancellationToken = default)
        {
            await EnsureFormatAsync(cancellationToken).ConfigureAwait(false);
            var entries = await Database.HashGetAllAsync(Format.PartitionsKey).WithCancellation(cancellationToken).ConfigureAwait(false);
            var partitions = new List<Partition>(entries.Length);
            foreach (var entry in entries)
            {
                var partition = Format.ParseRegistryEntry(entry);
                if (partition is not null) partitions.Add(partition);
            }

            partitions.Sort((a, b) => string.CompareOrdinal(a.OrderKey, b.OrderKey));
            return partitions;
        }

        /// <summary>The services that have entries registered, sorted.</summary>
        public async Task<IReadOnlyList<string>> GetServicesAsync(CancellationToken cancellationToken = default)
        {
            var partitions = await GetPartitionsAsync(cancellationToken).ConfigureAwait(false);
            return partitions.Select(p => p.Service).Distinct(StringComparer.Ordinal).OrderBy(s => s, StringComparer.OrdinalIgnoreCase).ToList();
        }

        /// <summary>The levels that have entries registered, in severity order.</summary>
        public async Task<IReadOnlyList<MonarchLogLevel>> GetLevelsAsync(CancellationToken cancellationToken = default)
        {
            var partitions = await GetPartitionsAsync(cancellationToken).ConfigureAwait(false);
            return partitions.Select(p => p.Level).Distinct().OrderBy(l => l).ToList();
        }

        /// <summary>
        /// Reads matching entries lazily, merged across partitions in store order, a page at a
        /// time: memory stays flat whatever the result size, and the caller may stop at any time.
        /// </summary>
        public async IAsyncEnumerable<MonarchLogEntry> QueryAsync(LogQuery query, [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            var filter = new LogFilter(query);
            var partitions = (await GetPartitionsAsync(cancellationToken).ConfigureAwait(false)).Where(filter.Includes).ToList();
            var reader = new MergedReader(Database, partitions, filter);
            await foreach (var entry in reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                yield return entry;
            }
        }

        /// <summary>Starts a live tail of the entries that match, written from now on.</summary>
        public Task<LogTail> OpenTailAsync(LogQuery query, CancellationToken cancellationToken = default) =>
            LogTail.OpenAsync(this, new LogFilter(query), cancellationToken);

        /// <summary>What removing the entries older than the cutoff from one partition would do; removes nothing.</summary>
        public Task<RetentionPreview> PreviewExpiredAsync(Partition partition, DateTime cutoffUtc, CancellationToken cancellationToken = default) =>
            RetentionTrimmer.PreviewAsync(Database, partition, cutoffUtc, cancellationToken);

        /// <summary>Removes the entries older than the cutoff from one partition, in bounded steps.</summary>
        public Task<RetentionResult> RemoveExpiredAsync(Partition partition, DateTime cutoffUtc, CancellationToken cancellationToken = default) =>
            RetentionTrimmer.TrimAsync(Database, partition, cutoffUtc, cancellationToken);

        /// <summary>
        /// The health of the store and its server, with the warnings an operator should act on;
        /// entries older than the retention period (and a day's slack) count as retention not running.
        /// </summary>
        public Task<StoreStatus> GetStatusAsync(TimeSpan retentionPeriod, CancellationToken cancellationToken = default) =>
            StoreStatusReader.ReadAsync(this, retentionPeriod, cancellationToken);

        internal async Task EnsureFormatAsync(CancellationToken cancellationToken)
        {
            if (Volatile.Read(ref _formatChecked) == 1) return;
            var version = await Database.StringGetAsync(Format.FormatKey).WithCancellation(cancellationToken).ConfigureAwait(false);
            Format.CheckVersion(version.IsNull ? null : version.ToString());
            if (!version.IsNull) Volatile.Write(ref _formatChecked, 1);
        }
    }
}
