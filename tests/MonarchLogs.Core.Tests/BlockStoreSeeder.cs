using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using MonarchLogs.Core.Format;
using MonarchLogs.Core.Format.Blocks;
using StackExchange.Redis;

namespace MonarchLogs.Core.Tests
{
    /// <summary>
    /// Writes a format 2 store by the rules of docs/design/storage-format-2.md ("The rules the
    /// write path and the readers follow"), without the write path: for readers' tests.
    /// <list type="bullet">
    /// <item><see cref="AppendAsync"/>: a block through the append script into a partition's
    /// stream or head, at the server's time (a block of old entries is then late, and the script
    /// lists it in the late set).</item>
    /// <item><see cref="AddAtAsync"/>: a block with <c>XADD</c> at an ID of the test's choosing
    /// (<c>&lt;ms&gt;-*</c>; IDs must grow), listed in the late set when it is not on time, as the
    /// script would. <see cref="OnTimeId"/> gives an ID the block is on time at.</item>
    /// <item><see cref="AddFieldsAtAsync"/>: any fields (a corrupt block, a format 1 entry).</item>
    /// </list>
    /// Every call registers the partition and sets <c>P:format</c> to 2.
    /// </summary>
    internal static class BlockStoreSeeder
    {
        /// <summary>A block of <paramref name="entries"/> (one partition), with a Bloom filter.</summary>
        public static EncodedBlock Encode(IReadOnlyList<MonarchLogEntry> entries, string writer = "", long sequence = 0, BlockCodec codec = BlockCodec.Zstd)
        {
            using var encoder = new BlockEncoder(codec);
            return encoder.Encode(entries, writer, sequence);
        }

        /// <summary>The partition of an entry.</summary>
        public static Partition PartitionOf(StorageFormat format, MonarchLogEntry entry) => format.GetPartition(entry.Service, entry.Level);

        /// <summary>Sets <c>P:format 2</c> and registers the partition.</summary>
        public static async Task RegisterAsync(IDatabase db, StorageFormat format, Partition partition)
        {
            await db.StringSetAsync(format.FormatKey, StorageFormat.Version2);
            await db.HashSetAsync(format.PartitionsKey, partition.StreamKey, StorageFormat.RegistryValue(partition));
        }

        /// <summary>Appends a block of <paramref name="entries"/> (one partition) through the append script; answers its ID.</summary>
        public static async Task<StreamId> AppendAsync(IDatabase db, StorageFormat format, IReadOnlyList<MonarchLogEntry> entries, bool toHead = false, string writer = "", long sequence = 0)
        {
            var partition = PartitionOf(format, entries[0]);
            await RegisterAsync(db, format, partition);
            var block = Encode(entries, writer, sequence);
            var id = await db.ScriptEvaluateAsync(BlockScripts.Append, BlockScripts.AppendKeys(partition, toHead), BlockScripts.AppendArguments(block, toHead, count: true));
            return Parse((string?)id);
        }

        /// <summary>An ID at which a block is on time: its latest event time's millisecond, with the next free sequence.</summary>
        public static string OnTimeId(EncodedBlock block) => (block.Header.LastTicks / TimeSpan.TicksPerMillisecond) + "-*";

        /// <summary>Adds a block of <paramref name="partition"/>'s stream at <paramref name="id"/>; lists it in the late set when it is not on time there.</summary>
        public static Task<StreamId> AddAtAsync(IDatabase db, StorageFormat format, Partition partition, EncodedBlock block, string id) =>
            AddFieldsAtAsync(db, format, partition, BlockFields.ToStreamFields(block), id, block.Header);

        /// <summary>Adds a stream entry of any fields at <paramref name="id"/>; with a header, lists it in the late set when it is not on time.</summary>
        public static async Task<StreamId> AddFieldsAtAsync(IDatabase db, StorageFormat format, Partition partition, NameValueEntry[] fields, string id, BlockHeader? header = null)
        {
            await RegisterAsync(db, format, partition);
            var added = Parse((string?)await db.StreamAddAsync(partition.StreamKey, fields, id));
            if (header is not null && !BlockPositions.IsOnTime(added.Milliseconds, header.FirstTicks, header.LastTicks))
            {
                await db.SortedSetAddAsync(partition.LateKey, added.ToString(), Math.Floor((double)header.FirstTicks / TimeSpan.TicksPerMillisecond));
            }

            return added;
        }

        /// <summary>The fields of a block with one field replaced (a corrupt payload, a foreign codec).</summary>
        public static NameValueEntry[] WithField(EncodedBlock block, string name, RedisValue value) =>
            BlockFields.ToStreamFields(block).Select(f => (string?)f.Name == name ? new NameValueEntry(name, value) : f).ToArray();

        private static StreamId Parse(string? id) => StreamId.TryParse(id, out var parsed) ? parsed : throw new InvalidOperationException($"'{id}' is no stream ID.");
    }
}
