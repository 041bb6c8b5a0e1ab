using System.Collections.Generic;

namespace MonarchLogs.Core.Upgrade
{
    /// <summary>What an upgrade to storage format 2 would do; reading it changed nothing.</summary>
    public sealed class UpgradePreview
    {
        internal UpgradePreview(string version, IReadOnlyList<PartitionUpgrade> partitions)
        {
            Version = version;
            Partitions = partitions;
        }

        /// <summary>The store's format version now: <c>1</c>, or <c>2</c> when an upgrade was started before; empty when there is no store under the prefix.</summary>
        public string Version { get; }

        /// <summary>Every registered partition with the format 1 entries it holds, in the registry's order.</summary>
        public IReadOnlyList<PartitionUpgrade> Partitions { get; }
    }
}
