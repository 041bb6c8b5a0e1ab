namespace MonarchLogs.Core.Upgrade
{
    /// <summary>How far an upgrade is, as it reports after each partition it starts and each block it writes.</summary>
    public sealed class UpgradeProgress
    {
        /// <summary>The partition being converted, <c>service/level</c>.</summary>
        public string Partition { get; init; } = string.Empty;

        /// <summary>The pass over the partitions, from 1: a later pass converts what writers added meanwhile.</summary>
        public int Pass { get; init; }

        /// <summary>Format 1 entries turned into blocks so far, over all partitions.</summary>
        public long EntriesConverted { get; init; }

        /// <summary>Blocks written so far.</summary>
        public long BlocksWritten { get; init; }

        /// <summary>
        /// About how many entries there are to convert: the stream entries when the upgrade started
        /// (exact on a store of version 1; blocks of an earlier run count as one each), and never
        /// less than <see cref="EntriesConverted"/>.
        /// </summary>
        public long TotalEstimate { get; init; }
    }
}
