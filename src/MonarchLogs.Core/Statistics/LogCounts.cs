using System;
using System.Collections.Generic;

namespace MonarchLogs.Core.Statistics
{
    /// <summary>Entry counts per partition and time bucket over [Since, Until).</summary>
    public sealed class LogCounts
    {
        internal LogCounts(DateTime since, DateTime until, TimeSpan? interval, DateTime origin, int bucketCount, IReadOnlyList<PartitionCounts> partitions)
        {
            Since = since;
            Until = until;
            Interval = interval;
            Origin = origin;
            BucketCount = bucketCount;
            Partitions = partitions;
        }

        /// <summary>The start of the range counted, inclusive, UTC.</summary>
        public DateTime Since { get; }

        /// <summary>The end of the range counted, exclusive, UTC.</summary>
        public DateTime Until { get; }

        /// <summary>The bucket length; null for one bucket over the whole range.</summary>
        public TimeSpan? Interval { get; }

        /// <summary>The start of the first bucket: Since, or Since rounded down to a whole interval (UTC).</summary>
        public DateTime Origin { get; }

        /// <summary>The number of buckets each partition has.</summary>
        public int BucketCount { get; }

        /// <summary>The counts of each partition the filter includes.</summary>
        public IReadOnlyList<PartitionCounts> Partitions { get; }

        /// <summary>The start of bucket <paramref name="index"/> (the first one is Since when that is later).</summary>
        public DateTime BucketStart(int index) =>
            Interval is { } interval ? Max(Since, Origin + TimeSpan.FromTicks(interval.Ticks * index)) : Since;

        /// <summary>The end of bucket <paramref name="index"/>, exclusive (the last one is Until when that is earlier).</summary>
        public DateTime BucketEnd(int index) =>
            Interval is { } interval ? Min(Until, Origin + TimeSpan.FromTicks(interval.Ticks * (index + 1))) : Until;

        private static DateTime Max(DateTime a, DateTime b) => a > b ? a : b;

        private static DateTime Min(DateTime a, DateTime b) => a < b ? a : b;
    }
}
