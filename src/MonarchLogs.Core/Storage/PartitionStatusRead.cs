using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using MonarchLogs.Core.Format;
using MonarchLogs.Core.Statistics;
using StackExchange.Redis;

namespace MonarchLogs.Core.Storage
{
    /// <summary>The commands for one partition, all started at once so they share one pipeline.</summary>
    internal class PartitionStatusRead
    {
        private readonly Task<long?> _length = null!;
        private readonly Task<StreamEntry[]> _first = null!;
        private readonly Task<StreamEntry[]> _last = null!;
        private readonly Task<RedisResult?> _memory = null!;

        protected PartitionStatusRead(Partition partition) => Partition = partition;

        public PartitionStatusRead(IDatabase db, Partition partition)
        {
            Partition = partition;
            var key = (RedisKey)partition.StreamKey;
            _length = StoreStatusReader.RefusedAsNull(db.StreamLengthAsync(key));
            _first = db.StreamRangeAsync(key, "-", "+", 1, Order.Ascending);
            _last = db.StreamRangeAsync(key, "-", "+", 1, Order.Descending);
            _memory = StoreStatusReader.RefusedAsNull(db.ExecuteAsync("MEMORY", (RedisValue)"USAGE", key));
        }

        public Partition Partition { get; }

        public virtual async Task<PartitionStatus> CompleteAsync(CancellationToken cancellationToken)
        {
            // All four replies are awaited before any failure is looked at, so none is left unobserved.
            try
            {
                await Task.WhenAll(_length, _first, _last, _memory).WithCancellation(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception) when (!cancellationToken.IsCancellationRequested)
            {
            }

            var length = await _length.ConfigureAwait(false);
            var first = await _first.ConfigureAwait(false);
            var last = await _last.ConfigureAwait(false);
            var memory = await _memory.ConfigureAwait(false);
            return new PartitionStatus
            {
                Service = Partition.Service,
                Level = Partition.Level,
                Entries = length,
                Oldest = EntryTime(first),
                Newest = EntryTime(last),
                // A stream removed since the registry was read has no usage: it takes no memory.
                MemoryBytes = memory is null ? null : memory.IsNull ? 0 : (long)memory,
            };
        }

        private static DateTime? EntryTime(StreamEntry[] entries) =>
            entries.Length > 0 && StreamId.TryParse(entries[0].Id, out var id) ? StreamId.ToUtcTime(id.Milliseconds) : null;
    }

    /// <summary>
    /// Version 2: the entries are the sum of the hour counts (the append script counts every
    /// block as it adds it); the oldest and newest event times are the block headers'
    /// (<see cref="BlockTimeBounds"/>); the memory is that of the stream, the head and the late set.
    /// </summary>
    internal sealed class BlockPartitionStatusRead : PartitionStatusRead
    {
        private readonly Task<HashEntry[]?> _hours;
        private readonly BlockTimeBounds _bounds;
        private readonly Task<RedisResult?>[] _memory;

        public BlockPartitionStatusRead(IDatabase db, Partition partition)
            : base(partition)
        {
            _hours = StoreStatusReader.RefusedAsNull(db.HashGetAllAsync(partition.HourCountsKey));
            _bounds = new BlockTimeBounds(db, partition);
            _memory = new[] { partition.StreamKey, partition.HeadKey, partition.LateKey }.Select(key => StoreStatusReader.RefusedAsNull(db.ExecuteAsync("MEMORY", (RedisValue)"USAGE", (RedisKey)key))).ToArray();
        }

        public override async Task<PartitionStatus> CompleteAsync(CancellationToken cancellationToken)
        {
            try
            {
                await Task.WhenAll(_memory.Append<Task>(_hours)).WithCancellation(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception) when (!cancellationToken.IsCancellationRequested)
            {
            }

            var (oldest, newest) = await _bounds.CompleteAsync(cancellationToken).ConfigureAwait(false);
            var hours = await _hours.ConfigureAwait(false);
            var memory = new List<RedisResult?>(_memory.Length);
            foreach (var usage in _memory) memory.Add(await usage.ConfigureAwait(false));
            return new PartitionStatus
            {
                Service = Partition.Service,
                Level = Partition.Level,
                Entries = hours?.Sum(h => (long)h.Value),
                Oldest = oldest,
                Newest = newest,
                // A key that does not exist has no usage: it takes no memory.
                MemoryBytes = memory.Any(m => m is null) ? null : memory.Sum(m => m!.IsNull ? 0 : (long)m),
            };
        }
    }
}
