using System.Collections.Generic;

namespace MonarchLogs.Core.Append
{
    /// <summary>What one append attempt stored, and the partitions the server refused.</summary>
    public sealed class AppendResult
    {
        internal AppendResult(int stored, IReadOnlyList<PartitionFailure> failures)
        {
            Stored = stored;
            Failures = failures;
        }

        /// <summary>Entries this attempt stored.</summary>
        public int Stored { get; }

        /// <summary>One per partition whose append failed, classified by <see cref="StoreErrors"/>.</summary>
        public IReadOnlyList<PartitionFailure> Failures { get; }

        /// <summary>The registry could not be written (its entries are stored, but readers do not list a new partition until it is).</summary>
        public MonarchLogsException? RegistryFailure { get; internal set; }
    }
}
