using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using MonarchLogs.Core.Query;
using MonarchLogs.Core.Storage;
using StackExchange.Redis;

namespace MonarchLogs.Core.Tail
{
    /// <summary>
    /// A live tail. StackExchange.Redis has no blocking stream read on a shared connection, so
    /// writers publish a nudge after each batch and the tail reads on from the last Id it saw
    /// in every partition, with one non-blocking XREAD for all of them. A slow poll covers
    /// writers that do not publish; when idle it costs one XREAD per poll interval plus a
    /// registry read every <see cref="RegistryRefreshInterval"/>.
    /// </summary>
    public sealed class LogTail : IDisposable
    {
        public static readonly TimeSpan DefaultPollInterval = TimeSpan.FromSeconds(1);
        public static readonly TimeSpan RegistryRefreshInterval = TimeSpan.FromSeconds(5);
        private const int ReadCountPerPartition = 500;

        private readonly LogStore _store;
        private readonly LogFilter _filter;
        private readonly Dictionary<string, (Partition Partition, StreamId Last)> _positions = new Dictionary<string, (Partition, StreamId)>(StringComparer.Ordinal);
        private readonly SemaphoreSlim _nudge = new SemaphoreSlim(0, 1);
        private readonly RedisChannel _channel;
        private readonly DateTime _openedUtc;
        private DateTime _registryReadUtc;
        private readonly ConcurrentDictionary<string, bool> _knownKeys = new ConcurrentDictionary<string, bool>(StringComparer.Ordinal);
        private bool _moreWaiting;
        private volatile bool _unknownPartitionWritten;
        private readonly Action<RedisChannel, RedisValue> _onNudge;
        private ISubscriber? _subscriber;

        private LogTail(LogStore store, LogFilter filter)
        {
            _store = store;
            _filter = filter;
            _channel = RedisChannel.Literal(store.Format.NotifyChannel);
            _openedUtc = DateTime.UtcNow;
            _onNudge = (_, message) => Nudge(message);
        }

        /// <summary>The last failure to read, for verbose output; null after a good read.</summary>
        public Exception? LastError { get; private set; }

        internal static async Task<LogTail> OpenAsync(LogStore store, LogFilter filter, CancellationToken cancellationToken)
        {
            var tail = new LogTail(store, filter);
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
            var reader = new MergedReader(_store.Database, _positions.Values.Select(p => p.Partition).ToList(), new LogFilter(_filter.Query with { OldestFirst = false, Limit = count }));
            await foreach (var entry in reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var id = LogEntryId.Parse(entry.Id!);
                var key = _store.Format.GetPartition(id.Service, id.Level).StreamKey;
                if (_positions.TryGetValue(key, out var known) && id.Position.CompareTo(known.Last) > 0) continue;
                backlog.Add(entry);
                if (backlog.Count == count) break;
            }

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

        /// <summary>
        /// One XREAD for all partitions on one server; on a cluster, where one command may only
        /// name keys of one slot, one XREAD per partition, sent together.
        /// </summary>
        private async Task<(RedisKey Key, StreamEntry[] Entries)[]> ReadStreamsAsync(StreamPosition[] positions)
        {
            if (!_store.IsCluster)
            {
                var streams = await _store.Database.StreamReadAsync(positions, ReadCountPerPartition).ConfigureAwait(false);
                return streams.Select(stream => (stream.Key, stream.Entries)).ToArray();
            }

            var reads = positions.Select(position => _store.Database.StreamReadAsync(position.Key, position.Position, ReadCountPerPartition)).ToArray();
            var results = await Task.WhenAll(reads).ConfigureAwait(false);
            return positions.Select((position, i) => (position.Key, results[i])).ToArray();
        }

        private async Task<IReadOnlyList<MonarchLogEntry>> ReadNewAsync(CancellationToken cancellationToken)
        {
            _moreWaiting = false;
            if (_positions.Count == 0) return Array.Empty<MonarchLogEntry>();
            var tracked = _positions.Values.ToArray();
            var positions = tracked.Select(p => new StackExchange.Redis.StreamPosition(p.Partition.StreamKey, p.Last.ToString())).ToArray();
            var streams = await ReadStreamsAsync(positions).WithCancellation(cancellationToken).ConfigureAwait(false);
            var found = new List<(LogEntryId Id, MonarchLogEntry Entry)>();
            foreach (var stream in streams)
            {
                if (stream.Entries.Length == 0) continue;
                var key = (string)stream.Key!;
                var partition = _positions[key].Partition;
                StreamId last = default;
                foreach (var streamEntry in stream.Entries)
                {
                    var entry = StorageFormat.Decode(partition, streamEntry);
                    var id = LogEntryId.Parse(entry.Id!);
                    last = id.Position;
                    if (_filter.Matches(entry) && InTimeRange(entry)) found.Add((id, entry));
                }

                _positions[key] = (partition, last);
                if (stream.Entries.Length == ReadCountPerPartition) _moreWaiting = true;
            }

            found.Sort((a, b) => a.Id.CompareTo(b.Id));
            return found.Select(f => f.Entry).ToList();
        }

        private bool InTimeRange(MonarchLogEntry entry) =>
            (_filter.Query.Since is not { } since || entry.Timestamp >= since.ToUniversalTime())
            && (_filter.Query.Until is not { } until || entry.Timestamp < until.ToUniversalTime());

        /// <summary>
        /// Reads the registry. At open, each partition starts at its last entry; a partition
        /// registered later starts at the time the tail opened, so its first entries are shown.
        /// </summary>
        private async Task RefreshPartitionsAsync(bool startAtEnd, CancellationToken cancellationToken)
        {
            var partitions = (await _store.GetPartitionsAsync(cancellationToken).ConfigureAwait(false)).Where(_filter.Includes).ToList();
            _registryReadUtc = DateTime.UtcNow;
            foreach (var partition in partitions) _knownKeys[partition.StreamKey] = true;
            var fresh = partitions.Where(p => !_positions.ContainsKey(p.StreamKey)).ToList();
            if (fresh.Count == 0) return;
            if (!startAtEnd)
            {
                var opened = new StreamId(StreamId.ToUnixMilliseconds(_openedUtc), 0);
                foreach (var partition in fresh) _positions[partition.StreamKey] = (partition, opened);
                return;
            }

            var tops = fresh.Select(p => _store.Database.StreamRangeAsync(p.StreamKey, "-", "+", 1, Order.Descending)).ToArray();
            for (var i = 0; i < fresh.Count; i++)
            {
                var top = await tops[i].WithCancellation(cancellationToken).ConfigureAwait(false);
                var last = top.Length > 0 && StreamId.TryParse(top[0].Id, out var position) ? position : new StreamId(0, 0);
                _positions[fresh[i].StreamKey] = (fresh[i], last);
            }
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
