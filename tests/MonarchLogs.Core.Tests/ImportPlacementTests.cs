using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading.Tasks;
using MonarchLogs.Core.Archive;
using MonarchLogs.Core.Format;
using MonarchLogs.Core.Format.Blocks;
using MonarchLogs.Core.Query;
using MonarchLogs.Core.Storage;
using StackExchange.Redis;

namespace MonarchLogs.Core.Tests
{
    /// <summary>An import's blocks go into the streams at their entries' event time where the stream allows it (docs/storage-format.md, "Importing").</summary>
    public sealed class ImportPlacementTests : IClassFixture<ValkeyFixture>
    {
        /// <summary>A past day, three days before today.</summary>
        private static readonly DateTime Day = DateTime.UtcNow.Date.AddDays(-3);

        private readonly ValkeyFixture _valkey;

        public ImportPlacementTests(ValkeyFixture valkey) => _valkey = valkey;

        private IDatabase Db => _valkey.Connection.GetDatabase();

        [Fact]
        public async Task An_import_into_an_empty_store_puts_every_block_at_its_entries_time_and_none_in_the_late_set()
        {
            var store = await BlockAppenderTests.BlockStoreAsync(_valkey);
            // "busy": 3,000 entries over the day; "quiet": 40, which a live writer's batch would have put into the head.
            var lines = DayLines("busy", 3000).Concat(DayLines("quiet", 40)).OrderBy(line => line.Time).Select(line => line.Text).ToArray();
            var result = await store.ImportAsync(new MemoryStream(Archive(lines)), "f", new ImportDefaults(), new ImportProgress(), null, batchSize: 1000);
            Assert.Equal((3040L, 0L, 0L), (result.Imported, result.Failed, result.Displaced));

            foreach (var service in new[] { "busy", "quiet" })
            {
                var partition = store.Format.GetPartition(service, MonarchLogLevel.Information);
                Assert.Equal(0, await Db.SortedSetLengthAsync(partition.LateKey));
                Assert.False(await Db.KeyExistsAsync(partition.HeadKey));
                var blocks = await BlockAppenderTests.ReadBlocksAsync(Db, partition, partition.StreamKey);
                Assert.NotEmpty(blocks);
                Assert.All(blocks, block =>
                {
                    Assert.True(BlockPositions.IsOnTime(block.Id.Milliseconds, block.Header.FirstTicks, block.Header.LastTicks), $"block {block.Id} is not on time");
                    Assert.True(block.Id.Milliseconds < StreamId.ToUnixMilliseconds(Day.AddDays(1).AddMinutes(1)));
                });
            }

            Assert.Equal(3040, (await store.ToListAsync(new LogQuery { Since = Day, Until = Day.AddDays(1) })).Count);
        }

        [Fact]
        public async Task A_query_of_the_last_day_after_importing_a_past_day_reads_none_of_its_blocks()
        {
            var store = await BlockAppenderTests.BlockStoreAsync(_valkey);
            var lines = DayLines("busy", 3000).Select(line => line.Text).ToArray();
            // A server that lost its scripts (a restart) refuses EVALSHA: the import's blocks still arrive in order.
            await Db.ExecuteAsync("SCRIPT", "FLUSH");
            var result = await store.ImportAsync(new MemoryStream(Archive(lines)), "f", new ImportDefaults(), new ImportProgress(), null);
            Assert.Equal(3000L, result.Imported);
            var partition = store.Format.GetPartition("busy", MonarchLogLevel.Information);
            var stored = (await Db.StreamRangeAsync(partition.StreamKey)).Sum(entry => entry.Values.Sum(field => ((byte[])field.Value!).Length));
            Assert.True(stored > 50_000, $"the day's blocks take {stored} bytes");

            // What a query of the last day reads (docs/storage-format.md, "How readers read"): the
            // stream's blocks from since − S, the late set's from since − L, the head. None of the day's.
            var since = DateTime.UtcNow.AddDays(-1);
            var sinceMs = StreamId.ToUnixMilliseconds(since);
            Assert.Empty(await Db.StreamRangeAsync(partition.StreamKey, (sinceMs - (long)BlockPositions.Lead.TotalMilliseconds).ToString(System.Globalization.CultureInfo.InvariantCulture), "+"));
            Assert.Empty(await Db.SortedSetRangeByScoreAsync(partition.LateKey, sinceMs - BlockPositions.Lag.TotalMilliseconds, double.PositiveInfinity));
            Assert.False(await Db.KeyExistsAsync(partition.HeadKey));
            Assert.Empty(await store.ToListAsync(new LogQuery { Since = since }));
        }

        [Fact]
        public async Task An_import_into_a_partition_with_later_entries_goes_in_late_and_reads_exactly()
        {
            var store = await BlockAppenderTests.BlockStoreAsync(_valkey);
            var now = DateTime.UtcNow;
            var live = Enumerable.Range(0, 300).Select(i => new MonarchLogEntry
            {
                Timestamp = now.AddMilliseconds(-i), Level = MonarchLogLevel.Information, Service = "busy", Message = "live " + i,
            }).ToList();
            Assert.Equal(300, await store.AppendAsync(live));

            var lines = DayLines("busy", 2000).Select(line => line.Text).ToArray();
            var result = await store.ImportAsync(new MemoryStream(Archive(lines)), "f", new ImportDefaults(), new ImportProgress(), null, batchSize: 700);
            Assert.Equal((2000L, 2000L), (result.Imported, result.Displaced));
            var partition = store.Format.GetPartition("busy", MonarchLogLevel.Information);
            Assert.True(await Db.SortedSetLengthAsync(partition.LateKey) > 0);

            var day = await store.ToListAsync(new LogQuery { Since = Day, Until = Day.AddDays(1), OldestFirst = true });
            Assert.Equal(Enumerable.Range(0, 2000).Select(i => "m" + i), day.Select(entry => entry.Message));
            Assert.Equal(2300, (await store.ToListAsync(new LogQuery())).Count);
            var again = await store.ImportAsync(new MemoryStream(Archive(lines)), "f", new ImportDefaults(), new ImportProgress(), null);
            Assert.Equal((0L, 2000L), (again.Imported, again.Skipped));
        }

        [Fact]
        public async Task A_block_sent_again_after_a_lost_reply_stands_on_time_and_reads_once()
        {
            var store = await BlockAppenderTests.BlockStoreAsync(_valkey);
            var partition = store.Format.GetPartition("busy", MonarchLogLevel.Information);
            var entries = Enumerable.Range(0, 50).Select(i => new MonarchLogEntry
            {
                Timestamp = Day.AddSeconds(i), Level = MonarchLogLevel.Information, Service = "busy", Message = "m" + i,
            }).ToList();
            using var encoder = new BlockEncoder();
            var block = encoder.Encode(entries, "import-writer", 1);
            var keys = BlockScripts.AppendKeys(partition, toHead: false);
            var arguments = BlockScripts.AppendArguments(block, toHead: false, count: true, atEventTime: true);
            await Db.HashSetAsync(store.Format.PartitionsKey, partition.StreamKey, StorageFormat.RegistryValue(partition));
            var first = (string)(await Db.ScriptEvaluateAsync(BlockScripts.Append, keys, arguments))!;
            var second = (string)(await Db.ScriptEvaluateAsync(BlockScripts.Append, keys, arguments))!;

            var (firstId, secondId) = (Id(first), Id(second));
            Assert.Equal(StreamId.ToUnixMilliseconds(Day.AddSeconds(49)), firstId.Milliseconds);
            Assert.Equal(firstId.Milliseconds, secondId.Milliseconds);
            Assert.Equal(0, await Db.SortedSetLengthAsync(partition.LateKey));
            var read = await store.ToListAsync(new LogQuery { Since = Day, Until = Day.AddDays(1), OldestFirst = true });
            Assert.Equal(entries.Select(entry => entry.Message), read.Select(entry => entry.Message));
        }

        [Fact]
        public async Task A_block_at_event_time_never_stands_after_the_server_s_clock_nor_before_the_stream_s_top()
        {
            var store = await BlockAppenderTests.BlockStoreAsync(_valkey);
            var partition = store.Format.GetPartition("busy", MonarchLogLevel.Information);
            using var encoder = new BlockEncoder();
            async Task<StreamId> AddAsync(DateTime time, long sequence)
            {
                var block = encoder.Encode(new[] { new MonarchLogEntry { Timestamp = time, Service = "busy", Level = MonarchLogLevel.Information, Message = "x" } }, "w", sequence);
                var id = (string)(await Db.ScriptEvaluateAsync(BlockScripts.Append, BlockScripts.AppendKeys(partition, toHead: false),
                    BlockScripts.AppendArguments(block, toHead: false, count: true, atEventTime: true)))!;
                return Id(id);
            }

            // In order: at its time; a minute before the top: at the top (still on time); an hour before: late, at the server's time.
            var at = await AddAsync(Day.AddHours(1), 1);
            Assert.Equal(StreamId.ToUnixMilliseconds(Day.AddHours(1)), at.Milliseconds);
            var atTop = await AddAsync(Day.AddHours(1).AddMinutes(-1), 2);
            Assert.Equal(at.Milliseconds, atTop.Milliseconds);
            var late = await AddAsync(Day, 3);
            Assert.True(late.Milliseconds > StreamId.ToUnixMilliseconds(DateTime.UtcNow.AddMinutes(-5)));
            // An hour ahead of the server's clock: at the server's time, late.
            var ahead = await AddAsync(DateTime.UtcNow.AddHours(1), 4);
            Assert.True(ahead.Milliseconds < StreamId.ToUnixMilliseconds(DateTime.UtcNow.AddMinutes(5)));
            Assert.Equal(new[] { late.ToString(), ahead.ToString() },
                (await Db.SortedSetRangeByRankAsync(partition.LateKey)).Select(member => (string)member!).OrderBy(id => id, StringComparer.Ordinal));
        }

        [Fact]
        public async Task A_user_who_may_not_ask_the_server_s_clock_imports_every_entry_in_late_blocks()
        {
            var store = await BlockAppenderTests.BlockStoreAsync(_valkey);
            var user = "no-time-" + Guid.NewGuid().ToString("N").Substring(0, 8);
            await Db.ExecuteAsync("ACL", "SETUSER", user, "on", ">s", "~*", "&*", "+@all", "-time");
            using var connection = await ConnectionMultiplexer.ConnectAsync(_valkey.Server.ConnectionString + ",user=" + user + ",password=s");
            var importer = new LogStore(connection, store.Format);
            var lines = DayLines("busy", 600).Select(line => line.Text).ToArray();
            var problems = new List<ImportProblem>();
            var result = await importer.ImportAsync(new MemoryStream(Archive(lines)), "f", new ImportDefaults(), new ImportProgress(), problems.Add);
            Assert.Equal(string.Empty, string.Join(" / ", problems.Select(problem => problem.Error.Message)));
            Assert.Equal((600L, 600L), (result.Imported, result.Displaced));
            Assert.Equal(600, (await store.ToListAsync(new LogQuery { Since = Day, Until = Day.AddDays(1) })).Count);
        }

        [Fact]
        public async Task An_import_whose_damage_check_finds_damage_writes_nothing()
        {
            var store = await BlockAppenderTests.BlockStoreAsync(_valkey);
            var lines = DayLines("busy", 3000).Select(line => line.Text).ToArray();
            var damage = Task.Delay(300).ContinueWith(_ => (string?)"a damaged block");
            var failure = await Assert.ThrowsAsync<MonarchLogsException>(() =>
                store.ImportAsync(new MemoryStream(Archive(lines)), "f", new ImportDefaults(), new ImportProgress(), null, batchSize: 500, damage: damage));
            Assert.Equal((LogImporter.DamagedFile, "a damaged block"), (failure.ErrorId, failure.Message));
            Assert.False(await Db.KeyExistsAsync(store.Format.GetPartition("busy", MonarchLogLevel.Information).StreamKey));

            var passed = await store.ImportAsync(new MemoryStream(Archive(lines)), "f", new ImportDefaults(), new ImportProgress(), null, batchSize: 500, damage: Task.FromResult<string?>(null));
            Assert.Equal(3000L, passed.Imported);
        }

        /// <summary><paramref name="count"/> entries of <paramref name="service"/> spread over <see cref="Day"/>, each with a message of its own that does not compress.</summary>
        private static IEnumerable<(DateTime Time, string Text)> DayLines(string service, int count) =>
            Enumerable.Range(0, count).Select(i =>
            {
                var time = Day.AddTicks(TimeSpan.TicksPerDay / count * i);
                return (time, "{\"ts\":\"" + ArchiveFormat.FormatTime(time) + "\",\"level\":\"information\",\"service\":\"" + service + "\",\"message\":\"m" + i
                    + "\",\"props\":\"{\\\"Key\\\":\\\"" + Guid.NewGuid().ToString("N") + "\\\"}\"}");
            });

        private static StreamId Id(string text)
        {
            Assert.True(StreamId.TryParse(text, out var id), text);
            return id;
        }

        private static byte[] Archive(params string[] lines) => Encoding.UTF8.GetBytes(string.Join("\n", lines) + "\n");
    }
}
