using System;

namespace MonarchLogs.Cmdlets
{
    /// <summary>What Import-MonarchLog did with one file: Read = Imported + Skipped + Failed.</summary>
    public sealed class ImportSummary
    {
        /// <summary>The full path of the file.</summary>
        public string Path { get; init; } = string.Empty;

        /// <summary>Entry lines read, good or bad (the header and blank lines not counted).</summary>
        public long Read { get; init; }

        /// <summary>Entries stored.</summary>
        public long Imported { get; init; }

        /// <summary>Entries the store already held, not stored again.</summary>
        public long Skipped { get; init; }

        /// <summary>Lines that are no entry, and entries the store refused.</summary>
        public long Failed { get; init; }

        /// <summary>Entries stored after newer entries of their partition instead of at their event time.</summary>
        public long Displaced { get; init; }

        /// <summary>The event time of the oldest entry read, UTC.</summary>
        public DateTime? From { get; init; }

        /// <summary>The event time of the newest entry read, UTC.</summary>
        public DateTime? To { get; init; }
    }
}
