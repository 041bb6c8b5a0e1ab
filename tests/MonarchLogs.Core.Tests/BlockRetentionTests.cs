using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using MonarchLogs.Core.Archive;
using MonarchLogs.Core.Format;
using StackExchange.Redis;
using static MonarchLogs.Core.Tests.RetentionBlockSeeder;

namespace MonarchLogs.Core.Tests
{
    /// <summary>
    /// Retention of a format 2 store (docs/design/storage-format-2.md, "Retention"): the stream's
    /// blocks with an ID before cutoff − S whose entries are all older than the cutoff, and the
    /// late blocks whose t1 is, go whole and are counted by their n; the head, a block spanning the
    /// cutoff and a block with entries after it stay.
    /// </summary>
    public sealed class BlockRetentionTests : IClassFixture<ValkeyFixture>
    {
        /// <summary>The cutoff: within a minute, so that the cutoff's minute holds entries that go and entries that stay.</summary>
        private static readonly DateTime Cutoff = new DateTime(2026, 10, 20, 0, 5, 30, DateTimeKind.Utc);

        private readonly ValkeyFixture _valkey;

        public BlockRetentionTests(ValkeyFixture valkey) => _valkey = valkey;

        /// <summary>What a seeded store holds: per partition, the entries that go and those that stay, and the stream IDs that stay.</summary>
        private sealed class Seeded
        {
            public RetentionBlockSeeder Seeder = null!;
            public Partition Info = null!;
            public Partition Debug = null!;
            public List<MonarchLogEntry> InfoExpired = new List<MonarchLogEntry>();
            public List<MonarchLogEntry> InfoKept = new List<MonarchLogEntry>();
            public List<MonarchLogEntry> DebugExpired = new List<MonarchLogEntry>();
            public List<MonarchLogEntry> DebugKept = new List<MonarchLogEntry>();
            public List<StreamId> InfoKeptIds = new List<StreamId>();
            public List<StreamId> InfoLateKept = new List<StreamId>();
        }

        private async Task<Seeded> SeedAsync()
        {
            var seeder = await RetentionBlockSeeder.CreateAsync(_valkey);
            var s = new Seeded { Seeder = seeder, Info = seeder.Partition("orders", MonarchLogLevel.Information), Debug = seeder.Partition("orders", MonarchLogLevel.Debug) };
            var t = Cutoff;

            async Task<StreamId> Add(Partition p, DateTime id, List<MonarchLogEntry> entries, bool expired)
            {
                var added = await seeder.AddAtAsync(p, id, entries);
                var into = p == s.Info ? (expired ? s.InfoExpired : s.InfoKept) : (expired ? s.DebugExpired : s.DebugKept);
                into.AddRange(entries);
                if (p == s.Info && !expired) s.InfoKeptIds.Add(added);
                return added;
            }

            var day = TimeSpan.FromDays(1);
            var i = s.Info;
            // The run at the start of the stream: b0 is late (entries two days older than its ID), b2 spans midnight.
            await Add(i, t - 4 * day, Entries(i, "b0", t - 6 * day, t - 6 * day + TimeSpan.FromSeconds(1)), expired: true);
            await Add(i, t - 3 * day, Entries(i, "b1", Enumerable.Range(0, 5).Select(m => t - 3 * day - TimeSpan.FromMinutes(4 - m)).ToArray()), expired: true);
            var b2Id = new DateTime(2026, 10, 18, 0, 5, 30, DateTimeKind.Utc);
            await Add(i, b2Id, Entries(i, "b2", b2Id.Date.AddMinutes(-2), b2Id.Date.AddMinutes(-1), b2Id.Date.AddTicks(-1), b2Id.Date, b2Id.Date.AddSeconds(30), b2Id.Date.AddMinutes(1), b2Id.Date.AddMinutes(2)), expired: true);
            // An old ID with entries after the cutoff (a writer's clock ahead): kept, and late.
            s.InfoLateKept.Add(await Add(i, t - day, Entries(i, "b7", t.AddHours(1), t.AddHours(1).AddSeconds(1)), expired: false));
            // Expired blocks after the one kept: removed one by one; b9 has entries in the cutoff's minute.
            await Add(i, t.AddHours(-12), Entries(i, "b8", t.AddHours(-12).AddMinutes(-1), t.AddHours(-12)), expired: true);
            await Add(i, t.AddSeconds(-11), Entries(i, "b9", t.AddSeconds(-20), t.AddSeconds(-15), t.AddSeconds(-12)), expired: true);
            // A block spanning the cutoff, and a newer one: kept.
            await Add(i, t.AddMinutes(1), Entries(i, "b3", t.AddMinutes(-4), t.AddMinutes(-1), t.AddSeconds(-5), t.AddSeconds(20)), expired: false);
            await Add(i, t.AddHours(1), Entries(i, "b4", t.AddHours(1).AddMinutes(-1), t.AddHours(1).AddSeconds(-1), t.AddHours(1)), expired: false);
            // Late blocks: b5's entries are all expired, b6's reach past the cutoff.
            await Add(i, t.AddHours(2), Entries(i, "b5", t - 5 * day, t - 5 * day + TimeSpan.FromSeconds(30), t - 5 * day + TimeSpan.FromMinutes(1), t - 5 * day + TimeSpan.FromMinutes(2)), expired: true);
            s.InfoLateKept.Add(await Add(i, t.AddHours(3), Entries(i, "b6", t.AddMinutes(-1), t.AddMinutes(1)), expired: false));
            // The head: never touched, whatever its entries' times.
            var head = Entries(i, "head", t.AddDays(-10), t.AddDays(-10).AddSeconds(1));
            await seeder.AppendAsync(i, head, toHead: true);
            s.InfoKept.AddRange(head);

            var d = s.Debug;
            await Add(d, t - 5 * day, Entries(d, "c1", Enumerable.Range(0, 10).Select(n => t - 5 * day - TimeSpan.FromSeconds(n)).Reverse().ToArray()), expired: true);
            await Add(d, t - day, Entries(d, "c2", Enumerable.Range(0, 20).Select(n => t - day - TimeSpan.FromSeconds(n)).Reverse().ToArray()), expired: true);
            await Add(d, t.AddHours(1), Entries(d, "c3", t.AddHours(1)), expired: false);
            return s;
        }

        [Fact]
        public async Task Preview_and_removal_count_exactly_the_entries_of_the_blocks_that_go_per_partition()
        {
            var s = await SeedAsync();
            var store = s.Seeder.Store;
            var info = await store.PreviewExpiredAsync(s.Info, Cutoff);
            var debug = await store.PreviewExpiredAsync(s.Debug, Cutoff);
            Assert.Equal(23, s.InfoExpired.Count);
            Assert.Equal(23, info.ExpiredEntries);
            Assert.Equal(30, debug.ExpiredEntries);
            Assert.Equal(Cutoff.AddDays(-6), info.Oldest);
            Assert.Equal(Cutoff.AddSeconds(-12), info.Newest);
            Assert.Equal(s.InfoExpired.Count + s.InfoKept.Count, info.TotalEntries);
            Assert.True(info.EstimatedBytes > 0);
            Assert.Equal(10, await s.Seeder.Db.StreamLengthAsync(s.Info.StreamKey));

            var removedInfo = await store.RemoveExpiredAsync(s.Info, Cutoff);
            var removedDebug = await store.RemoveExpiredAsync(s.Debug, Cutoff);
            Assert.Equal(info.ExpiredEntries, removedInfo.RemovedEntries);
            Assert.Equal(debug.ExpiredEntries, removedDebug.RemovedEntries);

            Assert.Equal(0, (await store.PreviewExpiredAsync(s.Info, Cutoff)).ExpiredEntries);
            Assert.Equal(0, (await store.RemoveExpiredAsync(s.Info, Cutoff)).RemovedEntries);
            Assert.Equal(0, (await store.RemoveExpiredAsync(s.Debug, Cutoff)).RemovedEntries);
        }

        [Fact]
        public async Task Removal_keeps_the_head_a_block_spanning_the_cutoff_and_blocks_with_newer_entries()
        {
            var s = await SeedAsync();
            var db = s.Seeder.Db;
            await s.Seeder.Store.RemoveExpiredAsync(s.Info, Cutoff);
            await s.Seeder.Store.RemoveExpiredAsync(s.Debug, Cutoff);

            var left = (await db.StreamRangeAsync(s.Info.StreamKey)).Select(e => e.Id.ToString()).ToList();
            Assert.Equal(s.InfoKeptIds.Select(id => id.ToString()).OrderBy(id => id, StringComparer.Ordinal), left.OrderBy(id => id, StringComparer.Ordinal));
            var late = (await db.SortedSetRangeByRankAsync(s.Info.LateKey)).Select(m => m.ToString()).OrderBy(m => m, StringComparer.Ordinal);
            Assert.Equal(s.InfoLateKept.Select(id => id.ToString()).OrderBy(m => m, StringComparer.Ordinal), late);
            Assert.Equal(1, await db.StreamLengthAsync(s.Info.HeadKey));
            Assert.Equal(1, await db.StreamLengthAsync(s.Debug.StreamKey));
        }

        [Fact]
        public async Task The_counts_after_removal_are_those_of_the_entries_left()
        {
            var s = await SeedAsync();
            var before = CountsOf(s.InfoExpired.Concat(s.InfoKept));
            Assert.Equal(Sorted(before.Minutes), Sorted(await s.Seeder.HashAsync(s.Info.CountsKey)));

            await s.Seeder.Store.RemoveExpiredAsync(s.Info, Cutoff);
            await s.Seeder.Store.RemoveExpiredAsync(s.Debug, Cutoff);

            // The minutes before the cutoff's that a kept block still holds are counted again, and their hours.
            var (minutes, hours) = CountsOf(s.InfoKept);
            Assert.Equal(Sorted(minutes), Sorted(await s.Seeder.HashAsync(s.Info.CountsKey)));
            Assert.Equal(Sorted(hours), Sorted(await s.Seeder.HashAsync(s.Info.HourCountsKey)));
            var debug = CountsOf(s.DebugKept);
            Assert.Equal(Sorted(debug.Minutes), Sorted(await s.Seeder.HashAsync(s.Debug.CountsKey)));
            Assert.Equal(Sorted(debug.Hours), Sorted(await s.Seeder.HashAsync(s.Debug.HourCountsKey)));
        }

        [Fact]
        public async Task The_archive_holds_exactly_the_removed_entries_field_by_field_one_file_per_day_of_event_time()
        {
            var s = await SeedAsync();
            var folder = Path.Combine(Path.GetTempPath(), "monarch-block-archive-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(folder);
            try
            {
                var result = await s.Seeder.Store.ArchiveExpiredAsync(s.Info, Cutoff, folder);
                Assert.Null(result.Failure);
                Assert.Equal(23, result.ArchivedEntries);
                Assert.Equal(23, result.RemovedEntries);

                var expected = s.InfoExpired.GroupBy(e => e.Timestamp.Date).OrderBy(g => g.Key).ToList();
                Assert.Equal(expected.Select(g => g.Key), result.Files.Select(f => f.Day));
                foreach (var (day, file) in expected.Zip(result.Files))
                {
                    Assert.Equal(Path.Combine(folder, ArchiveFormat.DailyFileName(s.Seeder.Store.Format.Prefix, s.Info, day.Key)), file.Path);
                    var read = ReadArchive(file.Path);
                    Assert.Equal(day.Count(), file.Entries);
                    Assert.Equal(day.Select(Describe).OrderBy(x => x, StringComparer.Ordinal), read.Select(Describe).OrderBy(x => x, StringComparer.Ordinal));
                    Assert.Equal(read[read.Count - 1].Id, file.LastId);
                }

                Assert.Equal(s.InfoKeptIds.Count, await s.Seeder.Db.StreamLengthAsync(s.Info.StreamKey));
                Assert.Empty((await s.Seeder.Store.ArchiveExpiredAsync(s.Info, Cutoff, folder)).Files);
            }
            finally
            {
                Directory.Delete(folder, recursive: true);
            }
        }

        [Fact]
        public async Task A_key_of_another_type_fails_its_partition_and_the_others_are_trimmed()
        {
            var seeder = await RetentionBlockSeeder.CreateAsync(_valkey);
            var good = seeder.Partition("good", MonarchLogLevel.Error);
            await seeder.AddAtAsync(good, Cutoff.AddDays(-2), Entries(good, "g1", Cutoff.AddDays(-2).AddSeconds(-2), Cutoff.AddDays(-2).AddSeconds(-1), Cutoff.AddDays(-2)));
            await seeder.AddAtAsync(good, Cutoff.AddMinutes(1), Entries(good, "g2", Cutoff));
            var bad = seeder.Partition("bad", MonarchLogLevel.Error);
            var hash = seeder.Partition("bad", MonarchLogLevel.Warning);
            await seeder.Db.StringSetAsync(bad.StreamKey, "a string");
            await seeder.Db.HashSetAsync(hash.StreamKey, "field", "a hash");
            await seeder.RegisterAsync(bad);
            await seeder.RegisterAsync(hash);

            var failed = new List<string>();
            long removed = 0;
            foreach (var partition in await seeder.Store.GetPartitionsAsync())
            {
                try
                {
                    Assert.Equal(partition.ToString() == "good/error" ? 3 : -1, (await seeder.Store.PreviewExpiredAsync(partition, Cutoff)).ExpiredEntries);
                    removed += (await seeder.Store.RemoveExpiredAsync(partition, Cutoff)).RemovedEntries;
                }
                catch (Exception ex) when (ex is not Xunit.Sdk.XunitException)
                {
                    Assert.Equal(StoreErrors.WrongType, StoreErrors.Classify(ex, partition.ToString()).ErrorId);
                    var archive = await Assert.ThrowsAnyAsync<Exception>(() => seeder.Store.ArchiveExpiredAsync(partition, Cutoff, Path.GetTempPath()));
                    Assert.Equal(StoreErrors.WrongType, StoreErrors.Classify(archive, partition.ToString()).ErrorId);
                    failed.Add(partition.ToString());
                }
            }

            Assert.Equal(3, removed);
            Assert.Equal(new[] { "bad/error", "bad/warning" }, failed.OrderBy(n => n, StringComparer.Ordinal));
        }

        [Fact]
        public async Task A_long_run_of_expired_blocks_goes_in_bounded_trims_and_is_counted_exactly()
        {
            var seeder = await RetentionBlockSeeder.CreateAsync(_valkey);
            var partition = seeder.Partition("busy", MonarchLogLevel.Information);
            var start = Cutoff.AddDays(-3);
            for (var n = 0; n < 1500; n++)
            {
                var id = start.AddSeconds(n);
                await seeder.AddAtAsync(partition, id, Entries(partition, "r" + n, id.AddSeconds(-1), id));
            }

            await seeder.AddAtAsync(partition, Cutoff.AddMinutes(1), Entries(partition, "kept", Cutoff));
            Assert.Equal(3000, (await seeder.Store.PreviewExpiredAsync(partition, Cutoff)).ExpiredEntries);
            var result = await seeder.Store.RemoveExpiredAsync(partition, Cutoff);
            Assert.Equal(3000, result.RemovedEntries);
            Assert.True(result.TrimCommands >= 3, $"expected several bounded trims, got {result.TrimCommands}");
            Assert.Equal(1, await seeder.Db.StreamLengthAsync(partition.StreamKey));
        }

        [Fact]
        public async Task A_block_that_cannot_be_archived_stops_the_archive_at_its_day_and_nothing_from_it_on_goes()
        {
            var seeder = await RetentionBlockSeeder.CreateAsync(_valkey);
            var partition = seeder.Partition("broken", MonarchLogLevel.Warning);
            var day1 = Cutoff.AddDays(-4);
            var day2 = Cutoff.AddDays(-3);
            await seeder.AddAtAsync(partition, day1, Entries(partition, "d1", day1.AddSeconds(-1), day1));
            // A header that reads, a payload that does not: the block is counted, but cannot be archived.
            var ticks = BlockTicks(day2);
            await seeder.Db.StreamAddAsync(partition.StreamKey, new[]
            {
                new NameValueEntry("n", 1), new NameValueEntry("t0", ticks), new NameValueEntry("t1", ticks), new NameValueEntry("codec", "jsonl"), new NameValueEntry("data", "not json"),
            }, messageId: StreamId.ToUnixMilliseconds(day2) + "-*");
            await seeder.AddAtAsync(partition, Cutoff.AddDays(-2), Entries(partition, "d3", Cutoff.AddDays(-2)));
            Assert.Equal(4, (await seeder.Store.PreviewExpiredAsync(partition, Cutoff)).ExpiredEntries);

            var folder = Path.Combine(Path.GetTempPath(), "monarch-block-archive-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(folder);
            try
            {
                var result = await seeder.Store.ArchiveExpiredAsync(partition, Cutoff, folder);
                Assert.Equal("InvalidBlock", result.Failure?.ErrorId);
                Assert.Equal(day1.Date, Assert.Single(result.Files).Day);
                Assert.Equal(2, result.ArchivedEntries);
                Assert.Equal(2, result.RemovedEntries);
                Assert.Single(Directory.GetFiles(folder));
                Assert.Equal(2, await seeder.Db.StreamLengthAsync(partition.StreamKey));
            }
            finally
            {
                Directory.Delete(folder, recursive: true);
            }
        }

        private static long BlockTicks(DateTime utc) => Format.Blocks.BlockHeader.ToUnixTicks(utc);

        private static List<MonarchLogEntry> ReadArchive(string path)
        {
            using var stream = ArchiveFormat.OpenRead(path);
            var reader = new LineReader(stream, LogImporter.MaxLineBytes);
            var entries = new List<MonarchLogEntry>();
            var first = true;
            while (reader.TryReadLine(out var line, out _))
            {
                var kind = ImportLine.Parse(line, new ImportDefaults(), out var entry, out var header, out var problem);
                Assert.Equal(first ? ImportLineKind.Header : ImportLineKind.Entry, kind);
                if (first) Assert.Equal(ArchiveFormat.RetentionKind, header!.Kind);
                else entries.Add(entry!);
                first = false;
            }

            return entries;
        }

        private static string Describe(MonarchLogEntry e) => string.Join("|", e.Timestamp.ToUniversalTime().Ticks, e.Level, e.Service, e.Category, e.Message, e.Template, e.EventId, e.EventName,
            e.ExceptionType, e.ExceptionMessage, e.Exception, e.TraceId, e.SpanId, e.Host, e.Properties);

        private static List<KeyValuePair<string, long>> Sorted(Dictionary<string, long> counts) => counts.OrderBy(p => p.Key, StringComparer.Ordinal).ToList();
    }
}
