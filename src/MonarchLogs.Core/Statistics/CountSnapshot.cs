using System;
using MonarchLogs.Core.Format;
using StackExchange.Redis;

namespace MonarchLogs.Core.Statistics
{
    /// <summary>What a count reads of one partition first: its hour counts, and the times of its oldest and newest entries.</summary>
    internal sealed class CountSnapshot
    {
        public CountSnapshot(Partition partition, long length, HashEntry[] counts, DateTime? oldest, DateTime? newest, bool byEventTime = false)
        {
            Partition = partition;
            Length = length;
            HourCounts = counts;
            Oldest = oldest;
            Newest = newest;
            ByEventTime = byEventTime;
        }

        public Partition Partition { get; }

        /// <summary>Version 1: the stream's length, read with the counts; -1 when the counts cannot be read.</summary>
        public long Length { get; }

        public HashEntry[] HourCounts { get; }

        public DateTime? Oldest { get; }

        public DateTime? Newest { get; }

        /// <summary>
        /// Version 2: the counts are by event time, and are trusted as they are (the append script
        /// adds them in the same step as the block); what they cannot answer is read through the query.
        /// </summary>
        public bool ByEventTime { get; }

        /// <summary>Version 2: the counts could not be read (an ACL user without them): every bucket is counted by reading.</summary>
        public bool CountsUnreadable => Length < 0;
    }
}
