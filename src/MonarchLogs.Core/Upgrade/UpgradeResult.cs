namespace MonarchLogs.Core.Upgrade
{
    /// <summary>What an upgrade to storage format 2 did.</summary>
    public sealed class UpgradeResult
    {
        /// <summary>The store's format version before the upgrade: <c>1</c>, or <c>2</c> when an earlier run had started it; empty when there is no store under the prefix.</summary>
        public string PreviousVersion { get; init; } = string.Empty;

        /// <summary>The store's format version after the upgrade: <c>2</c>; empty when there is no store under the prefix (nothing was written).</summary>
        public string Version { get; init; } = string.Empty;

        /// <summary>The registered partitions (service and level) the upgrade went through.</summary>
        public int PartitionsScanned { get; init; }

        /// <summary>Partitions that had at least one entry converted.</summary>
        public int PartitionsConverted { get; init; }

        /// <summary>Format 1 entries turned into blocks.</summary>
        public long EntriesConverted { get; init; }

        /// <summary>Blocks written.</summary>
        public long BlocksWritten { get; init; }

        /// <summary>Passes over the partitions; the last one found nothing to convert.</summary>
        public int Passes { get; init; }

        /// <summary>
        /// Format 1 entries left as they are because no block could hold them (an entry of more than
        /// about 10 MB): readers read them as before, as blocks of one entry.
        /// </summary>
        public long EntriesLeft { get; init; }
    }
}
