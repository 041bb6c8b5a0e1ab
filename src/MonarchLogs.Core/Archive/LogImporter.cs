using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using MonarchLogs.Core.Append;
using MonarchLogs.Core.Format;
using MonarchLogs.Core.Format.Blocks;
using StackExchange.Redis;

namespace MonarchLogs.Core.Archive
{
    /// <summary>
    /// Imports one file (an archive or a JSON console log) into a store through the append path,
    /// a batch at a time, so memory stays flat whatever the file's size. Entries the store already
    /// holds are skipped: for each batch and partition, the entries the partition held before this
    /// import began in the batch's range of event times are read and matched by content
    /// (<see cref="EntryFingerprint"/>); each stored entry matches one entry of the file at most,
    /// so identical entries of a file are kept as often as the file has them. Format 1 reads the
    /// range as an ID range (IDs are event times) up to the partition's newest entry before the
    /// import; format 2 reads it as a query does, without the import's own blocks (<see cref="BlockLookup"/>).
    /// </summary>
    internal sealed class LogImporter
    {
        /// <summary>A line longer than this is reported and skipped.</summary>
        public const int MaxLineBytes = 64 << 20;

        private const int ReadPageSize = 1000;
        private const int MaxTrackedPartitions = 10_000;

        private readonly IConnectionMultiplexer _connection;
        private readonly StorageFormat _format;
        private readonly Func<CancellationToken, Task<int>> _version;
        private readonly ImportDefaults _defaults;
        private readonly int _batchSize;
        private readonly VersionedAppender _appender;
        private readonly Dictionary<string, PartitionState> _partitions = new Dictionary<string, PartitionState>(StringComparer.Ordinal);
        private readonly EntryFingerprint.Maker _fingerprints = new EntryFingerprint.Maker();
        private long _displaced;
        private (AppendBatch Batch, Task<AppendResult> Result)? _inFlight;

        /// <summary>An importer into <paramref name="format"/>'s store; <paramref name="version"/> reads the store's format version (1 or 2), as the store's reader does.</summary>
        public LogImporter(IConnectionMultiplexer connection, StorageFormat format, Func<CancellationToken, Task<int>> version, ImportDefaults defaults, int batchSize)
        {
            _connection = connection;
            _format = format;
            _version = version;
            _defaults = defaults;
            _batchSize = batchSize;
            // An entry keeps the host it came with, or none: it is not this machine's entry.
            _appender = new VersionedAppender(connection, format, host: string.Empty);
        }

        public async Task<ImportResult> ImportAsync(Stream stream, string source, ImportProgress progress, Action<ImportProblem>? problem, CancellationToken cancellationToken)
        {
            // The file is read (and decompressed) ahead on a thread of its own while lines are parsed.
            using var ahead = new BackgroundReadStream(stream);
            var reader = new LineReader(ahead, MaxLineBytes);
            var lines = new ImportLineParser(reader, _defaults, MaxLineBytes);
            var batch = new List<MonarchLogEntry>(_batchSize);
            ArchiveHeader? header = null;
            var sawContent = false;
            DateTime? from = null, to = null;
            try
            {
                while (lines.TryNext(out var line))
                {
                    if (line.ReadFailure is { } readFailure)
                    {
                        // A damaged file (a corrupt gzip block, a read error): what came before it is imported, then the failure is told.
                        if (batch.Count > 0) await ImportBatchAsync(batch, progress, cancellationToken).ConfigureAwait(false);
                        await CompleteAppendAsync(progress).ConfigureAwait(false);
                        System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(readFailure).Throw();
                    }

                    if ((line.LineNumber & 0xFF) == 0)
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                        progress.SetBytesRead(line.BytesRead);
                    }

                    var (kind, entry, lineHeader, why) = (line.Kind, line.Entry, line.Header, line.Why);

                    switch (kind)
                    {
                        case ImportLineKind.Blank:
                            continue;
                        case ImportLineKind.Header when !sawContent:
                            header = lineHeader;
                            sawContent = true;
                            continue;
                        case ImportLineKind.Header:
                            kind = ImportLineKind.Invalid;
                            why = "an archive header can only be the first line";
                            break;
                    }

                    sawContent = true;
                    progress.AddRead(1);
                    if (kind == ImportLineKind.Invalid)
                    {
                        progress.AddFailed(1);
                        var target = source + ":" + line.LineNumber.ToString(CultureInfo.InvariantCulture);
                        problem?.Invoke(new ImportProblem(target, new MonarchLogsException("InvalidImportLine", MonarchErrorKind.InvalidData,
                            $"{target}: {why}; the line is not imported.")));
                        continue;
                    }

                    if (from is null || entry!.Timestamp < from) from = entry!.Timestamp;
                    if (to is null || entry.Timestamp > to) to = entry.Timestamp;
                    batch.Add(entry);
                    if (batch.Count >= _batchSize)
                    {
                        await ImportBatchAsync(batch, progress, cancellationToken).ConfigureAwait(false);
                        batch.Clear();
                    }
                }

                if (batch.Count > 0) await ImportBatchAsync(batch, progress, cancellationToken).ConfigureAwait(false);
                await CompleteAppendAsync(progress).ConfigureAwait(false);
                progress.SetBytesRead(reader.BytesRead);
            }
            finally
            {
                // A stop or a failure leaves no append unobserved: what it stored is counted.
                if (_inFlight is { } pending)
                {
                    try
                    {
                        await CompleteAppendAsync(progress).ConfigureAwait(false);
                    }
                    catch (Exception) when (pending.Result.Status != TaskStatus.RanToCompletion)
                    {
                        // The failure that ended the import, or one of the same cause, is what the caller hears of.
                    }
                }

                // Whatever ended the import, each partition the store refused is reported once, with its count.
                foreach (var state in _partitions.Values)
                {
                    if (state.Failure is not { } failure) continue;
                    problem?.Invoke(new ImportProblem(state.Partition.ToString(), new MonarchLogsException(failure.ErrorId, failure.Kind,
                        $"{state.FailedEntries} entries of {source} for {state.Partition} were not imported: {failure.Message}", failure, failure.IsTransient)));
                }

                _fingerprints.Dispose();
            }

            return new ImportResult
            {
                Read = progress.Read,
                Imported = progress.Imported,
                Skipped = progress.Skipped,
                Failed = progress.Failed,
                Displaced = _displaced,
                From = from,
                To = to,
                Header = header,
            };
        }

        private async Task ImportBatchAsync(List<MonarchLogEntry> batch, ImportProgress progress, CancellationToken cancellationToken)
        {
            var db = _connection.GetDatabase();
            var runs = new Dictionary<string, Run>(StringComparer.Ordinal);
            var order = new List<Run>();
            foreach (var entry in batch)
            {
                var partition = _format.GetPartition(entry.Service, entry.Level);
                if (!runs.TryGetValue(partition.StreamKey, out var run))
                {
                    run = new Run(StateOf(partition));
                    runs.Add(partition.StreamKey, run);
                    order.Add(run);
                }

                run.Entries.Add(entry);
            }

            var version = await _version(cancellationToken).ConfigureAwait(false);

            // Partitions met for the first time: where their newest entry stood before this import,
            // and (format 2) whether their head held any.
            var firstSeen = order.Where(run => !run.State.TopKnown && run.State.Failure is null).ToList();
            var tops = firstSeen.Select(run => db.StreamRangeAsync(run.State.Partition.StreamKey, "-", "+", 1, Order.Descending)).ToArray();
            var heads = firstSeen.Select(run => version == 2 ? db.KeyExistsAsync(run.State.Partition.HeadKey) : Task.FromResult(false)).ToArray();
            for (var i = 0; i < firstSeen.Count; i++)
            {
                var state = firstSeen[i].State;
                try
                {
                    var top = await tops[i].WithCancellation(cancellationToken).ConfigureAwait(false);
                    state.Top = top.Length > 0 && StreamId.TryParse(top[0].Id, out var id) ? id : (StreamId?)null;
                    state.HeadHeld = await heads[i].WithCancellation(cancellationToken).ConfigureAwait(false);
                    state.TopKnown = true;
                }
                catch (Exception ex) when (IsPartitionFailure(ex))
                {
                    state.Failure = StoreErrors.Classify(ex, state.Partition.ToString());
                }
            }

            // The first page of every lookup goes out at once; the pages are then read one partition
            // after the other (the fingerprint maker serves one thread).
            var toAppend = new List<MonarchLogEntry>(batch.Count);
            using var decoder = version == 2 ? new BlockDecoder() : null;
            var firstPages = order.Select(run => run.State.Failure is null && version == 1 ? StartLookup(db, run) : null).ToArray();
            var blockLookups = order.Select(run => run.State.Failure is null && version == 2 ? StartBlockLookup(db, run, decoder!) : null).ToArray();
            for (var r = 0; r < order.Count; r++)
            {
                var run = order[r];
                try
                {
                    if (firstPages[r] is { } firstPage) await FindStoredAsync(db, run, firstPage, cancellationToken).ConfigureAwait(false);
                    if (blockLookups[r] is { } lookup) run.StoredCounts = await lookup.CountAsync(Fingerprint(run), _fingerprints, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (IsPartitionFailure(ex))
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
                    if (run.Stored is { } stored && stored.TryGetValue(run.Fingerprints![i], out var ids) && ids.Count > 0)
                    {
                        run.State.Consumed.Add(ids.Dequeue());
                        skipped++;
                        continue;
                    }

                    if (run.StoredCounts is { } counts && run.State.TakeStored(counts, run.Fingerprints![i], entry.Timestamp.Ticks))
                    {
                        skipped++;
                        continue;
                    }

                    toAppend.Add(entry);
                    if (version == 1 && run.State.Top is { } top && Math.Max(0, StreamId.ToUnixMilliseconds(entry.Timestamp)) < top.Milliseconds) _displaced++;
                }

                progress.AddSkipped(skipped);
            }

            if (toAppend.Count == 0) return;

            // One append stays in flight while the next batch is read and checked; the next one
            // starts only when it is answered, so at most two batches are held.
            await CompleteAppendAsync(progress).ConfigureAwait(false);
            var appendBatch = new AppendBatch(toAppend);
            _inFlight = (appendBatch, _appender.AppendAsync(appendBatch, cancellationToken));
        }

        /// <summary>Waits for the append in flight, if any, and counts what it stored and what the store refused.</summary>
        private async Task CompleteAppendAsync(ImportProgress progress)
        {
            if (_inFlight is not { } inFlight) return;
            _inFlight = null;
            var appendBatch = inFlight.Batch;
            var result = await inFlight.Result.ConfigureAwait(false);
            progress.AddImported(result.Stored);
            foreach (var failure in result.Failures)
            {
                var state = StateOf(failure.Partition);
                var notStored = 0;
                for (var i = 0; i < appendBatch.Count; i++)
                {
                    var entry = appendBatch.Entries[i];
                    if (!appendBatch.IsStored(i) && _format.GetPartition(entry.Service, entry.Level).StreamKey == failure.Partition.StreamKey) notStored++;
                }

                state.Failure ??= failure.Error;
                state.FailedEntries += notStored;
                progress.AddFailed(notStored);
            }
        }

        /// <summary>
        /// Starts reading the entries the partition held before this import in the run's range of
        /// IDs, or gives null when it held none there. The range: the run's oldest event time to its
        /// newest, or to the newest of the file so far (the append path raises an entry's ID to the
        /// last it sent), but never past the partition's newest entry before the import, so that
        /// what this import stored is never taken for a duplicate.
        /// </summary>
        private Task<StreamEntry[]>? StartLookup(IDatabase db, Run run)
        {
            var state = run.State;
            long low = long.MaxValue, high = 0;
            foreach (var entry in run.Entries)
            {
                var ms = Math.Max(0, StreamId.ToUnixMilliseconds(entry.Timestamp));
                low = Math.Min(low, ms);
                high = Math.Max(high, ms);
            }

            state.Consumed.RemoveWhere(id => id.Milliseconds < low);
            high = Math.Max(high, state.NewestInFile);
            state.NewestInFile = high;
            if (state.Top is not { } top || top.Milliseconds < low) return null;
            run.RangeEnd = high >= top.Milliseconds ? (RedisValue)top.ToString() : (RedisValue)high.ToString(CultureInfo.InvariantCulture);
            return db.StreamRangeAsync(state.Partition.StreamKey, low.ToString(CultureInfo.InvariantCulture), run.RangeEnd, ReadPageSize);
        }

        /// <summary>
        /// Format 2: starts reading the entries the partition held before this import at the run's
        /// event times, or gives null when it held none when the import met it.
        /// </summary>
        private BlockLookup? StartBlockLookup(IDatabase db, Run run, BlockDecoder decoder)
        {
            var state = run.State;
            long low = long.MaxValue, high = long.MinValue;
            foreach (var entry in run.Entries)
            {
                low = Math.Min(low, entry.Timestamp.Ticks);
                high = Math.Max(high, entry.Timestamp.Ticks);
            }

            state.ForgetTakenBefore(low);
            if (state.Top is null && !state.HeadHeld) return null;
            return new BlockLookup(db, state.Partition, low, high, _appender.BlockWriterId, decoder);
        }

        private HashSet<EntryFingerprint> Fingerprint(Run run)
        {
            var fingerprints = new EntryFingerprint[run.Entries.Count];
            var wanted = new HashSet<EntryFingerprint>();
            for (var i = 0; i < fingerprints.Length; i++) wanted.Add(fingerprints[i] = _fingerprints.Of(run.Entries[i]));
            run.Fingerprints = fingerprints;
            return wanted;
        }

        /// <summary>
        /// Reads the range <see cref="StartLookup"/> started, page by page, keeping the IDs of the
        /// stored entries that match an entry of the run, by fingerprint; an entry matched by an
        /// earlier batch is left out.
        /// </summary>
        private async Task FindStoredAsync(IDatabase db, Run run, Task<StreamEntry[]> firstPage, CancellationToken cancellationToken)
        {
            var state = run.State;
            var wanted = Fingerprint(run);
            var stored = new Dictionary<EntryFingerprint, Queue<StreamId>>();
            var page = await firstPage.WithCancellation(cancellationToken).ConfigureAwait(false);
            while (true)
            {
                foreach (var item in page)
                {
                    StreamId.TryParse(item.Id, out var id);
                    if (state.Consumed.Contains(id)) continue;
                    var fingerprint = _fingerprints.Of(Version1Entry.Decode(state.Partition, item));
                    if (!wanted.Contains(fingerprint)) continue;
                    if (!stored.TryGetValue(fingerprint, out var ids)) stored[fingerprint] = ids = new Queue<StreamId>();
                    ids.Enqueue(id);
                }

                if (page.Length < ReadPageSize) break;
                page = await db.StreamRangeAsync(state.Partition.StreamKey, "(" + page[page.Length - 1].Id, run.RangeEnd, ReadPageSize)
                    .WithCancellation(cancellationToken).ConfigureAwait(false);
            }

            run.Stored = stored;
        }

        private PartitionState StateOf(Partition partition)
        {
            if (_partitions.TryGetValue(partition.StreamKey, out var state)) return state;
            state = new PartitionState(partition);
            if (_partitions.Count < MaxTrackedPartitions) _partitions.Add(partition.StreamKey, state);
            return state;
        }

        /// <summary>A refusal of a command on one partition's key (WRONGTYPE, NOPERM); anything else ends the import.</summary>
        private static bool IsPartitionFailure(Exception ex)
        {
            if (ex is AggregateException { InnerExceptions.Count: 1 } aggregate) ex = aggregate.InnerExceptions[0];
            if (ex is not RedisServerException) return false;
            var error = StoreErrors.Classify(ex);
            return !error.IsTransient && error.ErrorId != StoreErrors.AuthenticationFailed && error.ErrorId != StoreErrors.UnsupportedFormat;
        }

        private sealed class PartitionState
        {
            public PartitionState(Partition partition) => Partition = partition;

            public Partition Partition { get; }

            public bool TopKnown { get; set; }

            /// <summary>The partition's newest entry before the import; null when it had none.</summary>
            public StreamId? Top { get; set; }

            /// <summary>The newest event time of the file's entries of this partition so far.</summary>
            public long NewestInFile { get; set; }

            /// <summary>Stored entries already matched to an entry of the file (pruned as the file moves on).</summary>
            public HashSet<StreamId> Consumed { get; } = new HashSet<StreamId>();

            /// <summary>Format 2: whether the partition's head held blocks when the import met it.</summary>
            public bool HeadHeld { get; set; }

            /// <summary>Format 2: how many stored entries of each fingerprint were matched to an entry of the file, and their event time (pruned as the file moves on).</summary>
            private Dictionary<EntryFingerprint, (int Count, long Ticks)> Taken { get; } = new Dictionary<EntryFingerprint, (int, long)>();

            /// <summary>Format 2: matches an entry of the file to a stored one of <paramref name="stored"/> not matched before (a lookup's range holds every stored entry of that fingerprint, whose time is in it).</summary>
            public bool TakeStored(Dictionary<EntryFingerprint, int> stored, EntryFingerprint fingerprint, long ticks)
            {
                if (!stored.TryGetValue(fingerprint, out var count)) return false;
                Taken.TryGetValue(fingerprint, out var taken);
                if (taken.Count >= count) return false;
                Taken[fingerprint] = (taken.Count + 1, ticks);
                return true;
            }

            public void ForgetTakenBefore(long ticks)
            {
                if (Taken.Count == 0) return;
                foreach (var old in Taken.Where(pair => pair.Value.Ticks < ticks).Select(pair => pair.Key).ToList()) Taken.Remove(old);
            }

            public MonarchLogsException? Failure { get; set; }

            public long FailedEntries { get; set; }
        }

        private sealed class Run
        {
            public Run(PartitionState state) => State = state;

            public PartitionState State { get; }

            public List<MonarchLogEntry> Entries { get; } = new List<MonarchLogEntry>();

            /// <summary>The fingerprint of each entry, once a lookup made them.</summary>
            public EntryFingerprint[]? Fingerprints { get; set; }

            public RedisValue RangeEnd { get; set; }

            public Dictionary<EntryFingerprint, Queue<StreamId>>? Stored { get; set; }

            /// <summary>Format 2: the stored entries of each fingerprint the run has.</summary>
            public Dictionary<EntryFingerprint, int>? StoredCounts { get; set; }
        }
    }
}
