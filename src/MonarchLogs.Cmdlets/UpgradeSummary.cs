namespace MonarchLogs.Cmdlets
{
    /// <summary>
    /// What one Update-MonarchLogStore run did, or with -WhatIf would do. Plain numbers, so a
    /// script can log it with Export-Csv or ConvertTo-Json.
    /// </summary>
    public sealed class UpgradeSummary
    {
        /// <summary>True for a -WhatIf preview: nothing was changed, the numbers say what would be converted.</summary>
        public bool WhatIf { get; init; }

        /// <summary>The store's storage format version before the run: 1, or 2 when an earlier run had started the upgrade.</summary>
        public string PreviousVersion { get; init; } = string.Empty;

        /// <summary>The store's storage format version after the run: 2 (with -WhatIf, the version it still has).</summary>
        public string Version { get; init; } = string.Empty;

        /// <summary>The registered partitions (service and level) gone through.</summary>
        public int PartitionsScanned { get; init; }

        /// <summary>Partitions that had (or with -WhatIf, have) format 1 entries to convert.</summary>
        public int PartitionsConverted { get; init; }

        /// <summary>Format 1 entries turned into blocks (with -WhatIf, to be turned into blocks).</summary>
        public long EntriesConverted { get; init; }

        /// <summary>Blocks written; with -WhatIf, 0.</summary>
        public long BlocksWritten { get; init; }

        /// <summary>Passes over the partitions; the last one found nothing left to convert. With -WhatIf, 0.</summary>
        public int Passes { get; init; }

        /// <summary>Format 1 entries left as they are because no block can hold them (over about 10 MB); readers read them as before.</summary>
        public long EntriesLeft { get; init; }
    }
}
