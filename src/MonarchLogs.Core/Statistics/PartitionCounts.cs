using System.Collections.Generic;
using System.Linq;
using MonarchLogs.Core.Format;

namespace MonarchLogs.Core.Statistics
{
    /// <summary>The entry counts of one partition per time bucket.</summary>
    public sealed class PartitionCounts
    {
        internal PartitionCounts(Partition partition, long[] buckets, bool countedByReading)
        {
            Partition = partition;
            Buckets = buckets;
            CountedByReading = countedByReading;
        }

        /// <summary>The partition counted.</summary>
        public Partition Partition { get; }

        /// <summary>Entries per bucket, in the order of <see cref="LogCounts.BucketStart"/>.</summary>
        public IReadOnlyList<long> Buckets { get; }

        /// <summary>Entries over all buckets.</summary>
        public long Total => Buckets.Sum();

        /// <summary>
        /// True when the partition's counts do not cover every entry of its stream (entries written
        /// by another tool or by a writer without the right to count, entries removed by hand), or
        /// the interval is not whole minutes: its entries were then counted by reading their IDs.
        /// </summary>
        public bool CountedByReading { get; }
    }
}
