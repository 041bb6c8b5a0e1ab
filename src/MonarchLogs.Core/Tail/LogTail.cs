using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using MonarchLogs.Core.Connection;
using MonarchLogs.Core.Query;
using MonarchLogs.Core.Format;
using MonarchLogs.Core.Format.Blocks;
using StackExchange.Redis;

namespace MonarchLogs.Core.Tail
{
    /// <summary>
    /// A live tail. StackExchange.Redis has no blocking stream read on a shared connection, so
    /// writers publish a nudge after each batch and the tail reads on from the last Id it saw
    /// in every partition, with one non-blocking XREAD for all of them. A slow poll covers
    /// writers that do not publish; when idle it costs one XREAD per poll interval plus a
    /// registry read every <see cref="RegistryRefreshInterval"/>.
    /// <para>
    /// Each partition's position only moves forward: it is the last Id delivered (by the backlog
    /// or a live read) or passed over, and nothing at or before it is ever delivered again, however
    /// a registry read, the backlog and a writer's nudge interleave. A partition whose read the
    /// server refuses (WRONGTYPE, NOPERM) is reported once and set aside; the tail goes on with the
    /// others and tries it again at each registry refresh.
    /// </para>
    /// <para>
    /// On a version 2 store the tail reads each partition's stream and head by ID and shows the
    /// entries of the blocks it finds (<see cref="BlockTailReader"/>).
    /// </para>
    /// </summary>
    public sealed class LogTail : IDisposable
    {
        /// <summary>How long the tail waits for a writer's nudge before it reads anyway.</summary>
        public static readonly TimeSpan DefaultPollInterval = TimeSpan.FromSeconds(1);
        /// <summary>How often the tail reads the registry again to pick up new partitions and retry those set aside.</summary>
        public static readonly TimeSpan RegistryRefreshInterval = TimeSpan.FromSeconds(5);
        /// <summary>
        /// How far before the tail opened a partition registered later is read from. None of its
        /// entries can have been shown (the backlog reads only the partitions known at open), so
        /// this costs no duplicate; it keeps an entry stamped in the very millisecond the tail
        /// opened, or by a writer whose clock is a little behind, from being passed over.
        /// </summary>
        internal static readonly TimeSpan NewPartitionSlack = TimeSpan.FromSeconds(1);

        private readonly StoreReader _store;
        private readonly LogFilter _filter;
        private readonly BlockTailReader _blocks;
        private readonly TailPartitions _partitions;
        private readonly List<MonarchLogEntry> _pending = new List<MonarchLogEntry>();
        private readonly SemaphoreSlim _nudge = new SemaphoreSlim(0, 1);
        private readonly RedisChannel _channel;
        private bool _moreWaiting;
        private volatile bool _unknownPartitionWritten;
        private bool _blockInVersion1;
        private readonly Action<RedisChannel, RedisValue> _onNudge;
        private ISubscriber? _subscriber;

        private LogTail(StoreReader store, LogFilter filter, Action<PartitionError>? partitionError)
        {
            _store = store;
            _filter = filter;
            _channel = RedisChannel.Literal(store.Format.NotifyChannel);
            _onNudge = (_, message) => Nudge(message);
            _blocks = new BlockTailReader(partitionError);
            var openedPosition = new StreamId(StreamId.ToUnixMilliseconds(DateTime.UtcNow - NewPartitionSlack), 0);
            _partitions = new TailPartitions(store, filter, partitionError, _blocks, openedPosition);
        }

        private bool ReadsBlocks => _partitions.ReadsBlocks;

        /// <summary>The last failure to read, for verbose output; null after a good read.</summary>
        public Exception? LastError { get; private set; }

        internal static async Task<LogTail> OpenAsync(StoreReader store, LogFilter filter, Action<PartitionError>? partitionError, CancellationToken cancellationToken)
        {
            var tail = new LogTail(store, filter, partitionError);
            try
            {
                tail._subscriber = store.Connection.GetSubscriber();
                await tail._subscriber.SubscribeAsync(tail._channel, tail._onNudge).WithCancellation(cancellationToken).ConfigureAwait(false);
                await tail._partitions.RefreshAsync(startAtEnd: true, cancellationToken).ConfigureAwait(false);
                return tail;
            }
            catch
            {
                tail.Dispose();
                throw;
            }
        }

        /// <summary>
        /// The last <paramref name="count"/> matching entries written before the tail opened,
        /// oldest first, so that backlog and live entries join with no gap and no duplicate.
        /// </summary>
        public async Task<IReadOnlyList<MonarchLogEntry>> ReadBacklogAsync(int count, CancellationToken cancellationToken)
        {
            var backlog = new List<MonarchLogEntry>(Math.Min(count, 1024));
            if (count <= 0) return backlog;
            if (ReadsBlocks) return await ReadBlockBacklogAsync(count, cancellationToken).ConfigureAwait(false);
            var reader = new MergedReader(_store.Database, _partitions.Tracked.Values.Select(p => p.Partition).ToList(),
                new LogFilter(_filter.Query with { OldestFirst = false, Limit = count }), _partitions.SetAside);
            var newest = new Dictionary<string, StreamId>(StringComparer.Ordinal);
            await foreach (var entry in reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var id = LogEntryId.Parse(entry.Id!);
                var key = _store.Format.GetPartition(id.Service, id.Level).StreamKey;
                if (!_partitions.Tracked.TryGetValue(key, out var known) || id.Position.CompareTo(known.Last) > 0) continue;
                backlog.Add(entry);
                if (!newest.ContainsKey(key)) newest[key] = id.Position;
                if (backlog.Count == count) break;
            }

            // What the backlog delivered is delivered: the live reads start after it.
            foreach (var delivered in newest) _partitions.Advance(delivered.Key, delivered.Value);
            backlog.Reverse();
            return backlog;
        }

        /// <summary>
        /// Version 2: the query reads the backlog by event time, and may find blocks written since
        /// the tail opened. The tail reads on just before and just after it, keeps those entries for
        /// the next <see cref="NextAsync"/>, and leaves them out of the backlog: none shows twice.
        /// </summary>
        private async Task<IReadOnlyList<MonarchLogEntry>> ReadBlockBacklogAsync(int count, CancellationToken cancellationToken)
        {
            _pending.AddRange(await ReadNewAsync(cancellationToken).ConfigureAwait(false));
            var live = new HashSet<string>(_pending.Select(e => e.Id!), StringComparer.Ordinal);
            var backlog = new List<MonarchLogEntry>(Math.Min(count, 1024));
            var reader = new MergedReader(_store.Database, _partitions.Tracked.Values.Select(p => p.Partition).ToList(),
                new LogFilter(_filter.Query with { OldestFirst = false, Limit = count }), _partitions.ReportBlockRead, version: 2);
            await foreach (var entry in reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var id = LogEntryId.Parse(entry.Id!);
                if (!_partitions.Tracked.ContainsKey(_store.Format.GetPartition(id.Service, id.Level).StreamKey) || live.Contains(entry.Id!)) continue;
                backlog.Add(entry);
                if (backlog.Count == count) break;
            }

            var after = await ReadNewAsync(cancellationToken).ConfigureAwait(false);
            _pending.AddRange(after);
            live.UnionWith(after.Select(e => e.Id!));
            backlog.RemoveAll(e => live.Contains(e.Id!));
            backlog.Reverse();
            return backlog;
        }

        /// <summary>
        /// Waits until a writer's nudge or the poll interval, then returns the new matching
        /// entries in store order (often none). A lost connection is not an error here: the
        /// tail reports it in <see cref="LastError"/>, returns nothing, and resumes from the
        /// last Id once Valkey answers again.
        /// </summary>
        public async Task<IReadOnlyList<MonarchLogEntry>> NextAsync(TimeSpan pollInterval, CancellationToken cancellationToken)
        {
            if (_pending.Count > 0)
            {
                var read = _pending.ToList();
                _pending.Clear();
                return read;
            }

            if (!_moreWaiting) await _nudge.WaitAsync(pollInterval, cancellationToken).ConfigureAwait(false);
            try
            {
                // After a reconnect, the tail reads on only as the user it logged in as.
                await StoreConnection.EnsureVerifiedAsync(_store.Connection, cancellationToken).ConfigureAwait(false);
                if (_unknownPartitionWritten || _blockInVersion1 || DateTime.UtcNow - _partitions.RegistryReadUtc >= RegistryRefreshInterval)
                {
                    _unknownPartitionWritten = false;
                    _blockInVersion1 = false;
                    await _partitions.RefreshAsync(startAtEnd: false, cancellationToken).ConfigureAwait(false);
                }

                var entries = await ReadNewAsync(cancellationToken).ConfigureAwait(false);
                LastError = null;
                return entries;
            }
            catch (Exception ex) when (ex is RedisConnectionException || ex is RedisTimeoutException || ex is ObjectDisposedException)
            {
                LastError = ex;
                _moreWaiting = false;
                return Array.Empty<MonarchLogEntry>();
            }
        }

        private async Task<IReadOnlyList<MonarchLogEntry>> ReadNewAsync(CancellationToken cancellationToken)
        {
            _moreWaiting = false;
            if (_partitions.Tracked.Count == 0) return Array.Empty<MonarchLogEntry>();
            var tracked = _partitions.Tracked.Values.ToArray();
            var blocks = ReadsBlocks;
            var groups = tracked.Select(p => p.Streams(blocks)).ToArray();
            StreamEntry[][][] read;
            try
            {
                read = await TailReads.ReadAfterAsync(_store, groups, cancellationToken).ConfigureAwait(false);
            }
            catch (RedisServerException)
            {
                // One XREAD for all partitions fails as a whole when one of them cannot be read:
                // read them one by one to find which, set that one aside and keep the others.
                read = new StreamEntry[tracked.Length][][];
                var singles = groups.Select(group => TailReads.ReadAfterAsync(_store, new[] { group }, cancellationToken)).ToArray();
                for (var i = 0; i < tracked.Length; i++)
                {
                    try
                    {
                        read[i] = (await singles[i].ConfigureAwait(false))[0];
                    }
                    catch (Exception ex) when (PartitionError.FromReadFailure(tracked[i].Partition, ex) is { } failure)
                    {
                        _partitions.SetAside(failure);
                        read[i] = groups[i].Select(_ => Array.Empty<StreamEntry>()).ToArray();
                    }
                }
            }

            var found = new List<(LogEntryId Id, MonarchLogEntry Entry)>();
            var entries = new List<MonarchLogEntry>();
            for (var i = 0; i < tracked.Length; i++)
            {
                var position = tracked[i];
                if (read[i].All(r => r.Length == 0) || !_partitions.Tracked.ContainsKey(position.Partition.StreamKey)) continue;
                entries.Clear();
                if (blocks) _blocks.Take(position, read[i][0], read[i][1], entries);
                else TakeEntries(position, read[i][0], entries);
                foreach (var entry in entries)
                {
                    if (_filter.Matches(entry) && InTimeRange(entry)) found.Add((LogEntryId.Parse(entry.Id!), entry));
                }

                if (read[i].Any(r => r.Length == TailReads.CountPerStream)) _moreWaiting = true;
            }

            found.Sort((a, b) => a.Id.CompareTo(b.Id));
            return found.Select(f => f.Entry).ToList();
        }

        /// <summary>
        /// Version 1: the entries of a partition's stream after its position, each an entry of its
        /// own. A block there means the store was upgraded since the format was read: it is read as
        /// a block, and the next read checks the format (and reads the heads from then on).
        /// </summary>
        private void TakeEntries(TailPosition position, StreamEntry[] read, List<MonarchLogEntry> entries)
        {
            foreach (var streamEntry in read)
            {
                if (StoredBlock.IsBlock(streamEntry))
                {
                    _blockInVersion1 = true;
                    _blocks.Take(position, new[] { streamEntry }, Array.Empty<StreamEntry>(), entries);
                    continue;
                }

                var entry = Version1Entry.Decode(position.Partition, streamEntry);
                var id = LogEntryId.Parse(entry.Id!);
                if (id.Position.CompareTo(position.Last) <= 0) continue; // delivered or passed over already
                position.Last = id.Position;
                entries.Add(entry);
            }
        }

        private bool InTimeRange(MonarchLogEntry entry) =>
            (_filter.Query.Since is not { } since || entry.Timestamp >= since.ToUniversalTime())
            && (_filter.Query.Until is not { } until || entry.Timestamp < until.ToUniversalTime());

        private void Nudge(RedisValue writtenKeys)
        {
            // The message names the streams a batch wrote to; one this tail does not know may be
            // a partition born since the last registry read (or one the filter excludes).
            foreach (var key in ((string?)writtenKeys ?? string.Empty).Split('\n'))
            {
                if (key.Length > 0 && _partitions.NoteWritten(key)) _unknownPartitionWritten = true;
            }

            // A count of one is enough: the next read takes everything written since the last.
            if (_nudge.CurrentCount == 0)
            {
                try
                {
                    _nudge.Release();
                }
                catch (SemaphoreFullException)
                {
                }
            }
        }

        /// <summary>Ends the subscription to writers' nudges and releases the tail's resources; stop reading first.</summary>
        public void Dispose()
        {
            try
            {
                _subscriber?.Unsubscribe(_channel, _onNudge, CommandFlags.FireAndForget);
            }
            catch (Exception ex) when (ex is RedisException || ex is ObjectDisposedException)
            {
            }

            _nudge.Dispose();
            _blocks.Dispose();
        }
    }
}
