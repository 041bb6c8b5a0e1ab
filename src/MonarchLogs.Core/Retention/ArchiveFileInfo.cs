using System;

namespace MonarchLogs.Core.Retention
{
    /// <summary>One file of a retention archive: one day of one partition.</summary>
    public sealed class ArchiveFileInfo
    {
        /// <summary>The full path of the file.</summary>
        public string Path { get; init; } = string.Empty;

        /// <summary>The UTC day the file holds: of the entries' IDs in a format 1 store, of their event times in a format 2 store.</summary>
        public DateTime Day { get; init; }

        /// <summary>Entries in the file.</summary>
        public long Entries { get; init; }

        /// <summary>The size of the file in bytes.</summary>
        public long Bytes { get; init; }

        /// <summary>The Id of the first entry in the file.</summary>
        public string FirstId { get; init; } = string.Empty;

        /// <summary>The Id of the last entry in the file.</summary>
        public string LastId { get; init; } = string.Empty;
    }
}
