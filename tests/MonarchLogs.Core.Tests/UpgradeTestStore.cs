using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using MonarchLogs.Core.Format;
using MonarchLogs.Core.Format.Blocks;
using MonarchLogs.Core.Storage;
using StackExchange.Redis;
using static MonarchLogs.Core.Tests.StoreExtensions;

namespace MonarchLogs.Core.Tests
{
    /// <summary>
    /// What the upgrade tests write and how they read a store back raw: the streams and heads
    /// through <see cref="StoredBlock"/>, the late sets, every key as text.
    /// </summary>
    internal static class UpgradeTestStore
    {
        /// <summary>
        /// A store of version 1 written through the format 1 append path: a partition of more
        /// entries than a block holds, one whose entries span more than a late block may, and one of
        /// hostile text (control characters, a message larger than a block's 1 MiB, Unicode,
        /// properties that are JSON and that are not, times out of order).
        /// </summary>
        public static async Task<List<MonarchLogEntry>> FillAsync(LogStore store)
        {
            var entries = new List<MonarchLogEntry>();
            for (var i = 0; i < 2500; i++)
            {
                entries.Add(WithHost(new MonarchLogEntry { Service = "orders", Level = MonarchLogLevel.Error, Timestamp = BaseTime.AddMilliseconds(100 * i), Message = "order " + i, TraceId = i.ToString("x32") }));
            }

            for (var i = 0; i < 600; i++)
            {
                entries.Add(WithHost(new MonarchLogEntry { Service = "bücher-服务", Level = MonarchLogLevel.Information, Timestamp = BaseTime.AddSeconds(3 * i).AddTicks(i), Message = "书 " + i, Category = "Bücher" }));
            }

            var hostile = new[] { "\0\u0001\u0007\u001b[31mred\u001b[0m", "line\r\nbreak\ttab", "🦋 ünïcødé \u202eevil\u202c 漢字 \"quoted\" \\back\\", "" };
            for (var i = 0; i < 40; i++)
            {
                entries.Add(new MonarchLogEntry
                {
                    Service = "search", Level = MonarchLogLevel.Warning,
                    Timestamp = BaseTime.AddMinutes(i % 3 == 0 ? 30 - i : i).AddTicks(1234567),
                    Category = hostile[i % hostile.Length], Message = (i == 7 || i == 20 ? new string('x', 1_500_000) : hostile[(i + 1) % hostile.Length]) + i, Template = hostile[(i + 2) % hostile.Length],
                    EventId = i % 4 == 0 ? -i : i, EventName = hostile[(i + 3) % hostile.Length],
                    ExceptionType = i % 2 == 0 ? "System.InvalidOperationException" : "", ExceptionMessage = hostile[(i + 4) % hostile.Length],
                    Exception = "System.InvalidOperationException: " + hostile[i % hostile.Length] + "\n   at Foo.Bar()",
                    TraceId = "7a447039f5cb2392e2319fc3670ef2a1", SpanId = i % 2 == 0 ? "5c826a3a0cdf70bb" : "",
                    Host = "box-\u00e9" + i % 2,
                    Properties = (i % 3) switch { 0 => "{\"OrderId\":" + i + ",\"Name\":\"" + "a\\u0000b" + "\"}", 1 => "not json {" + hostile[i % hostile.Length], _ => "" },
                });
            }

            foreach (var chunk in entries.Chunk(500)) await store.AppendAsync(chunk);
            return entries;
        }

        /// <summary>The entry with its host set, so it reads back as written (the writer fills an empty one with its machine's name).</summary>
        public static MonarchLogEntry WithHost(MonarchLogEntry entry) => new MonarchLogEntry
        {
            Service = entry.Service, Level = entry.Level, Timestamp = entry.Timestamp, Message = entry.Message, Category = entry.Category,
            TraceId = entry.TraceId, Properties = entry.Properties, Host = "host-1",
        };

        public sealed record RawStore(List<MonarchLogEntry> Entries, int Format1Left, int Blocks, List<int> Counts, int LateBlocks, int MarkedAsOlder);

        /// <summary>
        /// Every entry of the store's streams and heads, read raw: each stream entry as a block
        /// (a format 1 entry as a block of one). Checks on the way that each block of a stream is
        /// in its late set exactly when it is not on time, scored by its t0, and spans at most L.
        /// </summary>
        public static async Task<RawStore> ReadRawAsync(IDatabase db, LogStore store, Partition? skip = null)
        {
            var entries = new List<MonarchLogEntry>();
            var counts = new List<int>();
            int left = 0, blocks = 0, late = 0, older = 0;
            using var decoder = new BlockDecoder();
            foreach (var partition in (await store.GetPartitionsAsync()).Where(p => p != skip))
            {
                var lateSet = (await db.SortedSetRangeByScoreWithScoresAsync(partition.LateKey)).ToDictionary(e => (string)e.Element!, e => (long)e.Score);
                var listed = 0;
                foreach (var key in new[] { partition.StreamKey, partition.HeadKey })
                {
                    foreach (var raw in await db.StreamRangeAsync(key))
                    {
                        var block = StoredBlock.Read(partition, raw);
                        entries.AddRange(block.Decode(partition, decoder));
                        if (UpgradeScript.IsFormat1Entry(raw))
                        {
                            left++;
                            continue;
                        }

                        if (key != partition.StreamKey) continue;
                        blocks++;
                        if (block.IsCompaction) older++;
                        counts.Add(block.Header.Count);
                        Assert.True(block.Header.LastTicks - block.Header.FirstTicks <= BlockPositions.Lag.Ticks, $"block {raw.Id} spans more than L");
                        var onTime = BlockPositions.IsOnTime(block.Id.Milliseconds, block.Header.FirstTicks, block.Header.LastTicks);
                        Assert.Equal(!onTime, lateSet.TryGetValue(raw.Id!, out var score));
                        if (onTime) continue;
                        late++;
                        listed++;
                        Assert.Equal(BlockScripts.Milliseconds(block.Header.FirstTicks), score);
                    }
                }

                Assert.Equal(lateSet.Count, listed);
            }

            return new RawStore(entries, left, blocks, counts, late, older);
        }

        /// <summary>Every key of the store with its type and content, to tell that nothing changed.</summary>
        public static async Task<List<string>> DumpAsync(IConnectionMultiplexer connection, LogStore store)
        {
            var server = connection.GetServer(connection.GetEndPoints()[0]);
            var db = connection.GetDatabase();
            var dump = new List<string>();
            await foreach (var key in server.KeysAsync(pattern: store.Format.Prefix + ":*"))
            {
                var type = await db.KeyTypeAsync(key);
                var content = type switch
                {
                    RedisType.Stream => string.Join(",", (await db.StreamRangeAsync(key)).Select(e => e.Id + ":" + e.Values.Length)),
                    RedisType.Hash => string.Join(",", (await db.HashGetAllAsync(key)).Select(e => e.Name + "=" + e.Value).OrderBy(s => s, StringComparer.Ordinal)),
                    RedisType.String => (string?)await db.StringGetAsync(key),
                    _ => type.ToString(),
                };
                dump.Add((string?)key + " " + type + " " + content);
            }

            dump.Sort(StringComparer.Ordinal);
            return dump;
        }

        public static async Task WaitUntilAsync(Func<bool> condition)
        {
            for (var waited = 0; !condition(); waited += 20)
            {
                Assert.True(waited < 20_000, "timed out");
                await Task.Delay(20);
            }
        }

        /// <summary>The same entries, each as often, field by field (not the Id, which the upgrade changes).</summary>
        public static void AssertSameEntries(IEnumerable<MonarchLogEntry> written, IEnumerable<MonarchLogEntry> read)
        {
            var expected = written.Select(Fields).OrderBy(s => s, StringComparer.Ordinal).ToList();
            var actual = read.Select(Fields).OrderBy(s => s, StringComparer.Ordinal).ToList();
            if (expected.SequenceEqual(actual)) return;
            var missing = expected.Except(actual).Take(2);
            var extra = actual.Except(expected).Take(2);
            Assert.Fail($"{expected.Count} written, {actual.Count} read; missing e.g. [{Shorten(missing)}], extra or changed e.g. [{Shorten(extra)}]");
        }

        private static string Shorten(IEnumerable<string> items) => string.Join(" | ", items.Select(s => s.Length > 300 ? s.Substring(0, 300) + "…" : s));

        private static string Fields(MonarchLogEntry e) => string.Join("\u241e", new object[]
        {
            e.Timestamp.Ticks, e.Timestamp.Kind, e.Level, e.Service, e.Category, e.Message, e.Template, e.EventId, e.EventName,
            e.ExceptionType, e.ExceptionMessage, e.Exception, e.TraceId, e.SpanId, e.Host, e.Properties,
        });
    }
}
