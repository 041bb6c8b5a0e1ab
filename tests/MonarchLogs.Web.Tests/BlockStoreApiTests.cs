using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text.Json;
using System.Threading.Tasks;
using MonarchLogs.Core;
using StackExchange.Redis;
using Xunit;
using static MonarchLogs.Web.Tests.Seed;

namespace MonarchLogs.Web.Tests
{
    /// <summary>The viewer over a format 2 store, whose blocks are written by hand (the <c>jsonl</c> codec, as docs/design/storage-format-2.md shows).</summary>
    public sealed class BlockStoreApiTests : IClassFixture<ValkeyFixture>
    {
        private readonly ValkeyFixture _valkey;

        public BlockStoreApiTests(ValkeyFixture valkey) => _valkey = valkey;

        /// <summary>Adds one jsonl block of a partition at its latest entry's millisecond (on time), the partition registered and the store marked format 2.</summary>
        private async Task AddBlockAsync(ViewerSession viewer, string service, MonarchLogLevel level, IReadOnlyList<(DateTime Time, string Message)> entries)
        {
            var db = _valkey.Connection.GetDatabase();
            var format = viewer.Store.Format;
            var partition = format.GetPartition(service, level);
            await db.StringSetAsync(format.FormatKey, "2");
            await db.HashSetAsync(format.PartitionsKey, partition.StreamKey, LogLevels.StorageName(level) + ":" + service);
            long Ticks(DateTime time) => time.Ticks - DateTime.UnixEpoch.Ticks;
            var lines = string.Concat(entries.Select(e => JsonSerializer.Serialize(new { ts = e.Time.ToString("o", CultureInfo.InvariantCulture), message = e.Message }) + "\n"));
            var t0 = entries.Min(e => Ticks(e.Time));
            var t1 = entries.Max(e => Ticks(e.Time));
            await db.StreamAddAsync(partition.StreamKey, new[]
            {
                new NameValueEntry("n", entries.Count), new NameValueEntry("t0", t0), new NameValueEntry("t1", t1),
                new NameValueEntry("codec", "jsonl"), new NameValueEntry("data", lines),
            }, (t1 / TimeSpan.TicksPerMillisecond) + "-*");
        }

        [Theory]
        [InlineData("newest")]
        [InlineData("oldest")]
        public async Task Pages_and_a_permalink_s_context_read_the_blocks_of_a_version_2_store(string order)
        {
            await using var viewer = await ViewerSession.StartAsync(_valkey);
            var t = HourStart;

            // Two partitions, three blocks each, their times interleaved, some entries of both at the same tick.
            var written = new List<string>();
            for (var b = 0; b < 3; b++)
            {
                foreach (var (service, offset) in new[] { ("alpha", 0L), ("beta", b == 1 ? 0L : 3L) })
                {
                    var entries = Enumerable.Range(0, 4).Select(i => (t.AddSeconds(b * 4 + i).AddTicks(offset), $"{service}-{b}-{i}")).ToList();
                    await AddBlockAsync(viewer, service, MonarchLogLevel.Information, entries);
                    written.AddRange(entries.Select(e => e.Item2));
                }
            }

            using var all = await viewer.GetJsonAsync($"api/logs?order={order}&limit=1000");
            var expected = all.RootElement.GetProperty("entries").EnumerateArray().Select(e => e.GetProperty("id").GetString()!).ToList();
            var messages = all.RootElement.GetProperty("entries").EnumerateArray().Select(e => e.GetProperty("message").GetString()!).ToList();
            Assert.Equal(written.OrderBy(m => m, StringComparer.Ordinal), messages.OrderBy(m => m, StringComparer.Ordinal));
            var byTime = expected.Select(LogEntryId.Parse).ToList();
            Assert.Equal(order == "oldest" ? byTime.OrderBy(i => i) : byTime.OrderByDescending(i => i), byTime);

            var paged = new List<string>();
            string? next = null;
            do
            {
                var (ids, cursor) = await viewer.GetIdsAsync($"api/logs?order={order}&limit=5" + (next is null ? string.Empty : "&after=" + Uri.EscapeDataString(next)));
                paged.AddRange(ids);
                next = cursor;
            }
            while (next is not null && paged.Count < 100);

            Assert.Equal(expected, paged);

            // A permalink: the entry by its Id, with its neighbours across blocks and partitions.
            var target = expected[9];
            using var context = await viewer.GetJsonAsync("api/context?n=3&id=" + Uri.EscapeDataString(target));
            Assert.Equal(target, context.RootElement.GetProperty("entry").GetProperty("id").GetString());
            var oldestFirst = order == "oldest" ? expected : Enumerable.Reverse(expected).ToList();
            var at = oldestFirst.IndexOf(target);
            Assert.Equal(oldestFirst.Skip(at - 3).Take(3), context.RootElement.GetProperty("before").EnumerateArray().Select(e => e.GetProperty("id").GetString()!));
            Assert.Equal(oldestFirst.Skip(at + 1).Take(3), context.RootElement.GetProperty("after").EnumerateArray().Select(e => e.GetProperty("id").GetString()!));
        }
    }
}
