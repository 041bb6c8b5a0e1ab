using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using MonarchLogs.Core.Query;
using StackExchange.Redis;
using static MonarchLogs.Core.Tests.StoreExtensions;

namespace MonarchLogs.Core.Tests
{
    public sealed class TailTests : IClassFixture<ValkeyFixture>
    {
        private readonly ValkeyFixture _valkey;

        public TailTests(ValkeyFixture valkey) => _valkey = valkey;

        [Fact]
        public async Task Shows_the_backlog_then_new_matching_entries_in_order()
        {
            var store = _valkey.NewStore();
            var now = DateTime.UtcNow;
            await store.AppendAllAsync(Enumerable.Range(0, 10).Select(i => Entry("api", MonarchLogLevel.Error, now.AddSeconds(-20 + i), "old" + i)));
            using var tail = await store.OpenTailAsync(new LogQuery { Levels = new[] { MonarchLogLevel.Error }, Services = new[] { "api", "new*" } });

            var backlog = await tail.ReadBacklogAsync(3, CancellationToken.None);
            Assert.Equal(new[] { "old7", "old8", "old9" }, backlog.Select(e => e.Message));

            await store.AppendAsync(new[]
            {
                Entry("api", MonarchLogLevel.Information, DateTime.UtcNow, "ignored level"),
                Entry("api", MonarchLogLevel.Error, DateTime.UtcNow, "live1"),
                Entry("newsvc", MonarchLogLevel.Error, DateTime.UtcNow, "live2 in a partition born after the tail opened"),
            });

            var seen = new List<string>();
            var deadline = Stopwatch.StartNew();
            while (seen.Count < 2 && deadline.Elapsed < TimeSpan.FromSeconds(15))
            {
                seen.AddRange((await tail.NextAsync(TimeSpan.FromMilliseconds(200), CancellationToken.None)).Select(e => e.Message));
            }

            Assert.Equal(new[] { "live1", "live2 in a partition born after the tail opened" }, seen);
            Assert.Empty(await tail.NextAsync(TimeSpan.FromMilliseconds(100), CancellationToken.None));
        }

        [Fact]
        public async Task Wakes_on_the_writers_nudge_well_before_the_poll_interval()
        {
            var store = _valkey.NewStore();
            await store.AppendAsync(new[] { Entry("api", MonarchLogLevel.Error, DateTime.UtcNow, "first") });
            using var tail = await store.OpenTailAsync(new LogQuery());
            var next = tail.NextAsync(TimeSpan.FromSeconds(30), CancellationToken.None);
            await Task.Delay(200);
            var written = Stopwatch.StartNew();
            await store.AppendAsync(new[] { Entry("api", MonarchLogLevel.Error, DateTime.UtcNow, "second") });
            var entries = await next;
            Assert.True(written.Elapsed < TimeSpan.FromSeconds(5), $"took {written.Elapsed}");
            Assert.Equal("second", Assert.Single(entries).Message);
        }
    

        /// <summary>
        /// Every placement of a writer's steps (register the partition, three entries, the nudge)
        /// around a watch's steps (open, backlog, first live read, later reads), run in turn: each
        /// entry comes out exactly once, in order, however they interleave.
        /// </summary>
        [Fact]
        public async Task No_interleaving_of_a_new_partition_backlog_and_nudge_delivers_an_entry_twice()
        {
            const int Points = 4; // before open, before backlog, before the first read, before the second read
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
                var store = _valkey.NewStore();
                var db = _valkey.Connection.GetDatabase();
                var partition = store.Format.GetPartition("jobs", MonarchLogLevel.Information);
                var step = 0;
                async Task WriteStepsAtAsync(int point)
                {
                    for (; step < placement.Length && placement[step] == point; step++)
                    {
                        switch (step)
                        {
                            case 0:
                                await db.ExecuteAsync("SET", store.Format.FormatKey, "1", "NX");
                                await db.HashSetAsync(store.Format.PartitionsKey, partition.StreamKey, "information:jobs");
                                break;
                            case 4:
                                await db.PublishAsync(RedisChannel.Literal(store.Format.NotifyChannel), partition.StreamKey);
                                break;
                            default:
                                await db.StreamAddAsync(partition.StreamKey, new[] { new NameValueEntry("ts", DateTime.UtcNow.ToString("O")), new NameValueEntry("message", "job " + step) });
                                break;
                        }
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

        /// <summary>The same race, left to chance: a writer and a watch started together, many times over.</summary>
        [Fact]
        public async Task A_writer_racing_a_new_watch_never_gets_an_entry_shown_twice()
        {
            for (var run = 0; run < 40; run++)
            {
                var store = _valkey.NewStore();
                var writer = Task.Run(async () =>
                {
                    await Task.Delay(run % 7);
                    foreach (var i in new[] { 1, 2, 3 }) await store.AppendAsync(new[] { Entry("jobs", MonarchLogLevel.Information, DateTime.UtcNow, "job " + i) });
                });
                using var tail = await store.OpenTailAsync(new LogQuery());
                var shown = (await tail.ReadBacklogAsync(5, CancellationToken.None)).Select(e => e.Message).ToList();
                await writer;
                var deadline = Stopwatch.StartNew();
                while (shown.Count < 3 && deadline.Elapsed < TimeSpan.FromSeconds(10))
                {
                    shown.AddRange((await tail.NextAsync(TimeSpan.FromMilliseconds(20), CancellationToken.None)).Select(e => e.Message));
                }

                for (var i = 0; i < 2; i++) shown.AddRange((await tail.NextAsync(TimeSpan.FromMilliseconds(5), CancellationToken.None)).Select(e => e.Message));
                Assert.True(new[] { "job 1", "job 2", "job 3" }.SequenceEqual(shown), $"run {run}: shown {string.Join(", ", shown)}");
            }
        }
    }
}
