using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using MonarchLogs.Core.Format;
using MonarchLogs.Core.Format.Blocks;
using MonarchLogs.Core.Query;
using MonarchLogs.Core.Storage;
using MonarchLogs.Core.Tail;
using StackExchange.Redis;
using Xunit.Abstractions;
using static MonarchLogs.Core.Tests.StoreExtensions;

namespace MonarchLogs.Core.Tests
{
    /// <summary>A live tail of a version 2 store: the head and the stream read by ID, compaction blocks skipped.</summary>
    public sealed class BlockTailTests : IClassFixture<ValkeyFixture>
    {
        private readonly ValkeyFixture _valkey;
        private readonly ITestOutputHelper _output;

        public BlockTailTests(ValkeyFixture valkey, ITestOutputHelper output)
        {
            _valkey = valkey;
            _output = output;
        }

        [Fact]
        public async Task A_block_appended_to_the_head_shows_its_entries_in_position_order()
        {
            var store = await NewStoreAsync();
            using var tail = await store.OpenTailAsync(new LogQuery());
            var now = DateTime.UtcNow;
            var entries = new[] { Entry("api", MonarchLogLevel.Error, now.AddMilliseconds(5), "second"), Entry("api", MonarchLogLevel.Error, now, "first") };
            await TailBlockSeeder.AppendAsync(store, entries, toHead: true);

            var shown = await ReadAsync(tail, 2);
            Assert.Equal(new[] { "first", "second" }, shown.Select(e => e.Message));
            Assert.Equal(new[] { TailBlockSeeder.IdOf(entries[1]), TailBlockSeeder.IdOf(entries[0]) }, shown.Select(e => e.Id));
            Assert.All(shown, e => Assert.Equal("api", e.Service));
        }

        [Fact]
        public async Task A_block_appended_to_the_stream_shows_and_blocks_there_before_the_tail_opened_do_not()
        {
            var store = await NewStoreAsync();
            var now = DateTime.UtcNow;
            await TailBlockSeeder.AppendAsync(store, new[] { Entry("api", MonarchLogLevel.Warning, now.AddSeconds(-5), "old") }, toHead: false);
            await TailBlockSeeder.AppendAsync(store, new[] { Entry("api", MonarchLogLevel.Warning, now.AddSeconds(-4), "old head") }, toHead: true);
            using var tail = await store.OpenTailAsync(new LogQuery());
            await TailBlockSeeder.AppendAsync(store, Enumerable.Range(0, 300).Select(i => Entry("api", MonarchLogLevel.Warning, now.AddMilliseconds(i), "new " + i)).ToList(), toHead: false);

            var shown = await ReadAsync(tail, 300);
            Assert.Equal(Enumerable.Range(0, 300).Select(i => "new " + i), shown.Select(e => e.Message));
            Assert.Empty(await tail.NextAsync(TimeSpan.FromMilliseconds(100), CancellationToken.None));
        }

        [Fact]
        public async Task A_compaction_block_does_not_show_its_entries_again()
        {
            var store = await NewStoreAsync();
            var partition = store.Format.GetPartition("jobs", MonarchLogLevel.Information);
            var now = DateTime.UtcNow;
            await TailBlockSeeder.AppendAsync(store, new[] { Entry("jobs", MonarchLogLevel.Information, now.AddSeconds(-1), "before the tail") }, toHead: true);
            using var tail = await store.OpenTailAsync(new LogQuery());
            await TailBlockSeeder.AppendAsync(store, new[] { Entry("jobs", MonarchLogLevel.Information, now, "a"), Entry("jobs", MonarchLogLevel.Information, now.AddMilliseconds(1), "b") }, toHead: true);
            Assert.Equal(new[] { "a", "b" }, (await ReadAsync(tail, 2)).Select(e => e.Message));

            await TailBlockSeeder.CompactHeadAsync(store, partition);
            Assert.Empty(await tail.NextAsync(TimeSpan.FromMilliseconds(300), CancellationToken.None));
            await TailBlockSeeder.AppendAsync(store, new[] { Entry("jobs", MonarchLogLevel.Information, now.AddMilliseconds(2), "c") }, toHead: true);
            Assert.Equal(new[] { "c" }, (await ReadAsync(tail, 1)).Select(e => e.Message));
            Assert.Empty(await tail.NextAsync(TimeSpan.FromMilliseconds(100), CancellationToken.None));
        }

        [Fact]
        public async Task A_block_the_upgrade_made_of_entries_already_in_the_stream_does_not_show()
        {
            var store = await NewStoreAsync();
            var partition = store.Format.GetPartition("jobs", MonarchLogLevel.Information);
            await TailBlockSeeder.AppendAsync(store, new[] { Entry("jobs", MonarchLogLevel.Information, DateTime.UtcNow, "first") }, toHead: false, notify: false);
            using var tail = await store.OpenTailAsync(new LogQuery());
            using (var encoder = new BlockEncoder())
            {
                var fields = BlockFields.ToStreamFields(encoder.Encode(new[] { Entry("jobs", MonarchLogLevel.Information, DateTime.UtcNow.AddMinutes(-3), "converted") }, "upgrade", 1)).ToList();
                fields.Insert(fields.Count - 1, new NameValueEntry(StoredBlock.SourceField, StoredBlock.FromUpgrade));
                await _valkey.Connection.GetDatabase().StreamAddAsync(partition.StreamKey, fields.ToArray());
            }

            await TailBlockSeeder.AppendAsync(store, new[] { Entry("jobs", MonarchLogLevel.Information, DateTime.UtcNow, "new") }, toHead: false);
            Assert.Equal(new[] { "new" }, (await ReadAsync(tail, 1)).Select(e => e.Message));
            Assert.Empty(await tail.NextAsync(TimeSpan.FromMilliseconds(100), CancellationToken.None));
        }

        /// <summary>A store upgraded while a tail of version 1 runs: its first block is read as a block, not as a broken entry, and the heads are read from then on.</summary>
        [Fact]
        public async Task A_tail_opened_on_version_1_follows_the_store_to_version_2()
        {
            var store = _valkey.NewStore();
            await store.AppendAsync(new[] { Entry("jobs", MonarchLogLevel.Information, DateTime.UtcNow, "version 1") });
            using var tail = await store.OpenTailAsync(new LogQuery());
            await store.AppendAsync(new[] { Entry("jobs", MonarchLogLevel.Information, DateTime.UtcNow, "still version 1") });
            Assert.Equal(new[] { "still version 1" }, (await ReadAsync(tail, 1)).Select(e => e.Message));

            await TailBlockSeeder.MarkVersion2Async(store);
            var now = DateTime.UtcNow;
            await TailBlockSeeder.AppendAsync(store, new[] { Entry("jobs", MonarchLogLevel.Information, now, "a block"), Entry("jobs", MonarchLogLevel.Information, now.AddMilliseconds(1), "of two") }, toHead: false);
            await TailBlockSeeder.AppendAsync(store, new[] { Entry("jobs", MonarchLogLevel.Information, now.AddMilliseconds(2), "in the head") }, toHead: true);
            Assert.Equal(new[] { "a block", "of two", "in the head" }, (await ReadAsync(tail, 3)).Select(e => e.Message));
            Assert.Empty(await tail.NextAsync(TimeSpan.FromMilliseconds(100), CancellationToken.None));
        }

        [Fact]
        public async Task A_head_block_compacted_before_the_tail_read_it_shows_once_from_the_compaction_block()
        {
            var store = await NewStoreAsync();
            var partition = store.Format.GetPartition("jobs", MonarchLogLevel.Information);
            var now = DateTime.UtcNow;
            using var tail = await store.OpenTailAsync(new LogQuery());
            await TailBlockSeeder.AppendAsync(store, new[] { Entry("jobs", MonarchLogLevel.Information, now, "read from the head") }, toHead: true);
            Assert.Equal("read from the head", Assert.Single(await ReadAsync(tail, 1)).Message);

            // The head reaches its limit: its last block is compacted before the tail reads it.
            await TailBlockSeeder.AppendAsync(store, new[] { Entry("jobs", MonarchLogLevel.Information, now.AddMilliseconds(1), "compacted at once") }, toHead: true, notify: false);
            await TailBlockSeeder.CompactHeadAsync(store, partition);
            Assert.Equal(new[] { "compacted at once" }, (await ReadAsync(tail, 1)).Select(e => e.Message));
            Assert.Empty(await tail.NextAsync(TimeSpan.FromMilliseconds(100), CancellationToken.None));
        }

        [Fact]
        public async Task An_invalid_block_is_reported_and_the_blocks_after_it_still_show()
        {
            var store = await NewStoreAsync();
            var partition = store.Format.GetPartition("api", MonarchLogLevel.Error);
            var errors = new ConcurrentQueue<PartitionError>();
            await TailBlockSeeder.AppendAsync(store, new[] { Entry("api", MonarchLogLevel.Error, DateTime.UtcNow, "before") }, toHead: true);
            using var tail = await store.OpenTailAsync(new LogQuery(), errors.Enqueue);
            var db = _valkey.Connection.GetDatabase();
            var ticks = BlockHeader.ToUnixTicks(DateTime.UtcNow);
            var bad = await db.StreamAddAsync(partition.HeadKey, new[]
            {
                new NameValueEntry("n", 2), new NameValueEntry("t0", ticks), new NameValueEntry("t1", ticks), new NameValueEntry("codec", "jsonl"), new NameValueEntry("data", "not json\n"),
            });
            await TailBlockSeeder.AppendAsync(store, new[] { Entry("api", MonarchLogLevel.Error, DateTime.UtcNow, "after") }, toHead: true);

            Assert.Equal("after", Assert.Single(await ReadAsync(tail, 1)).Message);
            var error = Assert.Single(errors);
            Assert.Equal("InvalidBlock", error.ErrorId);
            Assert.Equal("api/error", error.Target);
            Assert.Contains((string)bad!, error.Error.Message, StringComparison.Ordinal);

            await TailBlockSeeder.AppendAsync(store, new[] { Entry("api", MonarchLogLevel.Error, DateTime.UtcNow, "later") }, toHead: false);
            Assert.Equal("later", Assert.Single(await ReadAsync(tail, 1)).Message);
            Assert.Single(errors);
        }

        [Fact]
        public async Task Filters_apply_to_the_entries_of_a_block()
        {
            var store = await NewStoreAsync();
            var now = DateTime.UtcNow;
            using var tail = await store.OpenTailAsync(new LogQuery { Services = new[] { "api" }, MinimumLevel = MonarchLogLevel.Warning, Message = "*disk*", Since = now.AddSeconds(-1) });
            await TailBlockSeeder.AppendAsync(store, new[]
            {
                Entry("api", MonarchLogLevel.Error, now, "disk full"),
                Entry("api", MonarchLogLevel.Error, now.AddMilliseconds(1), "cpu hot"),
                Entry("api", MonarchLogLevel.Error, now.AddSeconds(-2), "disk was full before the range"),
            }, toHead: true);
            await TailBlockSeeder.AppendAsync(store, new[] { Entry("api", MonarchLogLevel.Information, now, "disk fine") }, toHead: true);
            await TailBlockSeeder.AppendAsync(store, new[] { Entry("web", MonarchLogLevel.Error, now, "disk full on web") }, toHead: false);
            await TailBlockSeeder.AppendAsync(store, Enumerable.Range(0, 3).Select(i => Entry("api", MonarchLogLevel.Critical, now.AddMilliseconds(10 + i), i == 1 ? "disk gone" : "other")).ToList(), toHead: false);

            var shown = await ReadAsync(tail, 2);
            Assert.Equal(new[] { "disk full", "disk gone" }, shown.Select(e => e.Message));
            Assert.Empty(await tail.NextAsync(TimeSpan.FromMilliseconds(200), CancellationToken.None));
        }

        [Fact]
        public async Task A_block_a_retry_stored_twice_shows_once()
        {
            var store = await NewStoreAsync();
            using var tail = await store.OpenTailAsync(new LogQuery());
            var entries = new[] { Entry("api", MonarchLogLevel.Error, DateTime.UtcNow, "sent twice") };
            await TailBlockSeeder.AppendAsync(store, entries, toHead: true, writer: "w1", sequence: 7);
            await TailBlockSeeder.AppendAsync(store, entries, toHead: true, writer: "w1", sequence: 7);
            await TailBlockSeeder.AppendAsync(store, new[] { Entry("api", MonarchLogLevel.Error, DateTime.UtcNow, "next") }, toHead: true, writer: "w1", sequence: 8);

            Assert.Equal(new[] { "sent twice", "next" }, (await ReadAsync(tail, 2)).Select(e => e.Message));
            Assert.Empty(await tail.NextAsync(TimeSpan.FromMilliseconds(100), CancellationToken.None));
        }

        /// <summary>The target: a live tail shows an entry within 1 s at the 99th percentile, through the head and the writer's nudge.</summary>
        [Fact]
        public async Task An_entry_in_the_head_shows_within_a_second_at_the_99th_percentile()
        {
            var store = await NewStoreAsync();
            await TailBlockSeeder.AppendAsync(store, new[] { Entry("api", MonarchLogLevel.Error, DateTime.UtcNow, "start") }, toHead: true);
            using var tail = await store.OpenTailAsync(new LogQuery());
            var latencies = new List<TimeSpan>();
            for (var i = 0; i < 100; i++)
            {
                var next = tail.NextAsync(TimeSpan.FromSeconds(30), CancellationToken.None);
                var written = Stopwatch.StartNew();
                await TailBlockSeeder.AppendAsync(store, new[] { Entry("api", MonarchLogLevel.Error, DateTime.UtcNow, "e" + i) }, toHead: true);
                var shown = await next;
                while (shown.Count == 0 && written.Elapsed < TimeSpan.FromSeconds(10)) shown = await tail.NextAsync(TimeSpan.FromMilliseconds(200), CancellationToken.None);
                latencies.Add(written.Elapsed);
                Assert.Equal("e" + i, Assert.Single(shown).Message);
            }

            latencies.Sort();
            _output.WriteLine($"entry to tail, 100 head blocks: median {latencies[50].TotalMilliseconds:F1} ms, p99 {latencies[98].TotalMilliseconds:F1} ms, max {latencies[99].TotalMilliseconds:F1} ms");
            Assert.True(latencies[98] < TimeSpan.FromSeconds(1), $"p99 {latencies[98].TotalMilliseconds} ms, median {latencies[50].TotalMilliseconds} ms");
        }

        /// <summary>
        /// The backlog comes from the query (by event time), the live entries from the blocks read
        /// by ID: an entry of a block written between the tail's open and its backlog shows once.
        /// </summary>
        [Fact]
        public async Task The_backlog_then_new_blocks_show_each_entry_once()
        {
            var store = await NewStoreAsync();
            var now = DateTime.UtcNow;
            await TailBlockSeeder.AppendAsync(store, Enumerable.Range(0, 300).Select(i => Entry("api", MonarchLogLevel.Error, now.AddSeconds(-20).AddMilliseconds(i), "old" + i)).ToList(), toHead: false);
            await TailBlockSeeder.AppendAsync(store, new[] { Entry("api", MonarchLogLevel.Error, now.AddSeconds(-1), "head") }, toHead: true);
            using var tail = await store.OpenTailAsync(new LogQuery());
            await TailBlockSeeder.AppendAsync(store, new[] { Entry("api", MonarchLogLevel.Error, now, "between open and backlog") }, toHead: true);

            var backlog = await tail.ReadBacklogAsync(3, CancellationToken.None);
            Assert.Equal(new[] { "old298", "old299", "head" }, backlog.Select(e => e.Message));
            await TailBlockSeeder.AppendAsync(store, new[] { Entry("api", MonarchLogLevel.Error, now.AddMilliseconds(1), "live") }, toHead: true);
            Assert.Equal(new[] { "between open and backlog", "live" }, (await ReadAsync(tail, 2)).Select(e => e.Message));
            Assert.Empty(await tail.NextAsync(TimeSpan.FromMilliseconds(100), CancellationToken.None));
        }

        /// <summary>
        /// Every placement of a writer's steps (register the partition, a block to the head, one to
        /// the stream, one more to the head, the nudge) around a watch's steps (open, backlog, first
        /// live read, later reads): each entry comes out exactly once, in order.
        /// </summary>
        [Fact]
        public async Task No_interleaving_of_blocks_backlog_and_nudge_shows_an_entry_twice_or_not_at_all()
        {
            const int Points = 4;
            var placements = new List<int[]>();
            for (var a = 0; a < Points; a++)
                for (var b = a; b < Points; b++)
                    for (var c = b; c < Points; c++)
                        for (var d = c; d < Points; d++)
                            for (var e = d; e < Points; e++)
                                placements.Add(new[] { a, b, c, d, e });

            var failures = new List<string>();
            foreach (var placement in placements)
            {
                var store = await NewStoreAsync();
                var partition = store.Format.GetPartition("jobs", MonarchLogLevel.Information);
                var db = _valkey.Connection.GetDatabase();
                var step = 0;
                async Task WriteStepsAtAsync(int point)
                {
                    for (; step < placement.Length && placement[step] == point; step++)
                    {
                        if (step == 0) await db.HashSetAsync(store.Format.PartitionsKey, partition.StreamKey, StorageFormat.RegistryValue(partition));
                        else if (step == 4) await TailBlockSeeder.NotifyAsync(store, partition);
                        else await TailBlockSeeder.AppendAsync(store, new[] { Entry("jobs", MonarchLogLevel.Information, DateTime.UtcNow, "job " + step) }, toHead: step != 2, notify: false, register: false);
                    }
                }

                await WriteStepsAtAsync(0);
                using var tail = await store.OpenTailAsync(new LogQuery());
                await WriteStepsAtAsync(1);
                var shown = (await tail.ReadBacklogAsync(5, CancellationToken.None)).Select(e => e.Message).ToList();
                await WriteStepsAtAsync(2);
                shown.AddRange((await tail.NextAsync(TimeSpan.FromMilliseconds(20), CancellationToken.None)).Select(e => e.Message));
                await WriteStepsAtAsync(3);
                var deadline = Stopwatch.StartNew();
                while (shown.Count < 3 && deadline.Elapsed < TimeSpan.FromSeconds(10))
                {
                    shown.AddRange((await tail.NextAsync(TimeSpan.FromMilliseconds(20), CancellationToken.None)).Select(e => e.Message));
                }

                for (var i = 0; i < 3; i++) shown.AddRange((await tail.NextAsync(TimeSpan.FromMilliseconds(5), CancellationToken.None)).Select(e => e.Message));
                if (!new[] { "job 1", "job 2", "job 3" }.SequenceEqual(shown)) failures.Add($"steps at points {string.Join(",", placement)}: shown {string.Join(", ", shown)}");
            }

            Assert.Empty(failures);
        }

        private async Task<LogStore> NewStoreAsync()
        {
            var store = _valkey.NewStore();
            await TailBlockSeeder.MarkVersion2Async(store);
            return store;
        }

        private static async Task<List<MonarchLogEntry>> ReadAsync(LogTail tail, int count)
        {
            var shown = new List<MonarchLogEntry>();
            var deadline = Stopwatch.StartNew();
            while (shown.Count < count && deadline.Elapsed < TimeSpan.FromSeconds(10))
            {
                shown.AddRange(await tail.NextAsync(TimeSpan.FromMilliseconds(200), CancellationToken.None));
            }

            return shown;
        }
    }
}
