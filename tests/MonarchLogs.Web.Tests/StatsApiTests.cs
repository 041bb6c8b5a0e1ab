using System;
using System.Linq;
using System.Text.Json;
using System.Threading.Tasks;
using MonarchLogs.Core;
using Xunit;
using static MonarchLogs.Web.Tests.Seed;

namespace MonarchLogs.Web.Tests
{
    public sealed class StatsApiTests : IClassFixture<ValkeyFixture>
    {
        private static readonly string[] LevelNames = { "Trace", "Debug", "Information", "Warning", "Error", "Critical" };
        private readonly ValkeyFixture _valkey;

        public StatsApiTests(ValkeyFixture valkey) => _valkey = valkey;

        [Fact]
        public async Task Stats_count_each_level_in_each_interval_of_the_range()
        {
            await using var viewer = await ViewerSession.StartAsync(_valkey);
            var t = HourStart;
            await viewer.AppendAsync(
                Entry("a", MonarchLogLevel.Information, t.AddMinutes(1), "1"),
                Entry("a", MonarchLogLevel.Information, t.AddMinutes(9), "2"),
                Entry("a", MonarchLogLevel.Error, t.AddMinutes(9).AddSeconds(59), "3"),
                Entry("a", MonarchLogLevel.Error, t.AddMinutes(10), "4"),
                Entry("b", MonarchLogLevel.Warning, t.AddMinutes(35), "5"),
                Entry("b", MonarchLogLevel.Critical, t.AddMinutes(59), "6"),
                Entry("b", MonarchLogLevel.Critical, t.AddMinutes(60), "outside the range"));

            using var json = await viewer.GetJsonAsync($"api/stats?since={Iso(t)}&until={Iso(t.AddHours(1))}&interval=10min");
            var root = json.RootElement;
            Assert.Equal(600, root.GetProperty("intervalSeconds").GetInt64());
            Assert.Equal(LevelNames, root.GetProperty("levels").EnumerateArray().Select(l => l.GetString()));
            var buckets = root.GetProperty("buckets").EnumerateArray().ToList();
            Assert.Equal(6, buckets.Count);
            Assert.Equal(t, buckets[0].GetProperty("start").GetDateTime().ToUniversalTime());
            Assert.Equal(t.AddMinutes(50), buckets[5].GetProperty("start").GetDateTime().ToUniversalTime());
            var counts = buckets.Select(b => b.GetProperty("counts").EnumerateArray().Select(c => c.GetInt32()).ToArray()).ToArray();
            Assert.Equal(new[] { 0, 0, 2, 0, 1, 0 }, counts[0]);
            Assert.Equal(new[] { 0, 0, 0, 0, 1, 0 }, counts[1]);
            Assert.Equal(new[] { 0, 0, 0, 0, 0, 0 }, counts[2]);
            Assert.Equal(new[] { 0, 0, 0, 1, 0, 0 }, counts[3]);
            Assert.Equal(new[] { 0, 0, 0, 0, 0, 0 }, counts[4]);
            Assert.Equal(new[] { 0, 0, 0, 0, 0, 1 }, counts[5]);
            Assert.Equal(6, root.GetProperty("total").GetInt32());
            Assert.Equal(2, root.GetProperty("totals").GetProperty("Error").GetInt32());
            Assert.False(root.GetProperty("capped").GetBoolean());
        }

        [Fact]
        public async Task Stats_apply_the_same_filters_as_the_list()
        {
            await using var viewer = await ViewerSession.StartAsync(_valkey);
            var t = HourStart;
            await viewer.AppendAsync(
                Entry("orders", MonarchLogLevel.Error, t.AddMinutes(1), "disk full"),
                Entry("orders", MonarchLogLevel.Error, t.AddMinutes(2), "network down"),
                Entry("billing", MonarchLogLevel.Error, t.AddMinutes(3), "disk full"),
                Entry("orders", MonarchLogLevel.Information, t.AddMinutes(4), "disk full"));

            using var json = await viewer.GetJsonAsync($"api/stats?since={Iso(t)}&until={Iso(t.AddHours(1))}&service=orders&level=error&q=disk");
            Assert.Equal(1, json.RootElement.GetProperty("total").GetInt32());
            Assert.Equal(1, json.RootElement.GetProperty("totals").GetProperty("Error").GetInt32());
        }

        [Fact]
        public async Task Without_an_interval_the_range_is_cut_into_about_60_buckets()
        {
            await using var viewer = await ViewerSession.StartAsync(_valkey);
            using var hour = await viewer.GetJsonAsync("api/stats?since=-1h");
            Assert.Equal(60, hour.RootElement.GetProperty("intervalSeconds").GetInt64());
            Assert.InRange(hour.RootElement.GetProperty("buckets").GetArrayLength(), 60, 61);

            using var week = await viewer.GetJsonAsync("api/stats?since=-7d");
            Assert.Equal(3 * 3600, week.RootElement.GetProperty("intervalSeconds").GetInt64());
            Assert.InRange(week.RootElement.GetProperty("buckets").GetArrayLength(), 56, 57);
        }

        [Fact]
        public async Task Stats_say_when_they_stopped_counting_at_the_scan_limit()
        {
            await using var viewer = await ViewerSession.StartAsync(_valkey, options => options.StatsScanLimit = 10);
            var t = HourStart;
            await viewer.AppendAsync(Enumerable.Range(0, 25).Select(i => Entry("many", MonarchLogLevel.Information, t.AddMinutes(i), "m" + i)).ToArray());

            // A filter on the entries' content makes the chart read them: up to the limit.
            using var json = await viewer.GetJsonAsync($"api/stats?since={Iso(t)}&until={Iso(t.AddHours(1))}&q=m");
            var root = json.RootElement;
            Assert.True(root.GetProperty("capped").GetBoolean());
            Assert.Equal(10, root.GetProperty("total").GetInt32());
            Assert.Equal("entries", root.GetProperty("source").GetString());
            // The newest ten were counted: complete from the oldest of them.
            Assert.Equal(t.AddMinutes(15), root.GetProperty("completeSince").GetDateTime().ToUniversalTime());

            // By time, level and service only, the writers' counts answer: no cap, exact.
            using var counted = await viewer.GetJsonAsync($"api/stats?since={Iso(t)}&until={Iso(t.AddHours(1))}&interval=10min");
            Assert.False(counted.RootElement.GetProperty("capped").GetBoolean());
            Assert.Equal(25, counted.RootElement.GetProperty("total").GetInt32());
            Assert.Equal("counts", counted.RootElement.GetProperty("source").GetString());
            Assert.Equal(new long[] { 10, 10, 5, 0, 0, 0 }, counted.RootElement.GetProperty("buckets").EnumerateArray().Select(b => b.GetProperty("counts").EnumerateArray().Sum(c => c.GetInt64())).ToArray());
        }

        [Fact]
        public async Task Stats_from_counts_equal_the_entries_also_for_entries_written_without_counts()
        {
            // Format 1: counts checked against the stream's length (format 2 counts blocks as the writer stores them).
            await using var viewer = await ViewerSession.StartAsync(_valkey);
            var t = HourStart;
            await viewer.AppendAsVersion1Async(Enumerable.Range(0, 40).Select(i => Entry(i % 2 == 0 ? "a" : "b", i % 3 == 0 ? MonarchLogLevel.Error : MonarchLogLevel.Information, t.AddSeconds(97 * i), "m" + i)).ToArray());
            // Another program's plain XADD, in the documented format, without counts.
            var stream = viewer.Store.Format.GetPartition("a", MonarchLogLevel.Error).StreamKey;
            await _valkey.Connection.GetDatabase().StreamAddAsync(stream, "message", "by hand", messageId: MonarchLogs.Core.StreamId.ToUnixMilliseconds(t.AddHours(2)) + "-*");

            using var json = await viewer.GetJsonAsync($"api/stats?since={Iso(t.AddSeconds(30))}&until={Iso(t.AddHours(3))}&interval=15min");
            var root = json.RootElement;
            Assert.Equal("counts", root.GetProperty("source").GetString());
            Assert.Equal(40, root.GetProperty("total").GetInt32());
            Assert.Equal(14, root.GetProperty("totals").GetProperty("Error").GetInt32());
        }
    }
}
