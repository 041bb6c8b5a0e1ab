using System;

namespace MonarchLogs.Core.Archive
{
    /// <summary>What an export wrote.</summary>
    public sealed class ExportResult
    {
        /// <summary>Entries written.</summary>
        public long Entries { get; init; }

        /// <summary>The event time of the first (oldest) entry written.</summary>
        public DateTime? From { get; init; }

        /// <summary>The event time of the last (newest) entry written.</summary>
        public DateTime? To { get; init; }

        /// <summary>The Id of the last entry written: export <c>-After</c> it to go on where this one ended.</summary>
        public string? LastId { get; init; }
    }
}
