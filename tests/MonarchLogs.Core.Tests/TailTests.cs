using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using MonarchLogs.Core.Query;
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
    }
}
