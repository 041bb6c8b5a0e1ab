using System;

namespace MonarchLogs.Cmdlets
{
    /// <summary>What one Export-MonarchLog run wrote.</summary>
    public sealed class ExportSummary
    {
        /// <summary>The full path of the file.</summary>
        public string Path { get; init; } = string.Empty;

        /// <summary>Entries in the file (the header line not counted).</summary>
        public long Entries { get; init; }

        /// <summary>The size of the file.</summary>
        public long Bytes { get; init; }

        /// <summary>The event time of the oldest entry, UTC; empty when the file holds none.</summary>
        public DateTime? From { get; init; }

        /// <summary>The event time of the newest entry, UTC.</summary>
        public DateTime? To { get; init; }

        /// <summary>The Id of the newest entry: give it to -After to export what came after.</summary>
        public string? LastId { get; init; }
    }
}
