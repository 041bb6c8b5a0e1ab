using MonarchLogs.Core.Format;

namespace MonarchLogs.Core.Tail
{
    /// <summary>
    /// Where a live tail stands in one partition. Each Id only moves forward: it is the last one
    /// delivered or passed over, and nothing at or before it is delivered again.
    /// </summary>
    internal sealed class TailPosition
    {
        public TailPosition(Partition partition, StreamId last)
        {
            Partition = partition;
            Last = last;
        }

        public Partition Partition { get; }

        /// <summary>The last stream ID read in the partition's stream.</summary>
        public StreamId Last { get; set; }

        /// <summary>Version 2: the last block ID read in the partition's head.</summary>
        public StreamId HeadLast { get; set; }

        /// <summary>Version 2: the entries of the head the tail has accounted for, until a compaction block takes them.</summary>
        public HeadLedger Head { get; } = new HeadLedger();

        /// <summary>The streams one read of the partition names: its stream, and on version 2 (<paramref name="blocks"/>) its head.</summary>
        public (string Key, StreamId After)[] Streams(bool blocks) =>
            blocks ? new[] { (Partition.StreamKey, Last), (Partition.HeadKey, HeadLast) } : new[] { (Partition.StreamKey, Last) };

        /// <summary>Version 2: the blocks already read, by writer and sequence, so that a block a retry stored twice shows once.</summary>
        public BlockRepeats Repeats { get; } = new BlockRepeats();
    }
}
