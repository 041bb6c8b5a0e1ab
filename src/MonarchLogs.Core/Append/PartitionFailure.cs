using MonarchLogs.Core.Format;

namespace MonarchLogs.Core.Append
{
    /// <summary>A partition whose entries the server did not take in one attempt, and why.</summary>
    public sealed class PartitionFailure
    {
        internal PartitionFailure(Partition partition, MonarchLogsException error)
        {
            Partition = partition;
            Error = error;
        }

        /// <summary>The partition whose entries were refused.</summary>
        public Partition Partition { get; }

        /// <summary>Why, classified by <see cref="StoreErrors"/>.</summary>
        public MonarchLogsException Error { get; }
    }
}
