using System.Collections.Generic;

namespace MonarchLogs.Core.Tail
{
    /// <summary>
    /// The positions of the entries of a partition's head blocks that a live tail has accounted
    /// for (shown, filtered out, or there when it started), until a compaction block of the stream
    /// takes them. A compaction block's entry that is not listed here was in a head block compacted
    /// before the tail read it (a head compacted at 1,024 entries may lose its last block within a
    /// millisecond): the tail shows it then, so it misses no entry and shows none twice.
    /// </summary>
    internal sealed class HeadLedger
    {
        /// <summary>More entries than a head holds between two compactions; beyond it the oldest blocks are forgotten.</summary>
        internal const int MaxEntries = 100_000;

        private readonly Dictionary<StreamId, int> _counts = new Dictionary<StreamId, int>();
        private readonly Queue<List<StreamId>> _blocks = new Queue<List<StreamId>>();
        private int _entries;

        /// <summary>Lists the positions of one head block's entries.</summary>
        public void AddBlock(List<StreamId> positions)
        {
            foreach (var position in positions) _counts[position] = _counts.TryGetValue(position, out var n) ? n + 1 : 1;
            _blocks.Enqueue(positions);
            _entries += positions.Count;
            while (_entries > MaxEntries && _blocks.Count > 1)
            {
                var oldest = _blocks.Dequeue();
                _entries -= oldest.Count;
                foreach (var position in oldest) TryTake(position);
            }
        }

        /// <summary>Takes one entry at <paramref name="position"/> off the list; false when none is listed (an entry the tail has not seen).</summary>
        public bool TryTake(StreamId position)
        {
            if (!_counts.TryGetValue(position, out var n)) return false;
            if (n == 1) _counts.Remove(position);
            else _counts[position] = n - 1;
            return true;
        }
    }
}
