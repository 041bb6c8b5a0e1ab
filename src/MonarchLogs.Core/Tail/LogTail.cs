using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using MonarchLogs.Core.Connection;
using MonarchLogs.Core.Query;
using MonarchLogs.Core.Format;
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
    /// </summary>
    public sealed class LogTail : IDisposable
    {
        /// <summary>How long the tail waits for a writer's nudge before it reads anyway.</summary>
        public static readonly TimeSpan DefaultPollInterval = TimeSpan.FromSeconds(1);
        /// <summary>How often the tail reads the registry again to pick up new partitions and retry those set aside.</summary>
        public static readonly TimeSpan RegistryRefreshInterval = TimeSpan.FromSeconds(5);
        private const int ReadCountPerPartition = 500;

        /// <summary>
        /// How far before the tail opened a partition registered later is read from. None of its
        /// entries can have been shown (the backlog reads only the partitions known at open), so
        /// this costs no duplicate; it keeps an entry stamped in the very millisecond the tail
        /// opened, or by a writer whose clock is a little behind, from being passed over.
        /// </summary>
        internal static readonly TimeSpan NewPartitionSlack = TimeSpan.FromSeconds(1);

        private readonly StoreReader _store;
        private readonly LogFilter _filter;
        private readonly Action<PartitionError>? _partitionError;
        private readonly Dictionary<string, (Partition Partition, StreamId Last)> _positions = new Dictionary<string, (Partition, StreamId)>(StringComparer.Ordinal);
        private readonly Dictionary<string, (Partition Partition, StreamId Last)> _setAside = new Dictionary<string, (Partition, StreamId)>(StringComparer.Ordinal);
        private readonly HashSet<string> _reported = new HashSet<string>(StringComparer.Ordinal);
        private readonly SemaphoreSlim _nudge = new SemaphoreSlim(0, 1);
        private readonly RedisChannel _channel;
        private readonly StreamId _openedPosition;
        private DateTime _registryReadUtc;
        private readonly ConcurrentDictionary<string, bool> _knownKeys = new ConcurrentDictionary<string, bool>(StringComparer.Ordinal);
        private bool _moreWaiting;
        private volatile bool _unknownPartitionWritten;
        private readonly Action<RedisChannel, RedisValue> _onNudge;
        private ISubscriber? _subscriber;

        private LogTail(StoreReader store, LogFilter filter, Action<PartitionError>? partitionError)
        {
            _store = store;
            _filter = filter;
            _partitionError = partitionError;
            _channel = RedisChannel.Literal(store.Format.NotifyChannel);
            _openedPosition = new StreamId(StreamId.ToUnixMilliseconds(DateTime.UtcNow - NewPartitionSlack), 0);
            _onNudge = (_, message) => Nudge(message);
        }

        /// <summary>The last failure to read, for verbose output; null after a good read.</summary>
        public Exception? LastError { get; private set; }

        internal static async Task<LogTail> OpenAsync(StoreReader store, LogFilter filter, Action<PartitionError>? partitionError, CancellationToken cancellationToken)
        {
            var tail = new LogTail(store, filter, partitionError);
            try
            {
                tail._subscriber = store.Connection.GetSubscriber();
                await tail._subscriber.SubscribeAsync(tail._channel, tail._onNudge).WithCancellation(cancellationToken).ConfigureAwait(false);
                await tail.RefreshPartitionsAsync(startAtEnd: true, cancellationToken).ConfigureAwait(false);
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
            var reader = new MergedReader(_store.Database, _positions.Values.Select(p => p.Partition).ToList(),
                new LogFilter(_filter.Query with { OldestFirst = false, Limit = count }), SetAside);
            var newest = new Dictionary<string, StreamId>(StringComparer.Ordinal);
            await foreach (var entry in reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var id = LogEntryId.Parse(entry.Id!);
                var key = _store.Format.GetPartition(id.Service, id.Level).StreamKey;
                if (!_positions.TryGetValue(key, out var known) || id.Position.CompareTo(known.Last) > 0) continue;
                backlog.Add(entry);
                if (!newest.ContainsKey(key)) newest[key] = id.Position;
                if (backlog.Count == count) break;
            }

            // What the backlog delivered is delivered: the live reads start after it.
            foreach (var delivered in newest) Advance(delivered.Key, delivered.Value);
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
            if (!_moreWaiting) await _nudge.WaitAsync(pollInterval, cancellationToken).ConfigureAwait(false);
            try
            {
                // After a reconnect, the tail reads on only as the user it logged in as.
                await StoreConnection.EnsureVerifiedAsync(_store.Connection, cancellationToken).ConfigureAwait(false);
                if (_unknownPartitionWritten || DateTime.UtcNow - _registryReadUtc >= RegistryRefreshInterval)
                {
                    _unknownPartitionWritten = false;
                    await RefreshPartitionsAsync(startAtEnd: false, cancellationToken).ConfigureAwait(false);
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
            if (_positions.Count == 0) return Array.Empty<MonarchLogEntry>();
            var tracked = _positions.ToArray();
            StreamEntry[][] read;
            try
            {
                read = await ReadAfterAsync(tracked.Select(p => (p.Key, p.Value.Last)).ToArray(), cancellationToken).ConfigureAwait(false);
            }
            catch (RedisServerException)
            {
                // One XREAD for all partitions fails as a whole when one of them cannot be read:
                // read them one by one to find which, set that one aside and keep the others.
                read = new StreamEntry[tracked.Length][];
                var singles = tracked.Select(p => ReadAfterAsync(new[] { (p.Key, p.Value.Last) }, cancellationToken)).ToArray();
                for (var i = 0; i < tracked.Length; i++)
                {
                    try
                    {
                        read[i] = (await singles[i].ConfigureAwait(false))[0];
                    }
                    catch (Exception ex) when (PartitionError.FromReadFailure(tracked[i].Value.Partition, ex) is { } failure)
                    {
                        SetAside(failure);
                        read[i] = Array.Empty<StreamEntry>();
                    }
                }
            }

            var found = new List<(LogEntryId Id, MonarchLogEntry Entry)>();
            for (var i = 0; i < tracked.Length; i++)
            {
                var key = tracked[i].Key;
                if (read[i].Length == 0 || !_positions.TryGetValue(key, out var position)) continue;
                foreach (var streamEntry in read[i])
                {
                    var entry = StorageFormat.Decode(position.Partition, streamEntry);
                    var id = LogEntryId.Parse(entry.Id!);
                    if (id.Position.CompareTo(position.Last) <= 0) continue; // delivered or passed over already
                    position.Last = id.Position;
                    if (_filter.Matches(entry) && InTimeRange(entry)) found.Add((id, entry));
                }

                _positions[key] = position;
                if (read[i].Length == ReadCountPerPartition) _moreWaiting = true;
            }

            found.Sort((a, b) => a.Id.CompareTo(b.Id));
            return found.Select(f => f.Entry).ToList();
        }

        /// <summary>
        /// One XREAD of the given streams after the given Ids; the entries of each, in the order
        /// asked. On a cluster, where one command may name keys of one slot only, one XREAD per
        /// stream, sent together.
        /// </summary>
        private async Task<StreamEntry[][]> ReadAfterAsync((string Key, StreamId After)[] streams, CancellationToken cancellationToken)
        {
            if (_store.IsCluster && streams.Length > 1)
            {
                var reads = streams.Select(s => _store.Database.StreamReadAsync(s.Key, s.After.ToString(), ReadCountPerPartition)).ToArray();
                await Task.WhenAll(reads).WithCancellation(cancellationToken).ConfigureAwait(false);
                return reads.Select(read => read.Result).ToArray();
            }

            var positions = streams.Select(s => new StackExchange.Redis.StreamPosition(s.Key, s.After.ToString())).ToArray();
            var replies = await _store.Database.StreamReadAsync(positions, ReadCountPerPartition).WithCancellation(cancellationToken).ConfigureAwait(false);
            var byKey = new Dictionary<string, StreamEntry[]>(StringComparer.Ordinal);
            foreach (var reply in replies) byKey[(string)reply.Key!] = reply.Entries;
            return streams.Select(s => byKey.TryGetValue(s.Key, out var entries) ? entries : Array.Empty<StreamEntry>()).ToArray();
        }

        private bool InTimeRange(MonarchLogEntry entry) =>
            (_filter.Query.Since is not { } since || entry.Timestamp >= since.ToUniversalTime())
            && (_filter.Query.Until is not { } until || entry.Timestamp < until.ToUniversalTime());

        /// <summary>
        /// Reads the registry. At open, each partition starts at its last entry; a partition
        /// registered later starts at the time the tail opened (less <see cref="NewPartitionSlack"/>),
        /// so its first entries are shown.
        /// Partitions set aside are tried again here. A partition already tracked keeps its
        /// position: a registry read never moves one back.
        /// </summary>
        private async Task RefreshPartitionsAsync(bool startAtEnd, CancellationToken cancellationToken)
        {
            var partitions = (await _store.GetPartitionsAsync(ReportOnce, cancellationToken).ConfigureAwait(false)).Where(_filter.Includes).ToList();
            _registryReadUtc = DateTime.UtcNow;
            foreach (var partition in partitions) _knownKeys[partition.StreamKey] = true;

            // A partition set aside comes back at the position it had, if it reads again.
            var retry = partitions.Where(p => _setAside.ContainsKey(p.StreamKey)).ToList();
            foreach (var partition in retry)
            {
                var position = _setAside[partition.StreamKey];
                try
                {
                    await ReadAfterAsync(new[] { (partition.StreamKey, position.Last) }, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (PartitionError.FromReadFailure(partition, ex) is not null)
                {
                    continue;
                }

                _setAside.Remove(partition.StreamKey);
                _reported.Remove(partition.StreamKey);
                _positions[partition.StreamKey] = position;
            }

            var fresh = partitions.Where(p => !_positions.ContainsKey(p.StreamKey) && !_setAside.ContainsKey(p.StreamKey)).ToList();
            if (fresh.Count == 0) return;
            if (!startAtEnd)
            {
                foreach (var partition in fresh) _positions[partition.StreamKey] = (partition, _openedPosition);
                return;
            }

            var tops = fresh.Select(p => _store.Database.StreamRangeAsync(p.StreamKey, "-", "+", 1, Order.Descending)).ToArray();
            for (var i = 0; i < fresh.Count; i++)
            {
                StreamEntry[] top;
                try
                {
                    top = await tops[i].WithCancellation(cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (PartitionError.FromReadFailure(fresh[i], ex) is { } failure)
                {
                    _setAside[fresh[i].StreamKey] = (fresh[i], _openedPosition);
                    ReportOnce(failure);
                    continue;
                }

                var last = top.Length > 0 && StreamId.TryParse(top[0].Id, out var position) ? position : new StreamId(0, 0);
                _positions[fresh[i].StreamKey] = (fresh[i], last);
            }
        }

        /// <summary>Moves a partition's position forward to <paramref name="delivered"/>; never back.</summary>
        private void Advance(string key, StreamId delivered)
        {
            if (_positions.TryGetValue(key, out var position) && delivered.CompareTo(position.Last) > 0) _positions[key] = (position.Partition, delivered);
        }

        /// <summary>Stops reading a partition the server refuses; it keeps its position for when it reads again.</summary>
        private void SetAside(PartitionError failure)
        {
            if (failure.Partition is { } partition && _positions.TryGetValue(partition.StreamKey, out var position))
            {
                _positions.Remove(partition.StreamKey);
                _setAside[partition.StreamKey] = position;
            }

            ReportOnce(failure);
        }

        /// <summary>Reports a partition's or registry entry's failure once, not at every registry refresh.</summary>
        private void ReportOnce(PartitionError failure)
        {
            if (_reported.Add(failure.Key)) _partitionError?.Invoke(failure);
        }

        private void Nudge(RedisValue writtenKeys)
        {
            // The message names the streams a batch wrote to; one this tail does not know may be
            // a partition born since the last registry read (or one the filter excludes).
            foreach (var key in ((string?)writtenKeys ?? string.Empty).Split('\n'))
            {
                if (key.Length > 0 && !_knownKeys.ContainsKey(key))
                {
                    _knownKeys[key] = true;
                    _unknownPartitionWritten = true;
                }
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
        }
    }
}
