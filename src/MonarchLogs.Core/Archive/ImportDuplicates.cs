using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using MonarchLogs.Core.Format;
using MonarchLogs.Core.Format.Blocks;
using StackExchange.Redis;

namespace MonarchLogs.Core.Archive
{
    /// <summary>
    /// An import's duplicate check, a batch at a time: for each partition of the batch, the
    /// entries the partition held before this import began in the batch's range of event times are
    /// read as a query reads them, without the import's own blocks (<see cref="BlockLookup"/>), and
    /// matched by content (<see cref="EntryFingerprint"/>); each stored entry matches one entry of
    /// the file at most, so identical entries of a file are kept as often as the file has them.
    /// A partition that held nothing when the import met it is not read. A partition the store
    /// refuses is set aside, and its entries counted as failed.
    /// </summary>
    internal sealed class ImportDuplicates : IDisposable
    {
        private const int MaxTrackedPartitions = 10_000;

        private readonly StorageFormat _format;
        private readonly string _importWriter;
        private readonly Dictionary<string, ImportPartition> _partitions = new Dictionary<string, ImportPartition>(StringComparer.Ordinal);
        private readonly EntryFingerprint.Maker _fingerprints = new EntryFingerprint.Maker();

        /// <param name="format">The store's format.</param>
        /// <param name="importWriter">The <c>w</c> of the import's own blocks, which the check leaves out.</param>
        public ImportDuplicates(StorageFormat format, string importWriter)
        {
            _format = format;
            _importWriter = importWriter;
        }

        /// <summary>The partitions met so far (at most 10,000 are remembered).</summary>
        public IEnumerable<ImportPartition> Partitions => _partitions.Values;

        /// <summary>The entries of <paramref name="batch"/> to store: those the store did not hold, of partitions it did not refuse; counts the others in <paramref name="progress"/>.</summary>
        public async Task<List<ParsedLine>> NewEntriesAsync(IDatabase db, List<ParsedLine> batch, ImportProgress progress, CancellationToken cancellationToken)
        {
            var runs = new Dictionary<string, Run>(StringComparer.Ordinal);
            var order = new List<Run>();
            foreach (var entry in batch)
            {
                var partition = entry.PartitionIn(_format);
                if (!runs.TryGetValue(partition.StreamKey, out var run))
                {
                    run = new Run(StateOf(partition));
                    runs.Add(partition.StreamKey, run);
                    order.Add(run);
                }

                run.Entries.Add(entry);
            }

            await MeetAsync(db, order.Where(run => !run.State.Known && run.State.Failure is null).ToList(), cancellationToken).ConfigureAwait(false);

            // Every lookup's first read goes out at once; the entries are then matched one partition
            // after the other (the fingerprint maker serves one thread).
            var fresh = new List<ParsedLine>(batch.Count);
            using var decoder = new BlockDecoder();
            var lookups = order.Select(run => run.State.Failure is null ? StartLookup(db, run, decoder) : null).ToArray();
            for (var r = 0; r < order.Count; r++)
            {
                var run = order[r];
                Dictionary<EntryFingerprint, int>? stored = null;
                try
                {
                    if (lookups[r] is { } lookup) stored = await lookup.CountAsync(Fingerprint(run), _fingerprints, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (LogImporter.IsPartitionFailure(ex))
                {
                    run.State.Failure ??= StoreErrors.Classify(ex, run.State.Partition.ToString());
                }
                catch (MonarchLogsException ex) when (ex.ErrorId == BlockErrors.InvalidBlock || ex.ErrorId == BlockErrors.UnsupportedCodec)
                {
                    run.State.Failure ??= new MonarchLogsException(ex.ErrorId, ex.Kind,
                        $"the entries it held at those times cannot all be read, so the import cannot tell which are there already ({ex.Message})", ex);
                }

                if (run.State.Failure is not null)
                {
                    run.State.FailedEntries += run.Entries.Count;
                    progress.AddFailed(run.Entries.Count);
                    continue;
                }

                var skipped = 0;
                for (var i = 0; i < run.Entries.Count; i++)
                {
                    var entry = run.Entries[i];
                    if (stored is not null && run.State.TakeStored(stored, run.Fingerprints![i], entry.Timestamp.Ticks))
                    {
                        skipped++;
                        continue;
                    }

                    fresh.Add(entry);
                }

                progress.AddSkipped(skipped);
            }

            return fresh;
        }

        /// <summary>Partitions met for the first time: whether their stream or head held any entry before this import.</summary>
        private static async Task MeetAsync(IDatabase db, List<Run> met, CancellationToken cancellationToken)
        {
            var streams = met.Select(run => db.StreamRangeAsync(run.State.Partition.StreamKey, "-", "+", 1, Order.Descending)).ToArray();
            var heads = met.Select(run => db.KeyExistsAsync(run.State.Partition.HeadKey)).ToArray();
            for (var i = 0; i < met.Count; i++)
            {
                var state = met[i].State;
                try
                {
                    var top = await streams[i].WithCancellation(cancellationToken).ConfigureAwait(false);
                    state.Held = await heads[i].WithCancellation(cancellationToken).ConfigureAwait(false) || top.Length > 0;
                    state.Known = true;
                }
                catch (Exception ex) when (LogImporter.IsPartitionFailure(ex))
                {
                    state.Failure = StoreErrors.Classify(ex, state.Partition.ToString());
                }
            }
        }

        /// <summary>Starts reading the entries the partition held before this import at the run's event times, or gives null when it held none when the import met it.</summary>
        private BlockLookup? StartLookup(IDatabase db, Run run, BlockDecoder decoder)
        {
            var state = run.State;
            long low = long.MaxValue, high = long.MinValue;
            foreach (var entry in run.Entries)
            {
                low = Math.Min(low, entry.Timestamp.Ticks);
                high = Math.Max(high, entry.Timestamp.Ticks);
            }

            state.ForgetTakenBefore(low);
            return state.Held ? new BlockLookup(db, state.Partition, low, high, _importWriter, decoder) : null;
        }

        private HashSet<EntryFingerprint> Fingerprint(Run run)
        {
            var fingerprints = new EntryFingerprint[run.Entries.Count];
            var wanted = new HashSet<EntryFingerprint>();
            for (var i = 0; i < fingerprints.Length; i++) wanted.Add(fingerprints[i] = _fingerprints.Of(run.Entries[i].EntryIn(run.State.Partition)));
            run.Fingerprints = fingerprints;
            return wanted;
        }

        /// <summary>The state of <paramref name="partition"/>, made when the import first meets it.</summary>
        public ImportPartition StateOf(Partition partition)
        {
            if (_partitions.TryGetValue(partition.StreamKey, out var state)) return state;
            state = new ImportPartition(partition);
            if (_partitions.Count < MaxTrackedPartitions) _partitions.Add(partition.StreamKey, state);
            return state;
        }

        public void Dispose() => _fingerprints.Dispose();

        /// <summary>A partition's entries of one batch.</summary>
        private sealed class Run
        {
            public Run(ImportPartition state) => State = state;

            public ImportPartition State { get; }

            public List<ParsedLine> Entries { get; } = new List<ParsedLine>();

            /// <summary>The fingerprint of each entry, once a lookup made them.</summary>
            public EntryFingerprint[]? Fingerprints { get; set; }
        }
    }
}
