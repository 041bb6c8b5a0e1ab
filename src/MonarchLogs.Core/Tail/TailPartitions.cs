using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using MonarchLogs.Core.Format;
using MonarchLogs.Core.Format.Blocks;
using MonarchLogs.Core.Query;
using StackExchange.Redis;

namespace MonarchLogs.Core.Tail
{
    /// <summary>
    /// The partitions a live tail follows and where it stands in each; those the server refuses
    /// are set aside, reported once, and tried again at each registry read.
    /// </summary>
    internal sealed class TailPartitions
    {
        private readonly StoreReader _store;
        private readonly LogFilter _filter;
        private readonly Action<PartitionError>? _partitionError;
        private readonly BlockTailReader _blocks;
        private readonly StreamId _openedPosition;
        private readonly Dictionary<string, TailPosition> _positions = new Dictionary<string, TailPosition>(StringComparer.Ordinal);
        private readonly Dictionary<string, TailPosition> _setAside = new Dictionary<string, TailPosition>(StringComparer.Ordinal);
        private readonly HashSet<string> _reported = new HashSet<string>(StringComparer.Ordinal);
        private readonly ConcurrentDictionary<string, bool> _knownKeys = new ConcurrentDictionary<string, bool>(StringComparer.Ordinal);

        public TailPartitions(StoreReader store, LogFilter filter, Action<PartitionError>? partitionError, BlockTailReader blocks, StreamId openedPosition)
        {
            _store = store;
            _filter = filter;
            _partitionError = partitionError;
            _blocks = blocks;
            _openedPosition = openedPosition;
        }

        /// <summary>The partitions read, by stream key.</summary>
        public IReadOnlyDictionary<string, TailPosition> Tracked => _positions;

        /// <summary>When the registry was last read.</summary>
        public DateTime RegistryReadUtc { get; private set; }

        /// <summary>Whether the tail reads blocks: the store is of version 2.</summary>
        public bool ReadsBlocks => _store.Version == 2;

        /// <summary>Notes a key a writer named; true when it is new to the tail (a partition born since the last registry read, or one the filter excludes).</summary>
        public bool NoteWritten(string key) => _knownKeys.TryAdd(key, true);

        /// <summary>
        /// Reads the registry and, on version 1, the format again. At open, each partition starts at its last entry; a partition
        /// registered later starts at the time the tail opened (less <see cref="LogTail.NewPartitionSlack"/>),
        /// so its first entries are shown.
        /// Partitions set aside are tried again here. A partition already tracked keeps its
        /// position: a registry read never moves one back.
        /// </summary>
        public async Task RefreshAsync(bool startAtEnd, CancellationToken cancellationToken)
        {
            // A store of version 1 may be upgraded while the tail runs: each registry read checks.
            if (_store.Version == 1) _store.ForgetFormat();
            var partitions = (await _store.GetPartitionsAsync(ReportOnce, cancellationToken).ConfigureAwait(false)).Where(_filter.Includes).ToList();
            RegistryReadUtc = DateTime.UtcNow;
            foreach (var partition in partitions)
            {
                _knownKeys[partition.StreamKey] = true;
                _knownKeys[partition.HeadKey] = true;
            }

            // A partition set aside comes back at the position it had, if it reads again.
            var retry = partitions.Where(p => _setAside.ContainsKey(p.StreamKey)).ToList();
            foreach (var partition in retry)
            {
                var position = _setAside[partition.StreamKey];
                try
                {
                    await TailReads.ReadAfterAsync(_store, new[] { position.Streams(ReadsBlocks) }, cancellationToken).ConfigureAwait(false);
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
            if (ReadsBlocks)
            {
                foreach (var (partition, position, error) in await _blocks.StartAsync(_store.Database, fresh, startAtEnd, _openedPosition, cancellationToken).ConfigureAwait(false))
                {
                    if (position is not null) _positions[partition.StreamKey] = position;
                    else Reject(partition, error!);
                }

                return;
            }

            if (!startAtEnd)
            {
                foreach (var partition in fresh) _positions[partition.StreamKey] = new TailPosition(partition, _openedPosition);
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
                    Reject(fresh[i], failure);
                    continue;
                }

                var last = top.Length > 0 && StreamId.TryParse(top[0].Id, out var position) ? position : new StreamId(0, 0);
                _positions[fresh[i].StreamKey] = new TailPosition(fresh[i], last);
            }
        }

        /// <summary>A partition that cannot be read when the tail starts it: set aside from the time the tail opened.</summary>
        private void Reject(Partition partition, PartitionError failure)
        {
            _setAside[partition.StreamKey] = new TailPosition(partition, _openedPosition) { HeadLast = _openedPosition };
            ReportOnce(failure);
        }

        /// <summary>Moves a partition's position forward to <paramref name="delivered"/>; never back.</summary>
        public void Advance(string key, StreamId delivered)
        {
            if (_positions.TryGetValue(key, out var position) && delivered.CompareTo(position.Last) > 0) position.Last = delivered;
        }

        /// <summary>Stops reading a partition the server refuses; it keeps its position for when it reads again.</summary>
        public void SetAside(PartitionError failure)
        {
            if (failure.Partition is { } partition && _positions.TryGetValue(partition.StreamKey, out var position))
            {
                _positions.Remove(partition.StreamKey);
                _setAside[partition.StreamKey] = position;
            }

            ReportOnce(failure);
        }

        /// <summary>
        /// A failure of a read of blocks: a block that does not read is reported and the partition
        /// read on; a partition the server refuses is set aside.
        /// </summary>
        public void ReportBlockRead(PartitionError failure)
        {
            if (failure.ErrorId == BlockErrors.InvalidBlock || failure.ErrorId == BlockErrors.UnsupportedCodec) _partitionError?.Invoke(failure);
            else SetAside(failure);
        }

        /// <summary>Reports a partition's or registry entry's failure once, not at every registry refresh.</summary>
        public void ReportOnce(PartitionError failure)
        {
            if (_reported.Add(failure.Key)) _partitionError?.Invoke(failure);
        }
    }
}
