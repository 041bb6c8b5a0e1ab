using System;
using MonarchLogs.Core.Format;

namespace MonarchLogs.Core.Retention
{
    /// <summary>What removing the expired entries of one partition would do.</summary>
    public sealed class RetentionPreview
    {
        /// <summary>The partition looked at.</summary>
        public Partition Partition { get; init; } = null!;

        /// <summary>Entries older than the retention period: those a run would remove.</summary>
        public long ExpiredEntries { get; init; }

        /// <summary>Entries in the partition (in a format 2 store, as its hour counts say).</summary>
        public long TotalEntries { get; init; }

        /// <summary>The stream time (UTC) of the oldest entry that would go (in a format 2 store its event time); null when none would.</summary>
        public DateTime? Oldest { get; init; }

        /// <summary>The stream time (UTC) of the newest entry that would go (in a format 2 store its event time); null when none would.</summary>
        public DateTime? Newest { get; init; }

        /// <summary>Estimated from the stream's memory usage in proportion to the expired entries.</summary>
        public long EstimatedBytes { get; init; }
    }
}
