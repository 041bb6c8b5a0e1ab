using MonarchLogs.Core.Format;

namespace MonarchLogs.Core.Upgrade
{
    /// <summary>What an upgrade would convert in one partition.</summary>
    public sealed class PartitionUpgrade
    {
        internal PartitionUpgrade(Partition partition, long entries)
        {
            Partition = partition;
            Entries = entries;
        }

        /// <summary>The partition (service and level).</summary>
        public Partition Partition { get; }

        /// <summary>Its format 1 entries, which the upgrade would turn into blocks.</summary>
        public long Entries { get; }
    }
}
