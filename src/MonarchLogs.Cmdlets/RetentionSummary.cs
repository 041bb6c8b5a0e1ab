using System;

namespace MonarchLogs.Cmdlets
{
    /// <summary>
    /// What one Remove-ExpiredMonarchLog run did, or with -WhatIf would do. Plain numbers and
    /// times, so a scheduled script can log it with Export-Csv or ConvertTo-Json.
    /// </summary>
    public sealed class RetentionSummary
    {
        /// <summary>Entries older than this (UTC) go.</summary>
        public DateTime Cutoff { get; init; }

        /// <summary>True for a -WhatIf preview: nothing was removed, the numbers say what would go.</summary>
        public bool WhatIf { get; init; }

        /// <summary>Partitions (service and level) that matched -Service.</summary>
        public int PartitionsScanned { get; init; }

        /// <summary>Partitions that lost (or would lose) at least one entry.</summary>
        public int PartitionsTouched { get; init; }

        public long EntriesRemoved { get; init; }

        /// <summary>Memory reclaimed as Valkey reports it; with -WhatIf an estimate.</summary>
        public long BytesReclaimed { get; init; }

        /// <summary>With -ArchivePath, the entries written to verified archive files (with -WhatIf, none).</summary>
        public long EntriesArchived { get; init; }

        /// <summary>With -ArchivePath, the full paths of the archive files written, one per day and partition.</summary>
        public string[] ArchiveFiles { get; init; } = System.Array.Empty<string>();

        /// <summary>With -WhatIf, the time of the oldest entry that would go; empty after a removal.</summary>
        public DateTime? Oldest { get; init; }

        /// <summary>With -WhatIf, the time of the newest entry that would go; empty after a removal.</summary>
        public DateTime? Newest { get; init; }
    }
}
