using System;
using System.Globalization;
using System.Linq;
using System.Text.Json;
using System.Threading.Tasks;
using MonarchLogs.Core;
using MonarchLogs.Core.Format;
using MonarchLogs.Core.Storage;
using StackExchange.Redis;
using Xunit;
using static MonarchLogs.Web.Tests.Seed;
using static MonarchLogs.Web.Tests.StreamApiTests;

namespace MonarchLogs.Web.Tests
{
    /// <summary>The viewer's live tail and chart on a store of storage format 2, its blocks written by hand as docs/storage-format.md shows.</summary>
    public sealed class BlockViewerTests : IClassFixture<ValkeyFixture>
    {
        private readonly ValkeyFixture _valkey;

        public BlockViewerTests(ValkeyFixture valkey) => _valkey = valkey;

        [Fact]
        public async Task The_live_tail_shows_a_block_added_to_the_head()
        {
            await using var viewer = await ViewerSession.StartAsync(_valkey);
            await MarkVersion2Async(viewer.Store);
            await AddBlockAsync(viewer.Store, "live", MonarchLogLevel.Error, head: false, DateTime.UtcNow.AddMinutes(-1));
            await using var events = await SseReader.OpenAsync(viewer, "api/stream?service=live&level=error");
            await events.ReadUntilEventAsync("ready");

            var time = DateTime.UtcNow;
            await AddBlockAsync(viewer.Store, "live", MonarchLogLevel.Error, head: true, time, time.AddMilliseconds(1));
            foreach (var expected in new[] { time, time.AddMilliseconds(1) })
            {
                var message = await events.ReadUntilEventAsync("message");
                using var json = JsonDocument.Parse(message.DataLines[0]);
                Assert.Equal("at " + Iso(expected), json.RootElement.GetProperty("message").GetString());
                Assert.StartsWith(new DateTimeOffset(expected).ToUnixTimeMilliseconds() + "-", message.Id, StringComparison.Ordinal);
                Assert.EndsWith("@live/error", message.Id, StringComparison.Ordinal);
            }
        }

        [Fact]
        public async Task The_chart_counts_blocks_by_event_minute()
        {
            await using var viewer = await ViewerSession.StartAsync(_valkey);
            await MarkVersion2Async(viewer.Store);
            var t = HourStart;
            await AddBlockAsync(viewer.Store, "a", MonarchLogLevel.Information, head: false, t.AddMinutes(1), t.AddMinutes(9), t.AddMinutes(12));
            await AddBlockAsync(viewer.Store, "a", MonarchLogLevel.Error, head: true, t.AddMinutes(9).AddSeconds(59));
            await AddBlockAsync(viewer.Store, "b", MonarchLogLevel.Critical, head: false, t.AddMinutes(59), t.AddMinutes(60));

            using var json = await viewer.GetJsonAsync($"api/stats?since={Iso(t)}&until={Iso(t.AddHours(1))}&interval=10min");
            var root = json.RootElement;
            var counts = root.GetProperty("buckets").EnumerateArray().Select(b => b.GetProperty("counts").EnumerateArray().Select(c => c.GetInt32()).ToArray()).ToArray();
            Assert.Equal(6, counts.Length);
            Assert.Equal(new[] { 0, 0, 2, 0, 1, 0 }, counts[0]);
            Assert.Equal(new[] { 0, 0, 1, 0, 0, 0 }, counts[1]);
            Assert.Equal(new[] { 0, 0, 0, 0, 0, 1 }, counts[5]);
            Assert.Equal(5, root.GetProperty("total").GetInt32());
        }

        private Task MarkVersion2Async(LogStore store) => _valkey.Connection.GetDatabase().StringSetAsync(store.Format.FormatKey, "2");

        /// <summary>
        /// A jsonl block of one entry per time, added by hand as the storage format describes: the
        /// block (<c>XADD * n t0 t1 codec min data</c>), its counts per minute and hour, the registry, the nudge.
        /// </summary>
        private async Task AddBlockAsync(LogStore store, string service, MonarchLogLevel level, bool head, params DateTime[] times)
        {
            var db = _valkey.Connection.GetDatabase();
            var partition = store.Format.GetPartition(service, level);
            var key = head ? store.Format.Prefix + ":head:{" + partition.StreamKey + "}" : partition.StreamKey;
            static long Ticks(DateTime time) => (time - DateTime.UnixEpoch).Ticks;
            var minutes = times.GroupBy(t => Ticks(t) / TimeSpan.TicksPerMinute).OrderBy(g => g.Key).ToList();
            var lines = string.Concat(times.Select(t => "{\"ts\":\"" + t.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture) + "\",\"message\":\"at " + Iso(t) + "\"}\n"));
            await db.StreamAddAsync(key, new[]
            {
                new NameValueEntry("n", times.Length),
                new NameValueEntry("t0", Ticks(times.Min())),
                new NameValueEntry("t1", Ticks(times.Max())),
                new NameValueEntry("codec", "jsonl"),
                new NameValueEntry("min", string.Join(" ", minutes.Select(g => g.Key + ":" + g.Count()))),
                new NameValueEntry("data", lines),
            });
            foreach (var minute in minutes)
            {
                await db.HashIncrementAsync(partition.CountsKey, minute.Key, minute.Count());
                await db.HashIncrementAsync(partition.HourCountsKey, minute.Key / 60, minute.Count());
            }

            await db.HashSetAsync(store.Format.PartitionsKey, partition.StreamKey, level.ToString().ToLowerInvariant() + ":" + service);
            await db.PublishAsync(RedisChannel.Literal(store.Format.NotifyChannel), partition.StreamKey);
        }
    }
}
