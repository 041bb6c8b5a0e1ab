using MonarchLogs.Core.Format;
using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using System.Threading;
using System.Threading.Tasks;
using MonarchLogs.Core.Append;
using MonarchLogs.Core.Archive;
using MonarchLogs.Core.Connection;
using MonarchLogs.Core.Query;
using MonarchLogs.Core.Retention;
using MonarchLogs.Core.Tail;
using MonarchLogs.Core.Upgrade;
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
        private readonly Lazy<ILogAppender> _appender;

        /// <summary>The store under <paramref name="format"/>'s prefix, over the caller's shared connection.</summary>
        /// <param name="connection">The one multiplexer of the process; the store never disposes of it.</param>
        /// <param name="format">The storage format; the default prefix when null.</param>
        public LogStore(IConnectionMultiplexer connection, StorageFormat? format = null)
        {
            Connection = connection ?? throw new ArgumentNullException(nameof(connection));
            Format = format ?? new StorageFormat();
            Reader = new StoreReader(Connection, Format);

            // One appender, made once even when callers ask at the same moment: two would be two
            // send orders, and a partition's entries could reach the server out of order.
            _appender = new Lazy<ILogAppender>(() => new VersionedAppender(Connection, Format), LazyThreadSafetyMode.ExecutionAndPublication);
        }

        /// <summary>A store that writes through <paramref name="appender"/>, which other stores of the same connection and prefix share (tests: a writer of format 1).</summary>
        internal LogStore(IConnectionMultiplexer connection, StorageFormat format, ILogAppender appender)
            : this(connection, format)
        {
            _appender = new Lazy<ILogAppender>(() => appender);
        }

        /// <summary>The shared connection the store reads and writes through.</summary>
        public IConnectionMultiplexer Connection { get; }

        /// <summary>The storage format: key names, fields and version.</summary>
        public StorageFormat Format { get; }

        internal IDatabase Database => Connection.GetDatabase();

        /// <summary>Whether the store is a Valkey Cluster: a command may then name keys of one slot only.</summary>
        internal bool IsCluster => Reader.IsCluster;

        /// <summary>What the readers (queries, tails) need of the store.</summary>
        internal StoreReader Reader { get; }

        /// <summary>
        /// Appends entries (for scripts, tools and tests; the logging provider drives an
        /// <see cref="ILogAppender"/> itself). Returns the number stored; throws the first
        /// partition's failure, after the other partitions were written. A registry that could not
        /// be written is not an error here (the entries are stored, and the next append registers
        /// the partition again): <see cref="Appender"/>'s result says so (<c>RegistryFailure</c>).
        /// </summary>
        public async Task<int> AppendAsync(IReadOnlyList<MonarchLogEntry> entries, CancellationToken cancellationToken = default)
        {
            var batch = new AppendBatch(entries);
            var result = await Appender.AppendAsync(batch, cancellationToken).ConfigureAwait(false);
            if (result.Failures.Count > 0) throw result.Failures[0].Error;
            return result.Stored;
        }

        /// <summary>The append path over this store's connection (StackExchange.Redis): blocks of format 2 (a store of version 1 is refused: <c>StoreNeedsUpgrade</c>); one per store, whoever asks.</summary>
        public ILogAppender Appender => _appender.Value;

        /// <summary>
        /// Compacts the head of a format 2 partition now, whatever its age (retention does before
        /// it trims; tests do): its blocks become blocks of the stream. Answers the blocks added;
        /// 0 when the head is empty or another writer compacted it first.
        /// </summary>
        internal Task<int> CompactHeadAsync(Partition partition, CancellationToken cancellationToken = default) =>
            new HeadCompactor(Connection, new WriterIdentity(), null).CompactAsync(partition, force: true, cancellationToken);

        /// <summary>The registered partitions, from the registry hash (never KEYS or SCAN); bad registry entries are left out.</summary>
        public Task<IReadOnlyList<Partition>> GetPartitionsAsync(CancellationToken cancellationToken = default) =>
            GetPartitionsAsync(partitionError: null, cancellationToken);

        /// <summary>
        /// The registered partitions, from the registry hash (never KEYS or SCAN). A registry entry
        /// that names no partition of this store is reported to <paramref name="partitionError"/>
        /// as <c>InvalidRegistryEntry</c> and left out; it never fails the call.
        /// </summary>
        public Task<IReadOnlyList<Partition>> GetPartitionsAsync(Action<PartitionError>? partitionError, CancellationToken cancellationToken = default) =>
            Reader.GetPartitionsAsync(partitionError, cancellationToken);

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
        /// A partition that cannot be read is left out without a report; use the overload with a
        /// <see cref="PartitionError"/> callback to hear of it.
        /// </summary>
        public IAsyncEnumerable<MonarchLogEntry> QueryAsync(LogQuery query, CancellationToken cancellationToken = default) =>
            QueryAsync(query, partitionError: null, cancellationToken);

        /// <summary>
        /// Reads matching entries lazily, merged across partitions in store order. A partition that
        /// cannot be read (a key of another type, a key the ACL user may not read) and a bad registry
        /// entry are each reported once to <paramref name="partitionError"/>, on whatever thread
        /// the read runs, and the read goes on with the other partitions. A lost connection or a
        /// timeout still ends the read with an exception.
        /// </summary>
        public async IAsyncEnumerable<MonarchLogEntry> QueryAsync(LogQuery query, Action<PartitionError>? partitionError, [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            var reader = await OpenReaderAsync(query, partitionError, cancellationToken).ConfigureAwait(false);
            await foreach (var entry in reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                yield return entry;
            }
        }

        /// <summary>Reads as <see cref="QueryAsync(LogQuery, Action{PartitionError}?, CancellationToken)"/> does, handing on blocks' payload lines undecoded where the filter allows.</summary>
        internal async IAsyncEnumerable<StoredEntry> ReadStoredAsync(LogQuery query, Action<PartitionError>? partitionError, [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            var reader = await OpenReaderAsync(query, partitionError, cancellationToken).ConfigureAwait(false);
            await foreach (var entry in reader.ReadStoredAsync(cancellationToken).ConfigureAwait(false))
            {
                yield return entry;
            }
        }

        private async Task<MergedReader> OpenReaderAsync(LogQuery query, Action<PartitionError>? partitionError, CancellationToken cancellationToken)
        {
            var filter = new LogFilter(query);
            var partitions = (await GetPartitionsAsync(partitionError, cancellationToken).ConfigureAwait(false)).Where(filter.Includes).ToList();
            return new MergedReader(Database, partitions, filter, partitionError, Reader.Version);
        }

        /// <summary>Starts a live tail of the entries that match, written from now on; partitions that cannot be read are left out.</summary>
        public Task<LogTail> OpenTailAsync(LogQuery query, CancellationToken cancellationToken = default) =>
            OpenTailAsync(query, partitionError: null, cancellationToken);

        /// <summary>
        /// Starts a live tail of the entries that match, written from now on. A partition that cannot
        /// be read is reported to <paramref name="partitionError"/> once (on whatever thread the tail
        /// reads) and set aside; the tail goes on with the others and tries it again at each
        /// registry refresh.
        /// </summary>
        public Task<LogTail> OpenTailAsync(LogQuery query, Action<PartitionError>? partitionError, CancellationToken cancellationToken = default) =>
            LogTail.OpenAsync(Reader, new LogFilter(query), partitionError, cancellationToken);

        /// <summary>What removing the entries older than the cutoff from one partition would do; removes nothing.</summary>
        public async Task<RetentionPreview> PreviewExpiredAsync(Partition partition, DateTime cutoffUtc, CancellationToken cancellationToken = default) =>
            await IsBlockStoreAsync(cancellationToken).ConfigureAwait(false)
                ? await BlockRetention.PreviewAsync(Database, partition, cutoffUtc, cancellationToken).ConfigureAwait(false)
                : await RetentionTrimmer.PreviewAsync(Database, partition, cutoffUtc, cancellationToken).ConfigureAwait(false);

        /// <summary>
        /// Removes the entries older than the cutoff from one partition, in bounded steps. In a
        /// format 2 store whole blocks go, those whose entries are all older than the cutoff: the
        /// entries of a block that spans the cutoff stay (and are read) until the whole block expires.
        /// </summary>
        public async Task<RetentionResult> RemoveExpiredAsync(Partition partition, DateTime cutoffUtc, CancellationToken cancellationToken = default) =>
            await IsBlockStoreAsync(cancellationToken).ConfigureAwait(false)
                ? await BlockRetention.RemoveAsync(Database, partition, cutoffUtc, cancellationToken).ConfigureAwait(false)
                : await RetentionTrimmer.TrimAsync(Database, partition, cutoffUtc, cancellationToken).ConfigureAwait(false);

        /// <summary>
        /// Archives the entries of one partition older than the cutoff into <paramref name="folder"/>,
        /// one gzip JSON Lines file per UTC day, checks each file by reading it back, then removes
        /// exactly the entries archived (up to the last archived Id, never beyond). A file that
        /// cannot be written or fails its check stops the archive at its day: the result's
        /// <see cref="RetentionArchiveResult.Failure"/> says why, and nothing from that day on is removed.
        /// In a format 2 store the days are those of the entries' event times, and the blocks removed
        /// are exactly those archived whole (a block that spans the failed day stays).
        /// </summary>
        public async Task<RetentionArchiveResult> ArchiveExpiredAsync(Partition partition, DateTime cutoffUtc, string folder, CancellationToken cancellationToken = default) =>
            await IsBlockStoreAsync(cancellationToken).ConfigureAwait(false)
                ? await BlockRetentionArchiver.ArchiveAndTrimAsync(Database, Format, partition, cutoffUtc, folder, cancellationToken).ConfigureAwait(false)
                : await RetentionArchiver.ArchiveAndTrimAsync(Database, Format, partition, cutoffUtc, folder, cancellationToken).ConfigureAwait(false);

        /// <summary>Whether the store is of format 2 (blocks), read from its format key.</summary>
        private async Task<bool> IsBlockStoreAsync(CancellationToken cancellationToken)
        {
            await EnsureFormatAsync(cancellationToken).ConfigureAwait(false);
            return Reader.Version == 2;
        }

        /// <summary>
        /// The health of the store and its server, with the warnings an operator should act on;
        /// entries older than the retention period (and a day's slack) count as retention not running.
        /// </summary>
        public Task<StoreStatus> GetStatusAsync(TimeSpan retentionPeriod, CancellationToken cancellationToken = default) =>
            StoreStatusReader.ReadAsync(this, retentionPeriod, levelRetention: null, partitionError: null, cancellationToken);

        /// <summary>
        /// The health of the store, as above. A partition that cannot be read, or a bad registry
        /// entry, is reported to <paramref name="partitionError"/>, named in the status's
        /// <see cref="StoreStatus.Warnings"/> and left out of its counts.
        /// </summary>
        public Task<StoreStatus> GetStatusAsync(TimeSpan retentionPeriod, Action<PartitionError>? partitionError, CancellationToken cancellationToken = default) =>
            StoreStatusReader.ReadAsync(this, retentionPeriod, levelRetention: null, partitionError, cancellationToken);

        /// <summary>
        /// The health of the store, as above, where some levels keep a retention period of their
        /// own (<paramref name="levelRetention"/>): each partition's oldest entry is checked against its level's period.
        /// </summary>
        public Task<StoreStatus> GetStatusAsync(TimeSpan retentionPeriod, IReadOnlyDictionary<MonarchLogLevel, TimeSpan>? levelRetention, Action<PartitionError>? partitionError, CancellationToken cancellationToken = default) =>
            StoreStatusReader.ReadAsync(this, retentionPeriod, levelRetention, partitionError, cancellationToken);

        /// <summary>
        /// The entry <paramref name="id"/> with up to <paramref name="count"/> entries before and
        /// after it, across services and levels (narrowed by <paramref name="query"/> when given).
        /// A bad Id is <c>InvalidCursor</c>; an entry the store no longer holds comes back null,
        /// with what was around it.
        /// </summary>
        public Task<EntryContext> GetContextAsync(string id, int count, LogQuery? query = null, Action<PartitionError>? partitionError = null, CancellationToken cancellationToken = default) =>
            EntryContext.ReadAsync(q => QueryAsync(q, partitionError, cancellationToken), id, count, query, cancellationToken);

        /// <summary>
        /// Counts the entries of the partitions and time range of <paramref name="query"/> per
        /// partition and per <paramref name="interval"/> (one bucket when null), from the counts the
        /// writers keep, without reading the entries (see <see cref="Statistics.LogCounter"/>).
        /// Filters on an entry's content cannot be counted this way and are refused
        /// (<c>InvalidStatisticsFilter</c>): query and count those entries instead.
        /// </summary>
        public Task<Statistics.LogCounts> CountAsync(LogQuery query, TimeSpan? interval, Action<PartitionError>? partitionError = null, CancellationToken cancellationToken = default) =>
            CountAsync(query, (_, _) => interval, partitionError, cancellationToken);

        /// <summary>
        /// Counts as above, with the bucket length chosen once the range is known:
        /// <paramref name="intervalFor"/> gets [since, until), where an open end of the query is
        /// the oldest or newest entry.
        /// </summary>
        public Task<Statistics.LogCounts> CountAsync(LogQuery query, Func<DateTime, DateTime, TimeSpan?> intervalFor, Action<PartitionError>? partitionError, CancellationToken cancellationToken = default)
        {
            var filter = new LogFilter(query);
            if (filter.ReadsContent || filter.After is not null || filter.Before is not null)
            {
                throw new MonarchLogsException("InvalidStatisticsFilter", MonarchErrorKind.InvalidArgument,
                    "Counts are kept per partition (service and level) and minute: count by time, level and service only, or read the entries with a query to count by their content.");
            }

            return Statistics.LogCounter.CountAsync(Reader, filter, intervalFor ?? throw new ArgumentNullException(nameof(intervalFor)), partitionError, cancellationToken);
        }

        /// <summary>
        /// Writes the entries the query selects to an archive (<see cref="ArchiveFormat"/>): its
        /// header, then every entry oldest first, whatever order the query asks for. Memory stays
        /// flat. A partition that cannot be read is reported to <paramref name="partitionError"/>
        /// and left out. On cancellation the file holds whole lines up to the entry last written
        /// (<see cref="ArchiveWriter.Entries"/>).
        /// </summary>
        public Task<ExportResult> ExportAsync(LogQuery query, ArchiveWriter writer, Action<PartitionError>? partitionError, CancellationToken cancellationToken = default)
        {
            if (query is null) throw new ArgumentNullException(nameof(query));
            if (writer is null) throw new ArgumentNullException(nameof(writer));
            return LogExporter.ExportAsync(q => ReadStoredAsync(q, partitionError, cancellationToken), query, writer);
        }

        /// <summary>
        /// Imports one file's lines, an archive or a JSON console log, through the append path, a
        /// batch of <paramref name="batchSize"/> entries at a time (0, the default: 16,384, whose
        /// blocks of a partition's batch go straight into its stream from 256 entries on). Entries
        /// keep their event times where their partition allows (docs/storage-format.md); entries
        /// the store already holds at their event time are skipped. A line that is no entry and a
        /// partition the store refuses are each reported to <paramref name="problem"/>, and the
        /// import goes on. A store of version 1 is refused before anything is read or written
        /// (<c>StoreNeedsUpgrade</c>). <paramref name="damage"/>, when given, is a check of the file's
        /// compressed data running meanwhile (<see cref="ArchiveFormat.FindCompressionDamage"/>): nothing is
        /// written until it answers, and when it finds damage the import ends with <c>InvalidImportFile</c>
        /// (kind <c>InvalidData</c>, its message what the check found) having written nothing.
        /// </summary>
        public async Task<ImportResult> ImportAsync(System.IO.Stream stream, string source, ImportDefaults defaults, ImportProgress progress,
            Action<ImportProblem>? problem, CancellationToken cancellationToken = default, int batchSize = 0, Task<string?>? damage = null)
        {
            if (stream is null) throw new ArgumentNullException(nameof(stream));
            if (batchSize < 0) throw new ArgumentOutOfRangeException(nameof(batchSize));
            await new FormatCheck(Connection, Format).EnsureWritesAsync(Connection, Database, cancellationToken).ConfigureAwait(false);
            await EnsureFormatAsync(cancellationToken).ConfigureAwait(false);
            if (batchSize == 0) batchSize = 16_384;

            var importer = new LogImporter(Connection, Format, EnsureFormatAsync, defaults ?? new ImportDefaults(), batchSize);
            return await importer.ImportAsync(stream, source, progress ?? new ImportProgress(), problem, damage, cancellationToken).ConfigureAwait(false);
        }

        /// <summary>
        /// Converts a store of storage format 1 into format 2 (blocks) while services keep writing:
        /// marks it version 2 first, then turns every partition's format 1 entries into blocks, one
        /// atomic step per block, in passes until one finds nothing left. Stopped at any point it
        /// loses and doubles nothing; run it again to go on. <paramref name="progress"/> hears of
        /// each partition and block, on the upgrade's thread; a partition that cannot be converted is
        /// reported to <paramref name="partitionError"/> and left as it is. A store of another
        /// version than 1 or 2 is refused (<c>UnsupportedStorageFormat</c>) and left alone.
        /// </summary>
        public Task<UpgradeResult> UpgradeAsync(Action<UpgradeProgress>? progress, Action<PartitionError>? partitionError, CancellationToken cancellationToken = default) =>
            new StoreUpgrader(Reader).UpgradeAsync(progress, partitionError, cancellationToken);

        /// <summary>What <see cref="UpgradeAsync"/> would convert, per partition; changes nothing.</summary>
        public Task<UpgradePreview> PreviewUpgradeAsync(Action<PartitionError>? partitionError, CancellationToken cancellationToken = default) =>
            new StoreUpgrader(Reader).PreviewAsync(partitionError, cancellationToken);

        internal Task EnsureFormatAsync(CancellationToken cancellationToken) => Reader.EnsureReadableAsync(cancellationToken);
    }
}
