using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using MonarchLogs.Core.Append;
using MonarchLogs.Core.Format;
using MonarchLogs.Core.Query;
using MonarchLogs.Core.Statistics;
using MonarchLogs.Testing;
using StackExchange.Redis;
using static MonarchLogs.Core.Tests.StoreExtensions;

namespace MonarchLogs.Core.Tests
{
    /// <summary>Counts without reading: always equal to counting the entries, whoever wrote them.</summary>
    public sealed class StatisticsTests : IClassFixture<ValkeyFixture>
    {
        private readonly ValkeyFixture _valkey;

        public StatisticsTests(ValkeyFixture valkey) => _valkey = valkey;

        /// <summary>1,200 entries over 3 services and 2 levels, 37 seconds apart: 12.3 hours, minutes split unevenly.</summary>
        private static List<MonarchLogEntry> Spread() =>
            Enumerable.Range(0, 1200).Select(i => Entry(new[] { "orders", "billing", "web" }[i % 3], i % 5 == 0 ? MonarchLogLevel.Error : MonarchLogLevel.Information,
                BaseTime.AddSeconds(37 * i).AddMilliseconds(i % 7), "e" + i)).ToList();

        /// <summary>The truth: counting the entries themselves, per partition and bucket.</summary>
        internal static Dictionary<(string, MonarchLogLevel, int), long> Truth(IEnumerable<MonarchLogEntry> entries, LogCounts counts)
        {
            var truth = new Dictionary<(string, MonarchLogLevel, int), long>();
            foreach (var e in entries)
            {
                if (e.Timestamp < counts.Since || e.Timestamp >= counts.Until) continue;
                var bucket = Enumerable.Range(0, counts.BucketCount).Single(b => e.Timestamp >= counts.BucketStart(b) && e.Timestamp < counts.BucketEnd(b));
                truth[(e.Service, e.Level, bucket)] = truth.GetValueOrDefault((e.Service, e.Level, bucket)) + 1;
            }

            return truth;
        }

        internal static Dictionary<(string, MonarchLogLevel, int), long> Counted(LogCounts counts)
        {
            var counted = new Dictionary<(string, MonarchLogLevel, int), long>();
            foreach (var p in counts.Partitions)
            {
                for (var b = 0; b < p.Buckets.Count; b++) if (p.Buckets[b] > 0) counted[(p.Partition.Service, p.Partition.Level, b)] = p.Buckets[b];
            }

            return counted;
        }

        [Theory]
        [InlineData(null, null, null)]
        [InlineData(60, null, null)]
        [InlineData(5, 1234, 20_000)]
        [InlineData(90, 61_001, 400_007)]
        [InlineData(null, 3_333, 7_777)]
        [InlineData(120, 1_234, 40_001)]
        [InlineData(180, 7_200, 36_000)]
        public async Task Counts_equal_counting_the_entries_for_any_range_and_whole_minute_interval(int? minutes, int? sinceSeconds, int? untilSeconds)
        {
            var store = _valkey.NewStore();
            var entries = Spread();
            await store.AppendAllAsync(entries);
            var query = new LogQuery
            {
                Since = sinceSeconds is { } s ? BaseTime.AddSeconds(s) : null,
                Until = untilSeconds is { } u ? BaseTime.AddSeconds(u) : null,
            };

            var counts = await store.CountAsync(query, minutes is { } m ? TimeSpan.FromMinutes(m) : null);
            Assert.Equal(Truth(entries, counts), Counted(counts));
            Assert.DoesNotContain(counts.Partitions, p => p.CountedByReading);
            if (query.Since is null) Assert.Equal(BaseTime, counts.Since);
        }

        [Fact]
        public async Task Level_and_service_filters_pick_the_partitions_and_content_filters_are_refused()
        {
            var store = _valkey.NewStore();
            var entries = Spread();
            await store.AppendAllAsync(entries);
            var counts = await store.CountAsync(new LogQuery { Levels = new[] { MonarchLogLevel.Error }, Services = new[] { "o*", "web" } }, null);
            Assert.Equal(entries.Count(e => e.Level == MonarchLogLevel.Error && e.Service != "billing"), counts.Partitions.Sum(p => p.Total));
            Assert.Equal(2, counts.Partitions.Count);
            var refused = await Assert.ThrowsAsync<MonarchLogsException>(() => store.CountAsync(new LogQuery { Text = "e1" }, null));
            Assert.Equal("InvalidStatisticsFilter", refused.ErrorId);
        }

        // Format 1: counts checked against XLEN (format 2: BlockStatisticsTests).
        [Fact]
        public async Task Entries_another_tool_added_and_intervals_of_seconds_are_counted_by_reading_and_still_exact()
        {
            var store = _valkey.NewStore().AsVersion1();
            var entries = Spread();
            await store.AppendAllAsync(entries);

            // Another tool: a plain XADD in the documented format, which keeps no counts.
            var partition = store.Format.GetPartition("orders", MonarchLogLevel.Information);
            var extra = Entry("orders", MonarchLogLevel.Information, BaseTime.AddHours(13).AddSeconds(1), "by hand");
            await _valkey.Connection.GetDatabase().StreamAddAsync(partition.StreamKey, "message", "by hand", messageId: StreamId.ToUnixMilliseconds(extra.Timestamp) + "-*");
            entries.Add(extra);

            var counts = await store.CountAsync(new LogQuery(), TimeSpan.FromMinutes(30));
            Assert.Equal(Truth(entries, counts), Counted(counts));
            Assert.Equal(new[] { "orders/information" }, counts.Partitions.Where(p => p.CountedByReading).Select(p => p.Partition.ToString()));

            var seconds = await store.CountAsync(new LogQuery { Since = BaseTime, Until = BaseTime.AddHours(1) }, TimeSpan.FromSeconds(45));
            Assert.Equal(Truth(entries, seconds), Counted(seconds));
            Assert.All(seconds.Partitions, p => Assert.True(p.CountedByReading));
        }

        // Format 1: retention by ID cuts inside a minute (format 2 removes whole blocks: BlockRetentionTests).
        [Fact]
        public async Task Retention_keeps_the_counts_exact_when_it_cuts_inside_a_minute()
        {
            var store = _valkey.NewStore().AsVersion1();
            var entries = Spread();
            await store.AppendAllAsync(entries);
            var cutoff = BaseTime.AddSeconds(37 * 500 + 20);
            foreach (var partition in await store.GetPartitionsAsync()) await store.RemoveExpiredAsync(partition, cutoff);

            var counts = await store.CountAsync(new LogQuery(), TimeSpan.FromHours(1));
            Assert.Equal(Truth(entries.Where(e => e.Timestamp >= cutoff), counts), Counted(counts));
            Assert.DoesNotContain(counts.Partitions, p => p.CountedByReading);
        }

        [Fact]
        public async Task A_writer_that_may_not_count_stores_everything_and_the_counts_say_so()
        {
            var store = _valkey.NewStore();
            var prefix = store.Format.Prefix;
            var admin = _valkey.Connection.GetDatabase();
            var user = "streams-only-" + Guid.NewGuid().ToString("N").Substring(0, 8);
            await admin.ExecuteAsync("ACL", "SETUSER", user, "on", ">s", "resetkeys", "-@all", "+@connection", "+info", "+get", "+hset", "+eval", "+xadd", "+publish", "+client", "+acl|whoami",
                "~" + prefix + ":stream:*", "%W~" + prefix + ":partitions", "%R~" + prefix + ":format", "&*");
            using var connection = await ConnectionMultiplexer.ConnectAsync(_valkey.Server.ConnectionString + ",user=" + user + ",password=s");
            var entries = Spread().Take(300).ToList();
            var result = await new Version1Writer(connection, store.Format).AppendAsync(new AppendBatch(entries));
            Assert.Equal((300, 0), (result.Stored, result.Failures.Count));
            Assert.False(await admin.KeyExistsAsync(store.Format.GetPartition("orders", MonarchLogLevel.Information).CountsKey));

            var counts = await store.CountAsync(new LogQuery(), TimeSpan.FromMinutes(10));
            Assert.Equal(Truth(entries, counts), Counted(counts));
            Assert.All(counts.Partitions, p => Assert.True(p.CountedByReading));
        }

        // Format 1: a reader with version 1's ACL (format 2 needs the head and late keys too).
        [Theory]
        [InlineData("+multi +exec")]
        [InlineData("")]
        public async Task A_reader_that_may_not_read_the_counts_still_counts_exactly_by_reading(string transactions)
        {
            var store = _valkey.NewStore().AsVersion1();
            var entries = Spread().Take(200).ToList();
            await store.AppendAllAsync(entries);
            var prefix = store.Format.Prefix;
            var user = "old-reader-" + Guid.NewGuid().ToString("N").Substring(0, 8);
            var rules = ("on >r resetkeys -@all +@connection +info +get +hgetall +xrange +xrevrange +xlen +client +acl|whoami " + transactions
                + " %R~" + prefix + ":format %R~" + prefix + ":partitions %R~" + prefix + ":stream:* &*").Split(' ', StringSplitOptions.RemoveEmptyEntries);
            await _valkey.Connection.GetDatabase().ExecuteAsync("ACL", new object[] { "SETUSER", user }.Concat(rules).ToArray());
            using var connection = await ConnectionMultiplexer.ConnectAsync(_valkey.Server.ConnectionString + ",user=" + user + ",password=r");
            var reader = new Storage.LogStore(connection, new StorageFormat(prefix));
            var errors = new List<PartitionError>();
            var counts = await reader.CountAsync(new LogQuery(), TimeSpan.FromMinutes(20), errors.Add);
            Assert.Empty(errors);
            Assert.Equal(Truth(entries, counts), Counted(counts));
            Assert.All(counts.Partitions, p => Assert.True(p.CountedByReading));
        }

        // Format 1: counts checked against XLEN.
        [Fact]
        public async Task A_counts_key_of_another_type_costs_the_count_not_the_entries()
        {
            var store = _valkey.NewStore().AsVersion1();
            var partition = store.Format.GetPartition("orders", MonarchLogLevel.Information);
            var db = _valkey.Connection.GetDatabase();
            await db.StringSetAsync(partition.CountsKey, "not a hash");
            await db.StringSetAsync(partition.HourCountsKey, "not a hash either");
            var entries = Spread().Where(e => e.Service == "orders").Take(120).ToList();

            var result = await store.Appender.AppendAsync(new AppendBatch(entries));
            Assert.Equal((entries.Count, 0), (result.Stored, result.Failures.Count));
            Assert.Equal(entries.Count(e => e.Level == MonarchLogLevel.Information), await db.StreamLengthAsync(partition.StreamKey));

            var errors = new List<PartitionError>();
            var counts = await store.CountAsync(new LogQuery(), TimeSpan.FromMinutes(30), errors.Add);
            Assert.Empty(errors);
            Assert.Equal(Truth(entries, counts), Counted(counts));
            Assert.Equal(new[] { "orders/information" }, counts.Partitions.Where(p => p.CountedByReading).Select(p => p.Partition.ToString()));
        }

        // Format 1: IDs raised past another writer's top (the format 1 writer of earlier releases).
        [Fact]
        public async Task Entries_placed_after_another_writers_newer_top_are_counted_at_the_minute_their_ids_got()
        {
            var store = _valkey.NewStore().AsVersion1();
            var partition = store.Format.GetPartition("shared", MonarchLogLevel.Error);
            using var connection = _valkey.Server.Connect();
            var other = new Version1Writer(connection, store.Format);
            Assert.Equal(1, await store.Appender.AppendBatchAsync(new[] { Entry("shared", MonarchLogLevel.Error, BaseTime.AddMinutes(10), "mine") }));
            Assert.Equal(1, await other.AppendBatchAsync(new[] { Entry("shared", MonarchLogLevel.Error, BaseTime.AddMinutes(20).AddSeconds(30), "other writer") }));

            // A run over three minutes, all older than the other writer's top: every entry goes in
            // after that top, in other minutes than the ones its times name.
            var run = Enumerable.Range(0, 9).Select(i => Entry("shared", MonarchLogLevel.Error, BaseTime.AddMinutes(11 + i / 3).AddSeconds(i), "late " + i)).ToList();
            Assert.Equal(9, await store.Appender.AppendBatchAsync(run));
            await AssertCountsAreTheIdsAsync(partition, 11);

            // And the next run, at times after the top again, goes where its times say.
            Assert.Equal(3, await store.Appender.AppendBatchAsync(Enumerable.Range(0, 3).Select(i => Entry("shared", MonarchLogLevel.Error, DateTime.UtcNow.AddMinutes(2 + i), "on time " + i)).ToList()));
            await AssertCountsAreTheIdsAsync(partition, 14);
        }

        [Fact]
        public async Task A_run_the_server_stops_midway_counts_exactly_the_entries_it_stored()
        {
            var store = _valkey.NewStore();
            var partition = store.Format.GetPartition("orders", MonarchLogLevel.Information);
            var db = _valkey.Connection.GetDatabase();

            // Two minutes of entries; the fourth has an ID Valkey refuses, so the script stores
            // three, stops, and must count those three only (nothing in the second minute's hour
            // or minute beyond the one stored there).
            var entries = Enumerable.Range(0, 6).Select(i => Entry("orders", MonarchLogLevel.Information, BaseTime.AddSeconds(50 + 5 * i), "n" + i)).ToList();
            var ids = entries.Select(e => new DateTimeOffset(e.Timestamp).ToUnixTimeMilliseconds()).ToList();
            var values = Version1Script.AppendArguments(partition, entries, Enumerable.Range(0, 6).ToList(), ids, 0, "box", countMinutes: true);
            var bad = Array.IndexOf(values, (RedisValue)(ids[3] + "-*"));
            Assert.True(bad > 0);
            values[bad] = "not-an-id";

            var reply = (RedisResult[])(await db.ScriptEvaluateAsync(Version1Script.AppendScript, new RedisKey[] { partition.StreamKey, partition.CountsKey, partition.HourCountsKey }, values))!;
            Assert.Equal(3, (long)reply[0]);
            Assert.Contains("Invalid stream ID", (string?)reply[1], StringComparison.OrdinalIgnoreCase);
            await AssertCountsAreTheIdsAsync(partition, 3);
            var minutes = (await db.HashGetAllAsync(partition.CountsKey)).ToDictionary(e => (long)e.Name, e => (long)e.Value);
            Assert.Equal(new Dictionary<long, long> { [ids[0] / 60_000] = 2, [ids[2] / 60_000] = 1 }, minutes);
        }

        /// <summary>The minute and hour counts of a partition are exactly its entries' IDs, grouped.</summary>
        private async Task AssertCountsAreTheIdsAsync(Partition partition, int expectedEntries)
        {
            var db = _valkey.Connection.GetDatabase();
            var ids = (await db.StreamRangeAsync(partition.StreamKey)).Select(e => long.Parse(((string)e.Id!).Split('-')[0], System.Globalization.CultureInfo.InvariantCulture)).ToList();
            Assert.Equal(expectedEntries, ids.Count);
            var byMinute = ids.GroupBy(ms => ms / StorageFormat.CountsBucketMilliseconds).ToDictionary(g => g.Key, g => (long)g.Count());
            var byHour = ids.GroupBy(ms => ms / StorageFormat.HourCountsBucketMilliseconds).ToDictionary(g => g.Key, g => (long)g.Count());
            Assert.Equal(byMinute, (await db.HashGetAllAsync(partition.CountsKey)).ToDictionary(e => (long)e.Name, e => (long)e.Value));
            Assert.Equal(byHour, (await db.HashGetAllAsync(partition.HourCountsKey)).ToDictionary(e => (long)e.Name, e => (long)e.Value));
        }

        [Theory]
        [InlineData("orders")]
        [InlineData("eu{west}")]
        [InlineData("a}b{")]
        [InlineData("{}x")]
        public void The_counts_key_is_on_the_streams_cluster_slot(string service)
        {
            foreach (var prefix in new[] { "monarch:logs", "tenant{7}:logs" })
            {
                var partition = new StorageFormat(prefix).GetPartition(service, MonarchLogLevel.Warning);
                Assert.Equal(_valkey.Connection.HashSlot(partition.StreamKey), _valkey.Connection.HashSlot(partition.CountsKey));
                Assert.StartsWith(prefix + ":counts:", partition.CountsKey, StringComparison.Ordinal);
            }
        }
    }
}
