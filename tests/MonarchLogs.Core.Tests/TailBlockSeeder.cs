using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using MonarchLogs.Core.Format;
using MonarchLogs.Core.Format.Blocks;
using MonarchLogs.Core.Storage;
using StackExchange.Redis;

namespace MonarchLogs.Core.Tests
{
    /// <summary>
    /// Writes version 2 data the way the write path's contract says, for the tail, statistics and
    /// status tests: the store marked 2, the partition registered, each block through the append
    /// script, a head compacted through the compaction script.
    /// </summary>
    internal static class TailBlockSeeder
    {
        private static long _sequence;

        /// <summary>Marks the store as version 2 (a store never written).</summary>
        public static Task MarkVersion2Async(LogStore store) =>
            store.Connection.GetDatabase().StringSetAsync(store.Format.FormatKey, StorageFormat.Version2);

        /// <summary>One block of <paramref name="entries"/> (one partition's) into its head or its stream; registers the partition and nudges tails. Answers the block's ID.</summary>
        public static async Task<string> AppendAsync(LogStore store, IReadOnlyList<MonarchLogEntry> entries, bool toHead, string writer = "seeder", long? sequence = null, bool count = true, bool notify = true, bool register = true)
        {
            var partition = store.Format.GetPartition(entries[0].Service, entries[0].Level);
            using var encoder = new BlockEncoder();
            var block = encoder.Encode(entries, writer, sequence ?? Interlocked.Increment(ref _sequence));
            var db = store.Connection.GetDatabase();
            var id = (string)(await db.ScriptEvaluateAsync(BlockScripts.Append, BlockScripts.AppendKeys(partition, toHead), BlockScripts.AppendArguments(block, toHead, count)))!;
            if (register) await db.HashSetAsync(store.Format.PartitionsKey, partition.StreamKey, StorageFormat.RegistryValue(partition));
            if (notify) await NotifyAsync(store, partition);
            return id;
        }

        /// <summary>Compacts the whole head of a partition into one block of its stream (<c>src head</c>), as a writer does; answers the block's ID.</summary>
        public static async Task<string> CompactHeadAsync(LogStore store, Partition partition, bool notify = true)
        {
            var db = store.Connection.GetDatabase();
            var head = await db.StreamRangeAsync(partition.HeadKey);
            using var decoder = new BlockDecoder();
            var entries = head.SelectMany(e => StoredBlock.Read(partition, e).Decode(partition, decoder)).ToList();
            using var encoder = new BlockEncoder();
            var block = encoder.Encode(entries, "compactor", Interlocked.Increment(ref _sequence));
            StreamId.TryParse(head[0].Id, out var first);
            StreamId.TryParse(head[head.Length - 1].Id, out var last);
            var id = await db.ScriptEvaluateAsync(BlockScripts.Compact, BlockScripts.CompactKeys(partition), BlockScripts.CompactArguments(block, first, last, head.Length));
            Assert.False(id.IsNull, "the compaction found the head changed");
            if (notify) await NotifyAsync(store, partition);
            return (string)id!;
        }

        /// <summary>Publishes the partition's stream key on the store's notification channel, as a writer does after a batch.</summary>
        public static Task NotifyAsync(LogStore store, Partition partition) =>
            store.Connection.GetDatabase().PublishAsync(RedisChannel.Literal(store.Format.NotifyChannel), partition.StreamKey);

        /// <summary>The Id a reader of version 2 gives the entry: its position (event time, ordinal among entries of its block at the same tick).</summary>
        public static string IdOf(MonarchLogEntry entry, int ordinal = 0) =>
            new LogEntryId(BlockPositions.Of(BlockHeader.ToUnixTicks(entry.Timestamp), ordinal), entry.Service, entry.Level).ToString();
    }
}
