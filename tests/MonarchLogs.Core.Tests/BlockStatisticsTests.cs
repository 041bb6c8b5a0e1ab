using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using MonarchLogs.Core.Connection;
using MonarchLogs.Core.Format;
using MonarchLogs.Core.Query;
using MonarchLogs.Core.Statistics;
using MonarchLogs.Core.Storage;
using static MonarchLogs.Core.Tests.StatisticsTests;
using static MonarchLogs.Core.Tests.StoreExtensions;

namespace MonarchLogs.Core.Tests
{
    /// <summary>Statistics and status of a version 2 store: counts by event minute, from the hashes the append script keeps.</summary>
    public sealed class BlockStatisticsTests : IClassFixture<ValkeyFixture>
    {
        private readonly ValkeyFixture _valkey;

        public BlockStatisticsTests(ValkeyFixture valkey) => _valkey = valkey;

        /// <summary>600 entries over 2 services and 2 levels, 37 seconds apart (6.2 hours), in blocks of at most 100 of one partition.</summary>
        private static List<MonarchLogEntry> Spread() =>
            Enumerable.Range(0, 600).Select(i => Entry(i % 2 == 0 ? "orders" : "billing", i % 5 == 0 ? MonarchLogLevel.Error : MonarchLogLevel.Information,
                BaseTime.AddSeconds(37 * i).AddMilliseconds(i % 7), "e" + i)).ToList();

        private static async Task SeedAsync(LogStore store, IEnumerable<MonarchLogEntry> entries)
        {
            foreach (var partition in entries.GroupBy(e => (e.Service, e.Level)))
            {
                var chunks = partition.Chunk(100).ToList();
                for (var i = 0; i < chunks.Count; i++) await TailBlockSeeder.AppendAsync(store, chunks[i], toHead: i == chunks.Count - 1, notify: false);
            }
        }

        [Theory]
        [InlineData(null, null, null)]
        [InlineData(60, null, null)]
        [InlineData(5, 1200, 19_980)]
        [InlineData(90, 3_600, 18_000)]
        [InlineData(null, 120, 7_200)]
        public async Task Counts_per_interval_and_level_come_from_the_counts_by_event_minute(int? minutes, int? sinceSeconds, int? untilSeconds)
        {
            var store = _valkey.NewStore();
            await TailBlockSeeder.MarkVersion2Async(store);
            var entries = Spread();
            await SeedAsync(store, entries);
            var query = new LogQuery { Since = sinceSeconds is { } s ? BaseTime.AddSeconds(s) : null, Until = untilSeconds is { } u ? BaseTime.AddSeconds(u) : null };

            var counts = await store.CountAsync(query, minutes is { } m ? TimeSpan.FromMinutes(m) : null);
            Assert.Equal(Truth(entries, counts), Counted(counts));
            Assert.DoesNotContain(counts.Partitions, p => p.CountedByReading);
            Assert.Equal(4, counts.Partitions.Count);

            // An open range is the oldest and newest minutes counted: whole minutes, no entry read.
            if (query.Since is null) Assert.Equal(BaseTime, counts.Since);
            if (query.Until is null) Assert.Equal(BaseTime.AddHours(6).AddMinutes(10), counts.Until);

            var errors = await store.CountAsync(query with { Levels = new[] { MonarchLogLevel.Error } }, null);
            Assert.Equal(entries.Count(e => e.Level == MonarchLogLevel.Error && e.Timestamp >= errors.Since && e.Timestamp < errors.Until), errors.Partitions.Sum(p => p.Total));
        }

        [Fact]
        public async Task A_compaction_adds_no_count()
        {
            var store = _valkey.NewStore();
            await TailBlockSeeder.MarkVersion2Async(store);
            var entries = Enumerable.Range(0, 30).Select(i => Entry("jobs", MonarchLogLevel.Information, BaseTime.AddSeconds(10 * i), "j" + i)).ToList();
            foreach (var chunk in entries.Chunk(7)) await TailBlockSeeder.AppendAsync(store, chunk, toHead: true, notify: false);
            await TailBlockSeeder.CompactHeadAsync(store, store.Format.GetPartition("jobs", MonarchLogLevel.Information), notify: false);

            var counts = await store.CountAsync(new LogQuery(), TimeSpan.FromMinutes(1));
            Assert.Equal(Truth(entries, counts), Counted(counts));
            Assert.Equal(30, Assert.Single(counts.Partitions).Total);
        }

        /// <summary>
        /// A store being upgraded holds entries of version 1 beside blocks: the counts answer the
        /// whole minutes, and the parts of a minute at the edges and intervals of seconds are read
        /// through the query.
        /// </summary>
        [Fact]
        public async Task Parts_of_a_minute_and_intervals_of_seconds_are_counted_by_reading_the_entries()
        {
            var store = _valkey.NewStore();
            var old = Spread();
            await store.AppendAllAsync(old);
            await TailBlockSeeder.MarkVersion2Async(store);
            var blocks = Enumerable.Range(0, 30).Select(i => Entry("orders", MonarchLogLevel.Information, BaseTime.AddHours(3).AddSeconds(10 * i).AddMilliseconds(3), "b" + i)).ToList();
            await TailBlockSeeder.AppendAsync(store, blocks, toHead: false, notify: false);
            var entries = old.Concat(blocks).ToList();

            var counts = await store.CountAsync(new LogQuery { Since = BaseTime.AddSeconds(1234), Until = BaseTime.AddSeconds(20_000) }, TimeSpan.FromMinutes(5));
            Assert.Equal(Truth(entries, counts), Counted(counts));
            Assert.DoesNotContain(counts.Partitions, p => p.CountedByReading);

            var seconds = await store.CountAsync(new LogQuery { Since = BaseTime, Until = BaseTime.AddHours(1) }, TimeSpan.FromSeconds(45));
            Assert.Equal(Truth(entries, seconds), Counted(seconds));
            Assert.All(seconds.Partitions, p => Assert.True(p.CountedByReading));
        }

        [Fact]
        public async Task The_status_shows_version_2_its_entries_times_and_memory_without_opening_a_block()
        {
            var store = _valkey.NewStore();
            await TailBlockSeeder.MarkVersion2Async(store);
            var now = DateTime.UtcNow;
            now = now.AddTicks(-(now.Ticks % TimeSpan.TicksPerMillisecond));
            var onTime = Enumerable.Range(0, 300).Select(i => Entry("api", MonarchLogLevel.Error, now.AddMinutes(-2).AddMilliseconds(i), "s" + i)).ToList();
            await TailBlockSeeder.AppendAsync(store, onTime, toHead: false, notify: false);
            var head = Enumerable.Range(0, 3).Select(i => Entry("api", MonarchLogLevel.Error, now.AddMilliseconds(i), "h" + i)).ToList();
            await TailBlockSeeder.AppendAsync(store, head, toHead: true, notify: false);
            var late = Enumerable.Range(0, 5).Select(i => Entry("jobs", MonarchLogLevel.Information, BaseTime.AddSeconds(i), "late" + i)).ToList();
            await TailBlockSeeder.AppendAsync(store, late, toHead: false, notify: false);
            var jobs = Enumerable.Range(0, 2).Select(i => Entry("jobs", MonarchLogLevel.Information, now.AddSeconds(-1 - i), "j" + i)).ToList();
            await TailBlockSeeder.AppendAsync(store, jobs, toHead: false, notify: false);

            var status = await store.GetStatusAsync(TimeSpan.FromDays(36500));
            Assert.Equal("2", status.FormatVersion);
            Assert.Equal(310, status.TotalEntries);
            var api = status.Partitions.Single(p => p.Service == "api");
            Assert.Equal(303, api.Entries);
            Assert.Equal(now.AddMinutes(-2), api.Oldest);
            Assert.Equal(now.AddMilliseconds(2), api.Newest);
            var jobsStatus = status.Partitions.Single(p => p.Service == "jobs");
            Assert.Equal(7, jobsStatus.Entries);
            Assert.Equal(BaseTime, jobsStatus.Oldest);
            Assert.Equal(now.AddSeconds(-1), jobsStatus.Newest);
            Assert.Equal(BaseTime, status.Oldest);
            Assert.Equal(now.AddMilliseconds(2), status.Newest);

            var db = _valkey.Connection.GetDatabase();
            var partition = store.Format.GetPartition("api", MonarchLogLevel.Error);
            var streamOnly = (long)await db.ExecuteAsync("MEMORY", "USAGE", partition.StreamKey);
            Assert.True(api.MemoryBytes > streamOnly, $"{api.MemoryBytes} bytes against the stream's {streamOnly}: the head is left out");
        }

        /// <summary>A reader role made before version 2 may read the stream and the counts but not the head or the late set: the status goes on with what it may read.</summary>
        [Fact]
        public async Task A_reader_who_may_not_read_the_head_or_late_set_still_gets_the_status()
        {
            var store = _valkey.NewStore();
            await TailBlockSeeder.MarkVersion2Async(store);
            var now = DateTime.UtcNow;
            now = now.AddTicks(-(now.Ticks % TimeSpan.TicksPerMillisecond));
            await TailBlockSeeder.AppendAsync(store, new[] { Entry("api", MonarchLogLevel.Error, now.AddSeconds(-5), "stream") }, toHead: false, notify: false);
            await TailBlockSeeder.AppendAsync(store, new[] { Entry("api", MonarchLogLevel.Error, now, "head") }, toHead: true, notify: false);

            var prefix = store.Format.Prefix;
            var user = "old-reader-" + Guid.NewGuid().ToString("N").Substring(0, 8);
            var rules = ("on >secret resetkeys resetchannels -@all +ping +hello +auth +client|setname +client|setinfo +select +acl|whoami +echo +info +get +hgetall +hmget "
                + "+xrange +xrevrange +xread +xlen +memory|usage +multi +exec +subscribe +unsubscribe %R~P:format %R~P:partitions %R~P:stream:* %R~P:counts:* &P:notify").Replace("P:", prefix + ":", StringComparison.Ordinal);
            await _valkey.Connection.GetDatabase().ExecuteAsync("ACL", new object[] { "SETUSER", user }.Concat(rules.Split(' ')).ToArray());
            var options = StoreConnection.CreateOptions(new StoreConnectionSettings { ConnectionString = _valkey.Server.ConnectionString, User = user, Password = "secret" });
            using var connection = await StoreConnection.ConnectAsync(options);

            var status = await new LogStore(connection, new StorageFormat(prefix)).GetStatusAsync(TimeSpan.FromDays(36500));
            var api = Assert.Single(status.Partitions);
            Assert.Equal(2, api.Entries);
            Assert.Equal(now.AddSeconds(-5), api.Oldest);
            Assert.Equal(now.AddSeconds(-5), api.Newest);
            Assert.Null(api.MemoryBytes);
        }
    }
}
