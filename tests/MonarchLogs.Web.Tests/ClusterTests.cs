using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json;
using System.Threading.Tasks;
using MonarchLogs.Core;
using MonarchLogs.Testing;
using Xunit;
using static MonarchLogs.Web.Tests.Seed;

namespace MonarchLogs.Web.Tests
{
    /// <summary>
    /// The viewer over a Valkey Cluster: the store is filled through the engine, its partitions lie
    /// on several masters, and every answer is compared with the entries written. Each filter's
    /// truth is first shown to lie on more than one master, so a viewer that read one node only
    /// would fail. Each test has a store of its own with a fixed prefix: which master holds a
    /// partition depends on its key alone, so where the data lies is the same on every run.
    /// </summary>
    [Collection(ServerGroups.Name)]
    public sealed class ClusterTests : IClassFixture<ValkeyClusterFixture>
    {
        private static readonly MonarchLogLevel[] Levels = { MonarchLogLevel.Information, MonarchLogLevel.Warning, MonarchLogLevel.Error };
        private readonly ValkeyClusterFixture _cluster;

        public ClusterTests(ValkeyClusterFixture cluster) => _cluster = cluster;

        /// <summary>Every node of the cluster, as an operator may list them.</summary>
        private string AllNodes => string.Join(",", _cluster.Cluster.Nodes.Select(node => node.Endpoint));

        /// <summary>48 entries, one a minute from <see cref="Seed.HourStart"/>, over 8 services and 3 levels: 24 partitions.</summary>
        private static List<MonarchLogEntry> KnownEntries() =>
            Enumerable.Range(0, 48).Select(i => Entry("svc" + (i % 8), Levels[i % 3], HourStart.AddMinutes(i), "m" + i)).ToList();

        [Fact]
        public async Task Logs_of_every_master_are_merged_filtered_and_paged_through_next()
        {
            await using var viewer = await ViewerSession.StartAsync(AllNodes, _cluster.Connection, prefix: "cluster-logs");
            var entries = KnownEntries();
            await viewer.AppendAsync(entries.ToArray());
            var newestFirst = entries.OrderByDescending(e => e.Timestamp).ToList();
            Assert.True(await MastersHoldingAsync(viewer, entries) > 1);

            Assert.Equal(Messages(newestFirst), await MessagesAsync(viewer, "api/logs?limit=1000"));
            Assert.Equal(Messages(newestFirst.AsEnumerable().Reverse()), await MessagesAsync(viewer, "api/logs?limit=1000&order=oldest"));

            var filters = new (string Query, Func<MonarchLogEntry, bool> Truth)[]
            {
                ("level=error", e => e.Level == MonarchLogLevel.Error),
                ("minLevel=warning&service=svc1,svc2,svc6", e => e.Level >= MonarchLogLevel.Warning && (e.Service is "svc1" or "svc2" or "svc6")),
                ("service=svc[0-3]&level=information,error", e => string.CompareOrdinal(e.Service, "svc4") < 0 && e.Level != MonarchLogLevel.Warning),
                ($"since={Iso(HourStart.AddMinutes(10))}&until={Iso(HourStart.AddMinutes(30))}", e => e.Timestamp >= HourStart.AddMinutes(10) && e.Timestamp < HourStart.AddMinutes(30)),
            };
            foreach (var (query, truth) in filters)
            {
                var expected = newestFirst.Where(truth).ToList();
                Assert.True(expected.Count > 1, query);
                Assert.True(await MastersHoldingAsync(viewer, expected) > 1, $"the truth of {query} lies on one master");
                Assert.Equal(Messages(expected), await MessagesAsync(viewer, "api/logs?limit=1000&" + query));
            }

            // Paging through next: every entry once, in order, a page of 5 at a time.
            Assert.Equal(Messages(newestFirst), await PagedMessagesAsync(viewer, "api/logs?limit=5", expectedPages: 10));
            var errorsOldestFirst = entries.Where(e => e.Level == MonarchLogLevel.Error).ToList();
            Assert.Equal(Messages(errorsOldestFirst), await PagedMessagesAsync(viewer, "api/logs?limit=3&level=error&order=oldest", expectedPages: 6));
        }

        [Fact]
        public async Task Services_lists_the_services_of_every_master()
        {
            await using var viewer = await ViewerSession.StartAsync(_cluster.Cluster.ConnectionString, _cluster.Connection, prefix: "cluster-services");
            var entries = KnownEntries();
            await viewer.AppendAsync(entries.ToArray());
            Assert.True(await MastersHoldingAsync(viewer, entries) > 1);
            using var json = await viewer.GetJsonAsync("api/services");
            Assert.Equal(Enumerable.Range(0, 8).Select(i => "svc" + i), json.RootElement.GetProperty("services").EnumerateArray().Select(s => s.GetString()));
        }

        [Fact]
        public async Task Stats_count_the_entries_of_every_master()
        {
            await using var viewer = await ViewerSession.StartAsync(_cluster.Cluster.ConnectionString, _cluster.Connection, prefix: "cluster-stats");
            var entries = KnownEntries();
            await viewer.AppendAsync(entries.ToArray());

            using var json = await viewer.GetJsonAsync($"api/stats?since={Iso(HourStart)}&until={Iso(HourStart.AddHours(1))}&interval=10min");
            var root = json.RootElement;
            var buckets = root.GetProperty("buckets").EnumerateArray().ToList();
            Assert.Equal(6, buckets.Count);
            var levelNames = root.GetProperty("levels").EnumerateArray().Select(l => Enum.Parse<MonarchLogLevel>(l.GetString()!)).ToList();
            for (var b = 0; b < buckets.Count; b++)
            {
                var start = HourStart.AddMinutes(10 * b);
                var inBucket = entries.Where(e => e.Timestamp >= start && e.Timestamp < start.AddMinutes(10)).ToList();
                var expected = levelNames.Select(level => inBucket.Count(e => e.Level == level));
                Assert.Equal(expected, buckets[b].GetProperty("counts").EnumerateArray().Select(c => c.GetInt32()));
            }

            Assert.Equal(48, root.GetProperty("total").GetInt32());
            Assert.Equal(16, root.GetProperty("totals").GetProperty("Error").GetInt32());

            // A filter whose entries lie on several masters.
            var errors = entries.Where(e => e.Level == MonarchLogLevel.Error && e.Service is "svc1" or "svc2" or "svc5").ToList();
            Assert.True(await MastersHoldingAsync(viewer, errors) > 1);
            using var filtered = await viewer.GetJsonAsync($"api/stats?since={Iso(HourStart)}&until={Iso(HourStart.AddHours(1))}&level=error&service=svc1,svc2,svc5");
            Assert.Equal(errors.Count, filtered.RootElement.GetProperty("total").GetInt32());
        }

        [Fact]
        public async Task The_stream_sends_entries_appended_after_it_starts_to_partitions_on_several_masters()
        {
            await using var viewer = await ViewerSession.StartAsync(_cluster.Cluster.ConnectionString, _cluster.Connection,
                options => options.TailPollInterval = TimeSpan.FromMilliseconds(200), prefix: "cluster-stream");
            // Three partitions exist before the stream starts; the others are new to it.
            await viewer.AppendAsync(Enumerable.Range(0, 3).Select(i => Entry("live-" + i, MonarchLogLevel.Warning, DateTime.UtcNow.AddMinutes(-1), "before")).ToArray());
            var written = Enumerable.Range(0, 12).Select(i => Entry("live-" + (i % 6), Levels[i % 3], DateTime.UtcNow, "live " + i)).ToList();
            var matching = written.Where(e => e.Level >= MonarchLogLevel.Warning).ToList();
            Assert.True(await MastersHoldingAsync(viewer, matching, registeredOnly: false) > 1);

            await using var events = await StreamApiTests.SseReader.OpenAsync(viewer, "api/stream?service=live-*&minLevel=warning");
            await events.ReadUntilEventAsync("ready");
            var shown = new List<string>();
            foreach (var entry in written)
            {
                // Stamped as it is written, so the order written is the order of time.
                await viewer.AppendAsync(Entry(entry.Service, entry.Level, DateTime.UtcNow, entry.Message));
                if (entry.Level < MonarchLogLevel.Warning) continue;
                var message = await events.ReadUntilEventAsync("message");
                using var json = JsonDocument.Parse(message.DataLines[0]);
                shown.Add(json.RootElement.GetProperty("service").GetString() + ":" + json.RootElement.GetProperty("message").GetString());
            }

            Assert.Equal(matching.Select(e => e.Service + ":" + e.Message), shown);
        }

        private static List<string> Messages(IEnumerable<MonarchLogEntry> entries) => entries.Select(e => e.Message).ToList();

        private static async Task<List<string>> MessagesAsync(ViewerSession viewer, string relative)
        {
            using var json = await viewer.GetJsonAsync(relative);
            return json.RootElement.GetProperty("entries").EnumerateArray().Select(e => e.GetProperty("message").GetString()!).ToList();
        }

        /// <summary>Follows <c>next</c> from the first page to the last; the messages of all pages in order.</summary>
        private static async Task<List<string>> PagedMessagesAsync(ViewerSession viewer, string first, int expectedPages)
        {
            var messages = new List<string>();
            var pages = 0;
            string? next = null;
            do
            {
                using var json = await viewer.GetJsonAsync(next is null ? first : first + "&after=" + Uri.EscapeDataString(next));
                messages.AddRange(json.RootElement.GetProperty("entries").EnumerateArray().Select(e => e.GetProperty("message").GetString()!));
                var cursor = json.RootElement.GetProperty("next");
                next = cursor.ValueKind == JsonValueKind.Null ? null : cursor.GetString();
                pages++;
            }
            while (next is not null && pages < 100);

            Assert.Equal(expectedPages, pages);
            return messages;
        }

        /// <summary>
        /// How many masters hold the streams of these entries, as valkey-cli finds them on each
        /// master (SCAN of the store's stream keys); the keys come from the store's format. Entries
        /// not yet written are placed by the cluster's slot map instead.
        /// </summary>
        private async Task<int> MastersHoldingAsync(ViewerSession viewer, IEnumerable<MonarchLogEntry> entries, bool registeredOnly = true)
        {
            var keys = entries.Select(e => viewer.Store.Format.GetPartition(e.Service, e.Level).StreamKey).Distinct().ToList();
            if (!registeredOnly)
            {
                var slots = _cluster.Connection.GetServer(_cluster.Connection.GetEndPoints().First()).ClusterConfiguration!;
                return keys.Select(key => slots.GetBySlot(key)!.EndPoint!.ToString()).Distinct().Count();
            }

            var holding = 0;
            foreach (var master in await _cluster.Cluster.MastersAsync())
            {
                // A partition's stream, or its head (where format 2 keeps a few entries), is on its master.
                var found = await ValkeyCli.RunAsync(new[] { "-p", master.Port.ToString(), "--scan", "--pattern", viewer.Store.Format.Prefix + ":*" });
                var onMaster = found.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(k => k.Trim()).ToHashSet(StringComparer.Ordinal);
                if (keys.Any(key => onMaster.Contains(key) || onMaster.Any(k => k.EndsWith("{" + key + "}", StringComparison.Ordinal)))) holding++;
            }

            return holding;
        }
    }
}
