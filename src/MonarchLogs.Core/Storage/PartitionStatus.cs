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

        /// <summary>Entries in the partition: version 1, the stream's length (null when the user may not run XLEN); version 2, the sum of its hour counts (null when the user may not read them).</summary>
        public long? Entries { get; init; }

        /// <summary>The time (UTC) of the oldest entry: version 1, its stream ID's; version 2, the event time of the first block's header (see <see cref="StoreStatus.Oldest"/>). Null when the partition is empty.</summary>
        public DateTime? Oldest { get; init; }

        /// <summary>The time (UTC) of the newest entry: version 1, its stream ID's; version 2, the event time of the last block's header. Null when the partition is empty.</summary>
        public DateTime? Newest { get; init; }

        /// <summary>MEMORY USAGE of the stream (version 2: of the stream, the head and the late set); null when the user may not run it.</summary>
        public long? MemoryBytes { get; init; }

        /// <summary><c>service/level: entries</c>.</summary>
        public override string ToString() => $"{Service}/{LogLevels.StorageName(Level)}: {Entries?.ToString(CultureInfo.InvariantCulture) ?? "?"}";
    }
}
