using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using MonarchLogs.Core.Connection;
using MonarchLogs.Core.Format;
using MonarchLogs.Core.Format.Blocks;
using MonarchLogs.Core.Query;
using StackExchange.Redis;

namespace MonarchLogs.Core.Upgrade
{
    /// <summary>
    /// Converts a store of storage format 1 into format 2 while services keep writing
    /// (docs/operations.md, "Upgrading the store"). It first marks the store version 2, so readers
    /// read it as version 2 (a format 1 entry reads as a block of one entry), writers of this
    /// version, which waited, write blocks, and writers of an earlier release switch to blocks at
    /// their next format check; then it turns every partition's format 1 entries into
    /// blocks, one atomic script per block (<see cref="UpgradeScript.Convert"/>), in passes over the
    /// partitions until a pass finds nothing left. Stopped at any point, it loses and doubles
    /// nothing, and the next run goes on where it stopped. The counts hashes stay as they are.
    /// </summary>
    internal sealed class StoreUpgrader
    {
        private readonly StoreReader _reader;

        public StoreUpgrader(StoreReader reader) => _reader = reader ?? throw new ArgumentNullException(nameof(reader));

        /// <summary>
        /// How long after marking the store version 2 the last pass may start: writers of an earlier
        /// release check the format every 10 s, so until then one may still add format 1 entries.
        /// </summary>
        public TimeSpan WritersSwitchWithin { get; init; } = TimeSpan.FromSeconds(12);

        /// <summary>The wait between passes, so that the entries writers add meanwhile make fewer, larger blocks.</summary>
        public TimeSpan PassPause { get; init; } = TimeSpan.FromSeconds(1);

        private IDatabase Database => _reader.Database;

        /// <summary>
        /// Upgrades the store. <paramref name="progress"/> hears of each partition started and each
        /// block written, on the upgrade's thread. A partition that cannot be converted (a key of
        /// another type, a key the ACL user may not write) is reported to
        /// <paramref name="partitionError"/> once and left as it is; the others go on.
        /// </summary>
        /// <remarks>Where the prefix holds no store (no format key, no registry), nothing is written and <see cref="UpgradeResult.Version"/> is empty.</remarks>
        /// <exception cref="MonarchLogsException"><c>UnsupportedStorageFormat</c>: the store has another version than 1 or 2, and was left alone.</exception>
        public async Task<UpgradeResult> UpgradeAsync(Action<UpgradeProgress>? progress, Action<PartitionError>? partitionError, CancellationToken cancellationToken)
        {
            await StoreConnection.EnsureVerifiedAsync(_reader.Connection, cancellationToken).ConfigureAwait(false);
            if (!await StoreExistsAsync(cancellationToken).ConfigureAwait(false)) return new UpgradeResult();
            var marked = await Database.ScriptEvaluateAsync(UpgradeScript.MarkVersion2, new RedisKey[] { _reader.Format.FormatKey })
                .WithCancellation(cancellationToken).ConfigureAwait(false);
            var previous = marked.IsNull ? StorageFormat.Version : (string)marked!;
            _reader.Format.ReadVersion(previous);
            _reader.ForgetFormat();
            var sinceMarked = Stopwatch.StartNew();
            var settle = previous == StorageFormat.Version2 ? TimeSpan.Zero : WritersSwitchWithin;

            var cursors = new Dictionary<string, (RedisValue? After, IReadOnlyList<RedisValue> Own)>(StringComparer.Ordinal);
            var failed = new HashSet<string>(StringComparer.Ordinal);
            var touched = new HashSet<string>(StringComparer.Ordinal);
            long converted = 0, blocks = 0, left = 0, estimate = 0;
            var scanned = 0;
            var pass = 0;
            var current = string.Empty;
            using var encoder = new BlockEncoder();
            void Report() => progress?.Invoke(new UpgradeProgress
            {
                Partition = current, Pass = pass, EntriesConverted = converted, BlocksWritten = blocks, TotalEstimate = Math.Max(estimate, converted),
            });

            // First each partition's stream is rebuilt beside it, its blocks at their entries' time.
            var registered = await _reader.GetPartitionsAsync(partitionError, cancellationToken).ConfigureAwait(false);
            scanned = registered.Count;
            estimate = await CountStreamEntriesAsync(registered, cancellationToken).ConfigureAwait(false);
            foreach (var partition in registered)
            {
                current = partition.ToString();
                Report();
                var rebuilder = new PartitionRebuilder(Database, _reader.Format, partition, encoder, count =>
                {
                    converted += count;
                    blocks++;
                    Report();
                });
                try
                {
                    // What follows the rebuild's last entry may still hold format 1 entries: the passes below take them in place.
                    if (await rebuilder.RunAsync(cancellationToken).ConfigureAwait(false) is { } after)
                    {
                        cursors[partition.StreamKey] = (after.Length == 0 ? null : (RedisValue?)after, Array.Empty<RedisValue>());
                    }
                }
                catch (Exception ex) when (PartitionError.FromReadFailure(partition, ex) is { } error)
                {
                    failed.Add(partition.StreamKey);
                    partitionError?.Invoke(error);
                }

                if (rebuilder.Dropped)
                {
                    converted -= rebuilder.Converted;
                    blocks -= rebuilder.Blocks;
                    continue;
                }

                left += rebuilder.Left;
                if (rebuilder.Converted > 0) touched.Add(partition.StreamKey);
            }

            // Then passes convert in place what is left (entries added meanwhile, a partition not rebuilt).
            while (true)
            {
                pass++;
                var partitions = await _reader.GetPartitionsAsync(partitionError, cancellationToken).ConfigureAwait(false);
                scanned = Math.Max(scanned, partitions.Count);
                long convertedThisPass = 0;
                foreach (var partition in partitions)
                {
                    if (failed.Contains(partition.StreamKey)) continue;
                    current = partition.ToString();
                    Report();
                    var converter = new PartitionConverter(Database, partition, encoder, dryRun: false, count =>
                    {
                        converted += count;
                        blocks++;
                        Report();
                    });
                    cursors.TryGetValue(partition.StreamKey, out var cursor);
                    try
                    {
                        var end = await converter.PassAsync(cursor.After, cursor.Own ?? Array.Empty<RedisValue>(), cancellationToken).ConfigureAwait(false);
                        cursors[partition.StreamKey] = (end, converter.Written);
                    }
                    catch (Exception ex) when (PartitionError.FromReadFailure(partition, ex) is { } error)
                    {
                        failed.Add(partition.StreamKey);
                        partitionError?.Invoke(error);
                    }

                    left += converter.Left;
                    convertedThisPass += converter.Converted;
                    if (converter.Converted > 0) touched.Add(partition.StreamKey);
                }

                // Done once a pass finds nothing, and writers have had the time to see version 2.
                var wait = convertedThisPass > 0 ? PassPause : settle - sinceMarked.Elapsed;
                if (convertedThisPass == 0 && wait <= TimeSpan.Zero) break;
                if (wait > TimeSpan.Zero) await Task.Delay(wait, cancellationToken).ConfigureAwait(false);
            }

            return new UpgradeResult
            {
                PreviousVersion = previous,
                Version = StorageFormat.Version2,
                PartitionsScanned = scanned,
                PartitionsConverted = touched.Count,
                EntriesConverted = converted,
                BlocksWritten = blocks,
                Passes = pass,
                EntriesLeft = left,
            };
        }

        /// <summary>
        /// What <see cref="UpgradeAsync"/> would convert, changing nothing: on a store of version 1
        /// every stream entry (XLEN); on one an earlier run marked version 2, the format 1 entries
        /// found by reading the streams.
        /// </summary>
        /// <exception cref="MonarchLogsException"><c>UnsupportedStorageFormat</c>: the store has another version than 1 or 2.</exception>
        public async Task<UpgradePreview> PreviewAsync(Action<PartitionError>? partitionError, CancellationToken cancellationToken)
        {
            await StoreConnection.EnsureVerifiedAsync(_reader.Connection, cancellationToken).ConfigureAwait(false);
            if (!await StoreExistsAsync(cancellationToken).ConfigureAwait(false)) return new UpgradePreview(string.Empty, Array.Empty<PartitionUpgrade>());
            var stored = await Database.StringGetAsync(_reader.Format.FormatKey).WithCancellation(cancellationToken).ConfigureAwait(false);
            var version = stored.IsNull ? StorageFormat.Version : stored.ToString();
            var isVersion1 = _reader.Format.ReadVersion(version) == 1;
            var partitions = await _reader.GetPartitionsAsync(partitionError, cancellationToken).ConfigureAwait(false);
            var result = new List<PartitionUpgrade>(partitions.Count);
            using var encoder = new BlockEncoder();
            foreach (var partition in partitions)
            {
                try
                {
                    if (isVersion1)
                    {
                        result.Add(new PartitionUpgrade(partition, await Database.StreamLengthAsync(partition.StreamKey).WithCancellation(cancellationToken).ConfigureAwait(false)));
                        continue;
                    }

                    var counter = new PartitionConverter(Database, partition, encoder, dryRun: true, _ => { });
                    await counter.PassAsync(null, Array.Empty<RedisValue>(), cancellationToken).ConfigureAwait(false);
                    result.Add(new PartitionUpgrade(partition, counter.Converted));
                }
                catch (Exception ex) when (PartitionError.FromReadFailure(partition, ex) is { } error)
                {
                    partitionError?.Invoke(error);
                }
            }

            return new UpgradePreview(version, result);
        }

        /// <summary>
        /// Whether there is a store under the prefix: a format key or a registry. A prefix with
        /// neither (a typing error, as a rule) is left without a format key of version 2.
        /// </summary>
        private async Task<bool> StoreExistsAsync(CancellationToken cancellationToken) =>
            await Database.KeyExistsAsync(_reader.Format.FormatKey).WithCancellation(cancellationToken).ConfigureAwait(false)
            || await Database.KeyExistsAsync(_reader.Format.PartitionsKey).WithCancellation(cancellationToken).ConfigureAwait(false);

        /// <summary>The stream entries of the partitions, read together: the estimate of what there is to convert.</summary>
        private async Task<long> CountStreamEntriesAsync(IReadOnlyList<Partition> partitions, CancellationToken cancellationToken)
        {
            var lengths = partitions.Select(p => Database.StreamLengthAsync(p.StreamKey)).ToArray();
            long total = 0;
            foreach (var length in lengths)
            {
                try
                {
                    total += await length.WithCancellation(cancellationToken).ConfigureAwait(false);
                }
                catch (RedisServerException)
                {
                    // A key of another type: the pass reports it.
                }
            }

            return total;
        }
    }
}
