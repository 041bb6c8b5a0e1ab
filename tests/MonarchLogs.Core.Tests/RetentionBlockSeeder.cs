using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading.Tasks;
using MonarchLogs.Core.Format;
using MonarchLogs.Core.Format.Blocks;
using MonarchLogs.Core.Storage;
using StackExchange.Redis;

namespace MonarchLogs.Core.Tests
{
    /// <summary>
    /// Makes a format 2 store for retention tests: blocks through the append script (at the
    /// server's time, into the stream or the head), and blocks at explicit old stream IDs, counted
    /// per event minute and hour as the script counts them and listed in the late set when not on
    /// time, as a writer of that time would have left them.
    /// </summary>
    internal sealed class RetentionBlockSeeder : IDisposable
    {
        private readonly BlockEncoder _encoder = new BlockEncoder();
        private long _sequence;

        private RetentionBlockSeeder(LogStore store, IDatabase db)
        {
            Store = store;
            Db = db;
        }

        public LogStore Store { get; }

        public IDatabase Db { get; }

        public static async Task<RetentionBlockSeeder> CreateAsync(ValkeyFixture valkey)
        {
            var store = valkey.NewStore();
            var db = valkey.Connection.GetDatabase();
            await db.StringSetAsync(store.Format.FormatKey, StorageFormat.Version2);
            return new RetentionBlockSeeder(store, db);
        }

        public Partition Partition(string service, MonarchLogLevel level) => Store.Format.GetPartition(service, level);

        /// <summary>A block of <paramref name="entries"/> at the stream ID <c>&lt;ms of idTime&gt;-*</c>.</summary>
        public async Task<StreamId> AddAtAsync(Partition partition, DateTime idTime, IReadOnlyList<MonarchLogEntry> entries)
        {
            var block = _encoder.Encode(entries, "seeder", ++_sequence);
            var ms = StreamId.ToUnixMilliseconds(idTime);
            var added = await Db.StreamAddAsync(partition.StreamKey, BlockFields.ToStreamFields(block), messageId: ms.ToString(CultureInfo.InvariantCulture) + "-*");
            Assert.True(StreamId.TryParse(added, out var id));
            foreach (var minute in block.Header.MinuteCounts)
            {
                await Db.HashIncrementAsync(partition.CountsKey, minute.Minute.ToString(CultureInfo.InvariantCulture), minute.Count);
                await Db.HashIncrementAsync(partition.HourCountsKey, Math.Floor(minute.Minute / 60.0).ToString(CultureInfo.InvariantCulture), minute.Count);
            }

            if (!BlockPositions.IsOnTime(id.Milliseconds, block.Header.FirstTicks, block.Header.LastTicks))
            {
                await Db.SortedSetAddAsync(partition.LateKey, id.ToString(), Milliseconds(block.Header.FirstTicks));
            }

            await RegisterAsync(partition);
            return id;
        }

        /// <summary>A block through the append script, at the server's time, into the stream or the head.</summary>
        public async Task<StreamId> AppendAsync(Partition partition, IReadOnlyList<MonarchLogEntry> entries, bool toHead)
        {
            var block = _encoder.Encode(entries, "seeder", ++_sequence);
            var id = await Db.ScriptEvaluateAsync(BlockScripts.Append, BlockScripts.AppendKeys(partition, toHead), BlockScripts.AppendArguments(block, toHead, count: true));
            await RegisterAsync(partition);
            Assert.True(StreamId.TryParse((string?)id, out var parsed));
            return parsed;
        }

        /// <summary>A registry entry for a key of another type than a stream.</summary>
        public async Task RegisterAsync(Partition partition) =>
            await Db.HashSetAsync(Store.Format.PartitionsKey, partition.StreamKey, StorageFormat.RegistryValue(partition));

        /// <summary>Entries of the partition at the given times, each with a message naming the block and its place.</summary>
        public static List<MonarchLogEntry> Entries(Partition partition, string name, params DateTime[] times) =>
            times.Select((time, i) => new MonarchLogEntry
            {
                Service = partition.Service,
                Level = partition.Level,
                Timestamp = time,
                Category = "Retention." + name,
                Message = name + "#" + i,
                Template = "{Name} #{Index}",
                EventId = 40 + i,
                EventName = "Seeded",
                ExceptionType = i % 2 == 0 ? "System.TimeoutException" : string.Empty,
                ExceptionMessage = i % 2 == 0 ? "took too long" : string.Empty,
                Exception = i % 2 == 0 ? "System.TimeoutException: took too long\n   at Seeder.Run()" : string.Empty,
                TraceId = "4bf92f3577b34da6a3ce929d0e0e4736",
                SpanId = "00f067aa0ba902b7",
                Host = "host-" + name,
                Properties = "{\"Name\":\"" + name + "\",\"Index\":" + i.ToString(CultureInfo.InvariantCulture) + "}",
            }).ToList();

        /// <summary>The counts per minute and per hour that the entries give.</summary>
        public static (Dictionary<string, long> Minutes, Dictionary<string, long> Hours) CountsOf(IEnumerable<MonarchLogEntry> entries)
        {
            var minutes = new Dictionary<string, long>();
            var hours = new Dictionary<string, long>();
            foreach (var entry in entries)
            {
                var minute = BlockHeader.MinuteOf(BlockHeader.ToUnixTicks(entry.Timestamp));
                Add(minutes, minute.ToString(CultureInfo.InvariantCulture));
                Add(hours, (minute / 60).ToString(CultureInfo.InvariantCulture));
            }

            return (minutes, hours);
        }

        public async Task<Dictionary<string, long>> HashAsync(RedisKey key) =>
            (await Db.HashGetAllAsync(key)).ToDictionary(e => (string)e.Name!, e => (long)e.Value);

        public void Dispose() => _encoder.Dispose();

        private static void Add(Dictionary<string, long> counts, string key) => counts[key] = (counts.TryGetValue(key, out var n) ? n : 0) + 1;

        private static long Milliseconds(long unixTicks) => unixTicks / TimeSpan.TicksPerMillisecond;
    }
}
