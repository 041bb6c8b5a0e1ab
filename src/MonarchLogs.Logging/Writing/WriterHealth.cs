using System;
using System.Collections.Generic;

namespace MonarchLogs.Logging.Writing
{
    /// <summary>A snapshot of the writer for health checks: taken without locks, each value read once.</summary>
    internal sealed class WriterHealth
    {
        public WriterHealth(long buffered, int capacity, bool failing, int partitionsSetAside, DateTime lastWritten, DateTime? failingSince, DateTime? lastDrop, IReadOnlyDictionary<string, long> droppedByReason)
        {
            Buffered = buffered;
            Capacity = capacity;
            Failing = failing;
            PartitionsSetAside = partitionsSetAside;
            LastWritten = lastWritten;
            FailingSince = failingSince;
            LastDrop = lastDrop;
            DroppedByReason = droppedByReason;
        }

        public long Buffered { get; }

        public int Capacity { get; }

        /// <summary>A batch is being retried, or a partition or the whole store is set aside.</summary>
        public bool Failing { get; }

        public int PartitionsSetAside { get; }

        /// <summary>When an entry was last stored (UTC); the writer's start before the first.</summary>
        public DateTime LastWritten { get; }

        /// <summary>When the batches being retried now began to fail (UTC); null while none is.</summary>
        public DateTime? FailingSince { get; }

        public DateTime? LastDrop { get; }

        public IReadOnlyDictionary<string, long> DroppedByReason { get; }
    }
}
