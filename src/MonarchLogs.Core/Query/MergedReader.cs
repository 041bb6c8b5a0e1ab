using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using MonarchLogs.Core.Format;
using MonarchLogs.Core.Format.Blocks;
using StackExchange.Redis;

namespace MonarchLogs.Core.Query
{
    /// <summary>
    /// Merges the partitions of a query in store order. Each partition is read by a cursor of the
    /// store's format (<see cref="StreamCursor"/>, <see cref="BlockCursor"/>) in pages, so memory
    /// stays flat and a caller that takes a few entries costs a few. A partition whose read the
    /// server refuses (WRONGTYPE, NOPERM) is reported and dropped; the merge goes on with the others.
    /// </summary>
    internal sealed class MergedReader
    {
        private const int FirstPageSize = 128;

        private readonly IDatabase _db;
        private readonly IReadOnlyList<Partition> _partitions;
        private readonly LogFilter _filter;
        private readonly Action<PartitionError>? _partitionError;
        private readonly int _version;

        /// <summary>A reader of <paramref name="partitions"/> in a store of format <paramref name="version"/> (<see cref="StoreReader.Version"/>): 1 reads stream entries, 2 reads blocks.</summary>
        public MergedReader(IDatabase db, IReadOnlyList<Partition> partitions, LogFilter filter, Action<PartitionError>? partitionError, int version = 1)
        {
            _db = db;
            _partitions = partitions;
            _filter = filter;
            _partitionError = partitionError;
            _version = version;
        }

        public IAsyncEnumerable<MonarchLogEntry> ReadAsync(CancellationToken cancellationToken) =>
            MergeAsync(cursor => cursor.Take(), _filter.Matches, lines: false, cancellationToken);

        /// <summary>
        /// The entries as the store holds them, merged as <see cref="ReadAsync"/> merges them: the
        /// blocks' payload lines, not decoded, when the filter needs no entry's content.
        /// </summary>
        public IAsyncEnumerable<StoredEntry> ReadStoredAsync(CancellationToken cancellationToken) =>
            _filter.ReadsContent
                ? MergeAsync(cursor => cursor.TakeStored(), stored => _filter.Matches(stored.Entry!), lines: false, cancellationToken)
                : MergeAsync(cursor => cursor.TakeStored(), null, lines: true, cancellationToken);

        private async IAsyncEnumerable<T> MergeAsync<T>(Func<PartitionCursor, T> take, Func<T, bool>? matches, bool lines, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            var descending = !_filter.Query.OldestFirst;
            var firstPage = _filter.Query.Limit ?? FirstPageSize;
            var blocks = _version >= 2;
            using var decoder = blocks ? new BlockDecoder() : null;
            // Payload lines: each partition's next block is decoded ahead on another thread while the merge goes on.
            using var aheadDecoders = blocks && lines ? new BlockDecoderPool() : null;
            var skip = blocks ? BlockSkip.For(_filter.Query) : null;
            var cursors = new List<PartitionCursor>(_partitions.Count);
            foreach (var partition in _partitions)
            {
                var range = StreamRange.For(partition, _filter, exactToTick: blocks);
                if (range.IsEmpty) continue;
                cursors.Add(blocks
                    ? new BlockCursor(_db, partition, range, descending, skip!, decoder!, _partitionError) { ReadsLines = lines, AheadDecoders = aheadDecoders }
                    : new StreamCursor(_db, partition, range, descending, firstPage));
            }

            // All first pages go out in one pipeline before the first await.
            foreach (var cursor in cursors) cursor.Start();

            // Each cursor is brought to its current entry once; after that only the cursor an
            // entry was taken from moves, so an entry costs a look at partitions' current
            // position (no await, no parsing). The cursors are kept as a binary heap whose top comes
            // first: an entry costs a few comparisons, whatever the number of partitions.
            var live = new List<PartitionCursor>(cursors.Count);
            foreach (var cursor in cursors)
            {
                if (await EnsureCurrentAsync(cursor, cancellationToken).ConfigureAwait(false)) live.Add(cursor);
            }

            for (var i = (live.Count / 2) - 1; i >= 0; i--) SiftDown(live, i, descending);
            while (live.Count > 0)
            {
                var best = live[0];
                var entry = take(best);
                if (matches is null || matches(entry)) yield return entry;

                // After the caller has it: a caller that stops here never waits for the next page.
                if (!await EnsureCurrentAsync(best, cancellationToken).ConfigureAwait(false))
                {
                    live[0] = live[live.Count - 1];
                    live.RemoveAt(live.Count - 1);
                }

                SiftDown(live, 0, descending);
            }
        }

        /// <summary>Moves the cursor at <paramref name="index"/> down the heap until none below it comes first.</summary>
        [MethodImpl(HotPath.Options)]
        private static void SiftDown(List<PartitionCursor> heap, int index, bool descending)
        {
            while (true)
            {
                var first = index;
                var left = (2 * index) + 1;
                if (left < heap.Count && Precedes(heap[left], heap[first], descending)) first = left;
                if (left + 1 < heap.Count && Precedes(heap[left + 1], heap[first], descending)) first = left + 1;
                if (first == index) return;
                (heap[index], heap[first]) = (heap[first], heap[index]);
                index = first;
            }
        }

        /// <summary>
        /// Brings a cursor to its next entry; false when it has none, or its read was refused
        /// (reported). An entry of a page already read is taken without an await.
        /// </summary>
        private ValueTask<bool> EnsureCurrentAsync(PartitionCursor cursor, CancellationToken cancellationToken)
        {
            try
            {
                if (cursor.TryMoveNext()) return new ValueTask<bool>(true);
            }
            catch (Exception ex) when (PartitionError.FromReadFailure(cursor.Partition, ex) is { } failure)
            {
                _partitionError?.Invoke(failure);
                return new ValueTask<bool>(false);
            }

            return new ValueTask<bool>(ReadCurrentAsync(cursor, cancellationToken));
        }

        private async Task<bool> ReadCurrentAsync(PartitionCursor cursor, CancellationToken cancellationToken)
        {
            try
            {
                return await cursor.EnsureCurrentAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (PartitionError.FromReadFailure(cursor.Partition, ex) is { } failure)
            {
                _partitionError?.Invoke(failure);
                return false;
            }
        }

        private static bool Precedes(PartitionCursor a, PartitionCursor b, bool descending)
        {
            var order = a.CurrentPosition.CompareTo(b.CurrentPosition);
            if (order == 0) order = string.CompareOrdinal(a.Partition.OrderKey, b.Partition.OrderKey);
            return descending ? order > 0 : order < 0;
        }
    }
}
