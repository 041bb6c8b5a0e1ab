using System;
using System.Linq;
using System.Text.Json;
using System.Threading.Tasks;
using MonarchLogs.Core;
using StackExchange.Redis;
using Xunit;
using static MonarchLogs.Web.Tests.Seed;

namespace MonarchLogs.Web.Tests
{
    /// <summary>A partition that cannot be read costs only itself: the answer has the others' entries and names it in warnings.</summary>
    public sealed class PartitionWarningTests : IClassFixture<ValkeyFixture>
    {
        private readonly ValkeyFixture _valkey;

        public PartitionWarningTests(ValkeyFixture valkey) => _valkey = valkey;

        private async Task<ViewerSession> PoisonedViewerAsync(bool version1 = false)
        {
            var viewer = await ViewerSession.StartAsync(_valkey);
            var good = new[] { Entry("good", MonarchLogLevel.Error, HourStart.AddMinutes(1), "good one"), Entry("good", MonarchLogLevel.Information, HourStart.AddMinutes(2), "good two") };
            if (version1) await viewer.AppendAsVersion1Async(good);
            else await viewer.AppendAsync(good);
            var db = _valkey.Connection.GetDatabase();
            var p = viewer.Store.Format.Prefix;
            await db.StringSetAsync(p + ":stream:bad:error", "a string");
            await db.HashSetAsync(viewer.Store.Format.PartitionsKey, new[]
            {
                new HashEntry(p + ":stream:bad:error", "error:bad"),
                new HashEntry(p + ":stream:junk:error", "junk"),
            });
            return viewer;
        }

        private static string[] Warnings(JsonElement root) =>
            root.GetProperty("warnings").EnumerateArray()
                .Select(w => w.GetProperty("errorId").GetString() + " " + w.GetProperty("partition").GetString())
                .OrderBy(w => w, StringComparer.Ordinal).ToArray();

        [Fact]
        public async Task Logs_and_stats_answer_with_the_good_partitions_and_warn_of_each_bad_one()
        {
            // Format 1: its statistics check the counts against the stream's length, so they meet the
            // key of another type too; format 2's counts need no stream read (Core's PartitionErrorTests
            // cover its queries).
            await using var viewer = await PoisonedViewerAsync(version1: true);
            var junkKey = viewer.Store.Format.Prefix + ":stream:junk:error";

            using (var logs = await viewer.GetJsonAsync("api/logs"))
            {
                Assert.Equal(new[] { "good two", "good one" }, logs.RootElement.GetProperty("entries").EnumerateArray().Select(e => e.GetProperty("message").GetString()));
                Assert.Equal(new[] { "InvalidRegistryEntry " + junkKey, "PartitionWrongType bad/error" }, Warnings(logs.RootElement));
                var message = logs.RootElement.GetProperty("warnings").EnumerateArray().First(w => w.GetProperty("partition").GetString() == "bad/error").GetProperty("message").GetString();
                Assert.Contains("WRONGTYPE", message);
            }

            using (var stats = await viewer.GetJsonAsync("api/stats?since=-1d"))
            {
                Assert.Equal(2, stats.RootElement.GetProperty("total").GetInt32());
                Assert.Equal(new[] { "InvalidRegistryEntry " + junkKey, "PartitionWrongType bad/error" }, Warnings(stats.RootElement));
            }

            using (var clean = await viewer.GetJsonAsync("api/logs?service=good&level=error"))
            {
                // A filter that reads only good partitions meets only the junk registry entry.
                Assert.Equal(new[] { "InvalidRegistryEntry " + junkKey }, Warnings(clean.RootElement));
            }
        }

        [Fact]
        public async Task The_stream_warns_of_each_bad_partition_and_streams_the_others()
        {
            await using var viewer = await PoisonedViewerAsync();
            await using var events = await StreamApiTests.SseReader.OpenAsync(viewer, "api/stream?backlog=5");
            var first = await events.ReadUntilEventAsync("warning");
            var second = await events.ReadUntilEventAsync("warning");
            var ids = new[] { first, second }.Select(e =>
            {
                using var json = JsonDocument.Parse(e.DataLines[0]);
                return json.RootElement.GetProperty("errorId").GetString() + " " + json.RootElement.GetProperty("partition").GetString();
            }).OrderBy(w => w, StringComparer.Ordinal);
            Assert.Equal(new[] { "InvalidRegistryEntry " + viewer.Store.Format.Prefix + ":stream:junk:error", "PartitionWrongType bad/error" }, ids);
            await events.ReadUntilEventAsync("ready");

            await viewer.AppendAsync(Entry("good", MonarchLogLevel.Error, DateTime.UtcNow, "live one"));
            var live = await events.ReadUntilEventAsync("message");
            using var entry = JsonDocument.Parse(live.DataLines[0]);
            Assert.Equal("live one", entry.RootElement.GetProperty("message").GetString());
        }
    }
}
