using MonarchLogs.Core.Format;
using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using StackExchange.Redis;

namespace MonarchLogs.Core.Storage
{
    /// <summary>
    /// The health of a store and of the Valkey server under it: what is stored, how much memory it
    /// takes, whether it survives a restart, and the warnings an operator should act on. A value
    /// is null when Valkey did not give it (an ACL user without the command, an older server).
    /// </summary>
    public sealed class StoreStatus
    {
        /// <summary>The storage format version the store is marked with; null for a store never written.</summary>
        public string? FormatVersion { get; init; }

        /// <summary>The key prefix of the store.</summary>
        public string Prefix { get; init; } = string.Empty;

        /// <summary>Partitions in the registry.</summary>
        public int PartitionCount { get; init; }

        /// <summary>Services with at least one partition.</summary>
        public int ServiceCount { get; init; }

        /// <summary>Entries in all partitions; null when the user may not run XLEN (version 2: read the counts).</summary>
        public long? TotalEntries { get; init; }

        /// <summary>
        /// Time (UTC) of the oldest entry in the store; null when it holds none. Version 1: its stream
        /// ID's time. Version 2: the earliest event time the block headers give (the first block of
        /// each stream and head, the late blocks), read without opening a block: a block of a stream
        /// starts at most 10 minutes before its ID, so a later block may hold an entry up to that much older.
        /// </summary>
        public DateTime? Oldest { get; init; }

        /// <summary>Time (UTC) of the newest entry in the store; null when it holds none. Version 1: its stream ID's time; version 2: the latest event time of the last blocks' headers.</summary>
        public DateTime? Newest { get; init; }

        /// <summary>Each partition's size and the times of its first and last entries.</summary>
        public IReadOnlyList<PartitionStatus> Partitions { get; init; } = Array.Empty<PartitionStatus>();

        /// <summary>used_memory of INFO memory, in bytes; of a cluster, the sum over its masters.</summary>
        public long? UsedMemoryBytes { get; init; }

        /// <summary>maxmemory of INFO memory, in bytes; 0 means no limit. Of a cluster, the sum over its masters.</summary>
        public long? MaxMemoryBytes { get; init; }

        /// <summary>maxmemory_policy of INFO memory; of a cluster, a policy that evicts if any master has one.</summary>
        public string? MaxMemoryPolicy { get; init; }

        /// <summary>The sum of MEMORY USAGE over the store's streams (version 2: also their heads and late sets); null when the user may not run it.</summary>
        public long? StoreMemoryBytes { get; init; }

        /// <summary>aof_enabled of INFO persistence: whether the append-only file is on; of a cluster, whether it is on for every master.</summary>
        public bool? AofEnabled { get; init; }

        /// <summary>rdb_last_bgsave_status of INFO persistence (<c>ok</c> or <c>err</c>); of a cluster, <c>err</c> if any master failed.</summary>
        public string? RdbLastBgsaveStatus { get; init; }

        /// <summary>aof_last_write_status of INFO persistence (<c>ok</c> or <c>err</c>); of a cluster, <c>err</c> if any master failed.</summary>
        public string? AofLastWriteStatus { get; init; }

        /// <summary>rdb_changes_since_last_save of INFO persistence; of a cluster, the sum over its masters.</summary>
        public long? RdbChangesSinceLastSave { get; init; }

        /// <summary>The retention period the age of the oldest entry was checked against.</summary>
        public TimeSpan RetentionPeriod { get; init; }

        /// <summary>Shorter (or longer) periods of some levels, as a scheduled per-level retention keeps them; the others keep <see cref="RetentionPeriod"/>.</summary>
        public IReadOnlyDictionary<MonarchLogLevel, TimeSpan> LevelRetention { get; init; } = new Dictionary<MonarchLogLevel, TimeSpan>();

        /// <summary>What an operator should act on, one sentence each; empty when all is well.</summary>
        public IReadOnlyList<string> Warnings { get; init; } = Array.Empty<string>();

        /// <summary>True when there is nothing to act on: no warning. What a monitoring script checks.</summary>
        public bool Healthy => Warnings.Count == 0;
    }
}
