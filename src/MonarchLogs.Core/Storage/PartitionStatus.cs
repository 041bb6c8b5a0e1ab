using System;
using System.Globalization;

namespace MonarchLogs.Core.Storage
{
    /// <summary>One partition of <see cref="StoreStatus"/>: its size and the times of its first and last entries.</summary>
    public sealed class PartitionStatus
    {
        /// <summary>The service of the partition.</summary>
        public string Service { get; init; } = string.Empty;

        /// <summary>The level of the partition.</summary>
        public MonarchLogLevel Level { get; init; }

        /// <summary>Entries in the stream; null when the user may not run XLEN.</summary>
        public long? Entries { get; init; }

        /// <summary>The stream time (UTC) of the oldest entry; null when the stream is empty or cannot be read.</summary>
        public DateTime? Oldest { get; init; }

        /// <summary>The stream time (UTC) of the newest entry; null when the stream is empty or cannot be read.</summary>
        public DateTime? Newest { get; init; }

        /// <summary>MEMORY USAGE of the stream; null when the user may not run it.</summary>
        public long? MemoryBytes { get; init; }

        /// <summary><c>service/level: entries</c>.</summary>
        public override string ToString() => $"{Service}/{LogLevels.StorageName(Level)}: {Entries?.ToString(CultureInfo.InvariantCulture) ?? "?"}";
    }
}
