using System;

namespace MonarchLogs.Core.Archive
{
    /// <summary>What one file's import did: Read = Imported + Skipped + Failed.</summary>
    public sealed class ImportResult
    {
        /// <summary>Entry lines read, good or bad (the header and blank lines not counted).</summary>
        public long Read { get; init; }

        /// <summary>Entries stored.</summary>
        public long Imported { get; init; }

        /// <summary>Entries the store already held (duplicates), not stored again.</summary>
        public long Skipped { get; init; }

        /// <summary>Lines that are no entry, and entries the store refused.</summary>
        public long Failed { get; init; }

        /// <summary>
        /// Entries stored in blocks at the time of the import instead of at their event time,
        /// because their partition's stream already held later IDs: late blocks, which a query of
        /// a time range holding the moment of the import reads too (docs/storage-format.md, "Importing").
        /// </summary>
        public long Displaced { get; init; }

        /// <summary>The event time of the oldest entry read.</summary>
        public DateTime? From { get; init; }

        /// <summary>The event time of the newest entry read.</summary>
        public DateTime? To { get; init; }

        /// <summary>The archive header, when the file has one.</summary>
        public ArchiveHeader? Header { get; init; }
    }
}
