using MonarchLogs.Core.Format;

namespace MonarchLogs.Core.Retention
{
    /// <summary>What removing the expired entries of one partition did.</summary>
    public sealed class RetentionResult
    {
        /// <summary>The partition trimmed.</summary>
        public Partition Partition { get; init; } = null!;

        /// <summary>Entries removed.</summary>
        public long RemovedEntries { get; init; }

        /// <summary>The memory the stream gave back, as MEMORY USAGE saw it before and after.</summary>
        public long BytesReclaimed { get; init; }

        /// <summary>Server commands sent to trim, each bounded in work.</summary>
        public int TrimCommands { get; init; }
    }
}
