using MonarchLogs.Core.Format;
using MonarchLogs.Core.Format.Blocks;

namespace MonarchLogs.Core.Query
{
    /// <summary>
    /// An entry as a read of the store hands it on, at its position in its partition: decoded
    /// (<see cref="Entry"/>), or a line of a block's payload left as it is (<see cref="Lines"/>,
    /// <see cref="Line"/>), which a caller that copies entries (an export) need not decode.
    /// </summary>
    internal readonly struct StoredEntry
    {
        public StoredEntry(Partition partition, StreamId position, MonarchLogEntry entry)
        {
            Partition = partition;
            Position = position;
            Entry = entry;
            Lines = null;
            Line = 0;
        }

        public StoredEntry(Partition partition, StreamId position, PayloadLines lines, int line)
        {
            Partition = partition;
            Position = position;
            Entry = null;
            Lines = lines;
            Line = line;
        }

        public Partition Partition { get; }

        public StreamId Position { get; }

        /// <summary>The entry, when it was decoded; null for a payload line.</summary>
        public MonarchLogEntry? Entry { get; }

        /// <summary>The payload lines of the entry's block, when it was not decoded.</summary>
        public PayloadLines? Lines { get; }

        /// <summary>The entry's line in <see cref="Lines"/>.</summary>
        public int Line { get; }
    }
}
