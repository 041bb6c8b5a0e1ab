using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using MonarchLogs.Core.Append;
using MonarchLogs.Core.Format;
using MonarchLogs.Core.Format.Blocks;
using MonarchLogs.Core.Storage;
using MonarchLogs.Core.Upgrade;
using StackExchange.Redis;
using static MonarchLogs.Core.Tests.StoreExtensions;

namespace MonarchLogs.Core.Tests
{
    /// <summary>
    /// The upgrade from storage format 1 to 2 against a real server, read back raw (the streams
    /// through <see cref="StoredBlock"/>, the late sets): every entry written is there once, field
    /// by field, while a writer keeps adding format 1 entries, after a stop half-way and a second
    /// run; a preview changes nothing; another version is left alone.
    /// </summary>
    public sealed class UpgradeTests : IClassFixture<ValkeyFixture>
    {
        private readonly ValkeyFixture _valkey;

        public UpgradeTests(ValkeyFixture valkey) => _valkey = valkey;

        private IDatabase Db => _valkey.Connection.GetDatabase();

        private static StoreUpgrader Upgrader(LogStore store, TimeSpan writersSwitchWithin) =>
            new StoreUpgrader(store.Reader) { WritersSwitchWithin = writersSwitchWithin, PassPause = TimeSpan.FromMilliseconds(200) };

        [Fact]
        public async Task Every_entry_becomes_part_of_a_block_once_while_a_writer_keeps_adding_format_1_entries()
        {
            var store = _valkey.NewStore();
            var written = await FillAsync(store);
            var partitions = await store.GetPartitionsAsync();
            AssertSameEntries(written, (await ReadRawAsync(store)).Entries);

            // A service of this version that checked the format before the upgrade began, still adding format 1 entries.
            using var connection = _valkey.Server.Connect();
            var appender = new StoreAppender(connection, store.Format);
            var background = new List<MonarchLogEntry>();
            var batches = 0;
            var stop = new CancellationTokenSource();
            async Task WriteAsync()
            {
                for (var n = 0; !stop.IsCancellationRequested; n++)
                {
                    var batch = Enumerable.Range(0, 20).Select(i => WithHost(new MonarchLogEntry
                    {
                        Service = i % 2 == 0 ? "orders" : "late-comer", Level = MonarchLogLevel.Error, Timestamp = DateTime.UtcNow,
                        Message = $"live {n}/{i} \u001b[2J", Properties = "{\"n\":" + n + "}",
                    })).ToList();
                    await appender.AppendBatchAsync(batch);
                    lock (background) background.AddRange(batch);
                    Interlocked.Increment(ref batches);
                    await Task.Delay(5);
                }
            }

            var writer = Task.Run(WriteAsync);
            await WaitUntilAsync(() => Volatile.Read(ref batches) > 0);
            var atStart = Volatile.Read(ref batches);
            var reports = new List<UpgradeProgress>();
            var result = await Upgrader(store, TimeSpan.FromSeconds(2)).UpgradeAsync(progress =>
            {
                reports.Add(progress);
                if (progress.BlocksWritten != 3) return;
                // The writer adds entries after the store was marked version 2 and blocks were written, then stops.
                SpinWait.SpinUntil(() => Volatile.Read(ref batches) >= atStart + 3, TimeSpan.FromSeconds(20));
                stop.Cancel();
                writer.GetAwaiter().GetResult();
            }, partitionError: null, CancellationToken.None);

            Assert.True(writer.IsCompleted);
            Assert.True(background.Count >= 60, $"the writer added {background.Count} entries");
            var all = written.Concat(background).ToList();
            var raw = await ReadRawAsync(store);
            Assert.Equal("2", (string?)await Db.StringGetAsync(store.Format.FormatKey));
            // This process's readers, which had read version 1, read version 2 from now on.
            await store.Reader.EnsureReadableAsync(CancellationToken.None);
            Assert.Equal(2, store.Reader.Version);
            Assert.Equal(0, raw.Format1Left);
            AssertSameEntries(all, raw.Entries);
            Assert.Equal(all.Count, result.EntriesConverted);
            Assert.Equal(raw.Blocks, result.BlocksWritten);
            Assert.Equal("1", result.PreviousVersion);
            Assert.Equal(partitions.Count + 1, result.PartitionsConverted);
            Assert.True(result.Passes >= 2, $"{result.Passes} passes");
            Assert.Contains(raw.Counts, n => n == BlockPositions.MaxBlockEntries);
            Assert.True(raw.LateBlocks > 0);

            // Format 1 counted every entry by the minute of its ID; the upgrade leaves those counts alone.
            foreach (var partition in await store.GetPartitionsAsync())
            {
                var counted = (await Db.HashGetAllAsync(partition.CountsKey)).Sum(e => (long)e.Value);
                Assert.Equal(all.Count(e => e.Service == partition.Service && e.Level == partition.Level), counted);
            }

            Assert.Equal(result.EntriesConverted, reports[reports.Count - 1].EntriesConverted);
            Assert.All(reports, r => Assert.True(r.TotalEstimate >= r.EntriesConverted));
        }

        [Fact]
        public async Task A_stopped_upgrade_loses_and_doubles_nothing_and_the_next_run_finishes_it()
        {
            var store = _valkey.NewStore();
            var written = await FillAsync(store);
            using var stop = new CancellationTokenSource();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Upgrader(store, TimeSpan.Zero).UpgradeAsync(progress =>
            {
                if (progress.BlocksWritten == 4) stop.Cancel();
            }, partitionError: null, stop.Token));

            var half = await ReadRawAsync(store);
            AssertSameEntries(written, half.Entries);
            Assert.Equal(4, half.Blocks);
            Assert.True(half.Format1Left > 0);
            var preview = await store.PreviewUpgradeAsync(partitionError: null);
            Assert.Equal("2", preview.Version);
            Assert.Equal(half.Format1Left, preview.Partitions.Sum(p => p.Entries));

            var rest = await Upgrader(store, TimeSpan.Zero).UpgradeAsync(progress: null, partitionError: null, CancellationToken.None);
            var done = await ReadRawAsync(store);
            AssertSameEntries(written, done.Entries);
            Assert.Equal(0, done.Format1Left);
            Assert.Equal("2", rest.PreviousVersion);
            Assert.Equal(half.Format1Left, rest.EntriesConverted);

            var again = await store.UpgradeAsync(progress: null, partitionError: null);
            Assert.Equal((0L, 0L, 1), (again.EntriesConverted, again.BlocksWritten, again.Passes));
            AssertSameEntries(written, (await ReadRawAsync(store)).Entries);
        }

        [Fact]
        public async Task Two_upgrades_at_once_lose_and_double_nothing()
        {
            var store = _valkey.NewStore();
            var written = await FillAsync(store);
            using var connection = _valkey.Server.Connect();
            var other = new LogStore(connection, new StorageFormat(store.Format.Prefix));

            var results = await Task.WhenAll(
                Task.Run(() => Upgrader(store, TimeSpan.Zero).UpgradeAsync(progress: null, partitionError: null, CancellationToken.None)),
                Task.Run(() => Upgrader(other, TimeSpan.Zero).UpgradeAsync(progress: null, partitionError: null, CancellationToken.None)));

            var raw = await ReadRawAsync(store);
            Assert.Equal(0, raw.Format1Left);
            AssertSameEntries(written, raw.Entries);
            Assert.Equal(written.Count, results.Sum(r => r.EntriesConverted));
            Assert.Equal(raw.Blocks, results.Sum(r => r.BlocksWritten));
        }

        /// <summary>The script checks its sources itself once another removed entries from the stream: here, one of them.</summary>
        [Fact]
        public async Task The_conversion_changes_nothing_when_a_source_went_meanwhile()
        {
            var store = _valkey.NewStore();
            var partition = store.Format.GetPartition("orders", MonarchLogLevel.Error);
            await store.AppendAsync(Enumerable.Range(0, 3).Select(i => Entry("orders", MonarchLogLevel.Error, BaseTime.AddSeconds(i), "m" + i)).ToList());
            var sources = (await Db.StreamRangeAsync(partition.StreamKey)).Select(e => e.Id).ToList();
            var deleted = (long)await Db.ScriptEvaluateAsync(UpgradeScript.Deleted, new RedisKey[] { partition.StreamKey });
            using var encoder = new BlockEncoder();
            var block = encoder.Encode(Enumerable.Range(0, 3).Select(i => Entry("orders", MonarchLogLevel.Error, BaseTime.AddSeconds(i), "m" + i)).ToList(), string.Empty, 0);
            await Db.StreamDeleteAsync(partition.StreamKey, new[] { sources[1] });

            var answer = await Db.ScriptEvaluateAsync(UpgradeScript.Convert, UpgradeScript.ConvertKeys(partition), UpgradeScript.ConvertArguments(block, deleted, sources, new[] { 3 }));

            Assert.True(answer.IsNull);
            Assert.Equal(new[] { sources[0], sources[2] }, (await Db.StreamRangeAsync(partition.StreamKey)).Select(e => e.Id));
            Assert.False(await Db.KeyExistsAsync(partition.LateKey));
            Assert.Equal(1, (long)await Db.ScriptEvaluateAsync(UpgradeScript.Deleted, new RedisKey[] { partition.StreamKey }) - deleted);
        }

        [Fact]
        public async Task A_partition_that_cannot_be_converted_is_reported_and_the_others_are_converted()
        {
            var store = _valkey.NewStore();
            var written = await FillAsync(store);
            var broken = store.Format.GetPartition("broken", MonarchLogLevel.Error);
            await Db.HashSetAsync(store.Format.PartitionsKey, broken.StreamKey, StorageFormat.RegistryValue(broken));
            await Db.StringSetAsync(broken.StreamKey, "not a stream");
            var errors = new List<PartitionError>();

            var result = await Upgrader(store, TimeSpan.Zero).UpgradeAsync(progress: null, errors.Add, CancellationToken.None);

            var error = Assert.Single(errors);
            Assert.Equal(("PartitionWrongType", broken.StreamKey), (error.ErrorId, error.Key));
            Assert.Equal(written.Count, result.EntriesConverted);
            Assert.Equal(4, result.PartitionsScanned);
            var raw = await ReadRawAsync(store, skip: broken);
            Assert.Equal(0, raw.Format1Left);
            AssertSameEntries(written, raw.Entries);
        }

        [Fact]
        public async Task A_preview_tells_what_would_be_converted_and_changes_nothing()
        {
            var store = _valkey.NewStore();
            var written = await FillAsync(store);
            var before = await DumpAsync(store);

            var preview = await store.PreviewUpgradeAsync(partitionError: null);

            Assert.Equal("1", preview.Version);
            Assert.Equal(
                written.GroupBy(e => (e.Service, e.Level)).Select(g => (g.Key.Service, g.Key.Level, (long)g.Count())).OrderBy(p => p.Service, StringComparer.Ordinal).ThenBy(p => p.Level),
                preview.Partitions.Select(p => (p.Partition.Service, p.Partition.Level, p.Entries)).OrderBy(p => p.Service, StringComparer.Ordinal).ThenBy(p => p.Level));
            Assert.Equal(before, await DumpAsync(store));
        }

        [Fact]
        public async Task A_store_of_another_version_is_refused_and_left_alone()
        {
            var store = _valkey.NewStore();
            await FillAsync(store);
            await Db.StringSetAsync(store.Format.FormatKey, "99");
            var before = await DumpAsync(store);

            var refused = await Assert.ThrowsAsync<MonarchLogsException>(() => store.UpgradeAsync(progress: null, partitionError: null));

            Assert.Equal("UnsupportedStorageFormat", refused.ErrorId);
            Assert.DoesNotContain("\n", refused.Message);
            Assert.Equal(before, await DumpAsync(store));
        }

        /// <summary>
        /// A store of version 1 written through the format 1 append path: a partition of more
        /// entries than a block holds, one whose entries span more than a late block may, and one of
        /// hostile text (control characters, a message larger than a block's 1 MiB, Unicode,
        /// properties that are JSON and that are not, times out of order).
        /// </summary>
        private static async Task<List<MonarchLogEntry>> FillAsync(LogStore store)
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
        private static MonarchLogEntry WithHost(MonarchLogEntry entry) => new MonarchLogEntry
        {
            Service = entry.Service, Level = entry.Level, Timestamp = entry.Timestamp, Message = entry.Message, Category = entry.Category,
            TraceId = entry.TraceId, Properties = entry.Properties, Host = "host-1",
        };

        private sealed record RawStore(List<MonarchLogEntry> Entries, int Format1Left, int Blocks, List<int> Counts, int LateBlocks);

        /// <summary>
        /// Every entry of the store's streams and heads, read raw: each stream entry as a block
        /// (a format 1 entry as a block of one). Checks on the way that each block of a stream is
        /// in its late set exactly when it is not on time, scored by its t0, and spans at most L.
        /// </summary>
        private async Task<RawStore> ReadRawAsync(LogStore store, Partition? skip = null)
        {
            var entries = new List<MonarchLogEntry>();
            var counts = new List<int>();
            int left = 0, blocks = 0, late = 0;
            using var decoder = new BlockDecoder();
            foreach (var partition in (await store.GetPartitionsAsync()).Where(p => p != skip))
            {
                var lateSet = (await Db.SortedSetRangeByScoreWithScoresAsync(partition.LateKey)).ToDictionary(e => (string)e.Element!, e => (long)e.Score);
                var listed = 0;
                foreach (var key in new[] { partition.StreamKey, partition.HeadKey })
                {
                    foreach (var raw in await Db.StreamRangeAsync(key))
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

            return new RawStore(entries, left, blocks, counts, late);
        }

        /// <summary>Every key of the store with its type and content, to tell that nothing changed.</summary>
        private async Task<List<string>> DumpAsync(LogStore store)
        {
            var server = _valkey.Connection.GetServer(_valkey.Connection.GetEndPoints()[0]);
            var dump = new List<string>();
            await foreach (var key in server.KeysAsync(pattern: store.Format.Prefix + ":*"))
            {
                var type = await Db.KeyTypeAsync(key);
                var content = type switch
                {
                    RedisType.Stream => string.Join(",", (await Db.StreamRangeAsync(key)).Select(e => e.Id + ":" + e.Values.Length)),
                    RedisType.Hash => string.Join(",", (await Db.HashGetAllAsync(key)).Select(e => e.Name + "=" + e.Value).OrderBy(s => s, StringComparer.Ordinal)),
                    RedisType.String => (string?)await Db.StringGetAsync(key),
                    _ => type.ToString(),
                };
                dump.Add((string?)key + " " + type + " " + content);
            }

            dump.Sort(StringComparer.Ordinal);
            return dump;
        }

        private static async Task WaitUntilAsync(Func<bool> condition)
        {
            for (var waited = 0; !condition(); waited += 20)
            {
                Assert.True(waited < 20_000, "timed out");
                await Task.Delay(20);
            }
        }

        /// <summary>The same entries, each as often, field by field (not the Id, which the upgrade changes).</summary>
        private static void AssertSameEntries(IEnumerable<MonarchLogEntry> written, IEnumerable<MonarchLogEntry> read)
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
