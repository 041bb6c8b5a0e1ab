using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using MonarchLogs.Core.Format;
using StackExchange.Redis;

namespace MonarchLogs.Core.Query
{
    /// <summary>
    /// Merges the partitions of a query in store order. Each partition is read in pages by ID
    /// range in pages that grow from the caller's limit to 1024, so memory stays flat and a
    /// caller that takes a few entries costs a few; at most two pages per partition are held.
    /// A partition whose read the server refuses (WRONGTYPE, NOPERM) is reported and dropped; the
    /// merge goes on with the others.
    /// </summary>
    internal sealed class MergedReader
    {
        private const int FirstPageSize = 128;
        private const int PageSize = 1024;

        private readonly IDatabase _db;
        private readonly IReadOnlyList<Partition> _partitions;
        private readonly LogFilter _filter;
        private readonly Action<PartitionError>? _partitionError;

        public MergedReader(IDatabase db, IReadOnlyList<Partition> partitions, LogFilter filter, Action<PartitionError>? partitionError)
        {
            _db = db;
            _partitions = partitions;
            _filter = filter;
            _partitionError = partitionError;
        }

        public async IAsyncEnumerable<MonarchLogEntry> ReadAsync([EnumeratorCancellation] CancellationToken cancellationToken)
        {
            var descending = !_filter.Query.OldestFirst;
            var firstPage = Math.Min(PageSize, _filter.Query.Limit ?? FirstPageSize);
            var cursors = new List<PartitionCursor>(_partitions.Count);
            foreach (var partition in _partitions)
            {
                var range = StreamRange.For(partition, _filter);
                if (!range.IsEmpty) cursors.Add(new PartitionCursor(_db, partition, range, descending, firstPage));
            }

            // All first pages go out in one pipeline before the first await.
            foreach (var cursor in cursors) cursor.Start();

            // Each cursor is brought to its current entry once; after that only the cursor an
            // entry was taken from moves, so an entry costs one look at each partition's current
            // position (no await, no parsing), whatever the number of partitions.
            var live = new List<PartitionCursor>(cursors.Count);
            foreach (var cursor in cursors)
            {
                if (await EnsureCurrentAsync(cursor, cancellationToken).ConfigureAwait(false)) live.Add(cursor);
            }

            while (live.Count > 0)
            {
                var bestIndex = 0;
                for (var i = 1; i < live.Count; i++)
                {
                    if (Precedes(live[i], live[bestIndex], descending)) bestIndex = i;
                }

                var best = live[bestIndex];
                var entry = best.Take();
                if (_filter.Matches(entry)) yield return entry;

                // After the caller has it: a caller that stops here never waits for the next page.
                if (!await EnsureCurrentAsync(best, cancellationToken).ConfigureAwait(false)) live.RemoveAt(bestIndex);
            }
        }

        /// <summary>Brings a cursor to its next entry; false when it has none, or its read was refused (reported).</summary>
        private async Task<bool> EnsureCurrentAsync(PartitionCursor cursor, CancellationToken cancellationToken)
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

        private sealed class PartitionCursor
        {
            private readonly IDatabase _db;
            private readonly bool _descending;
            private StreamRange _range;
            private int _pageSize;
            private Task<StreamEntry[]>? _next;
            private StreamEntry[] _page = Array.Empty<StreamEntry>();
            private int _index;
            private bool _exhausted;

            public PartitionCursor(IDatabase db, Partition partition, StreamRange range, bool descending, int firstPageSize)
            {
                _db = db;
                Partition = partition;
                _range = range;
                _descending = descending;
                _pageSize = firstPageSize;
            }

            public Partition Partition { get; }

            public StreamId CurrentPosition { get; private set; }

            public void Start() => _next = FetchNext();

            public async Task<bool> EnsureCurrentAsync(CancellationToken cancellationToken)
            {
                while (_index >= _page.Length)
                {
                    if (_exhausted) return false;
                    _next ??= FetchNext();
                    _page = await _next.WithCancellation(cancellationToken).ConfigureAwait(false);
                    _next = null;
                    _index = 0;
                    _exhausted = _page.Length < _pageSize;
                    if (_page.Length == 0) return false;
                    StreamId.TryParse(_page[_page.Length - 1].Id, out var last);
                    _range = _range.ContinueAfter(last, _descending);
                    _pageSize = Math.Min(PageSize, _pageSize * 2);
                }

                // Half way through a page, ask for the next one, so the merge rarely waits and a
                // caller that stops early has not made the server read far ahead.
                if (_next is null && !_exhausted && _index >= _page.Length / 2) _next = FetchNext();
                StreamId.TryParse(_page[_index].Id, out var position);
                CurrentPosition = position;
                return true;
            }

            public MonarchLogEntry Take() => StorageFormat.Decode(Partition, _page[_index++], CurrentPosition);

            private Task<StreamEntry[]> FetchNext() =>
                _db.StreamRangeAsync(Partition.StreamKey, _range.LowArgument, _range.HighArgument, _pageSize, _descending ? Order.Descending : Order.Ascending);
        }
    }
}
