using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using MonarchLogs.Core.Append;
using MonarchLogs.Core.Format;
using MonarchLogs.Core.Format.Blocks;
using MonarchLogs.Core.Query;
using MonarchLogs.Core.Storage;
using MonarchLogs.Core.Upgrade;
using StackExchange.Redis;
using static MonarchLogs.Core.Tests.StoreExtensions;
using static MonarchLogs.Core.Tests.UpgradeTestStore;

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
        public async Task A_reader_that_lives_on_reads_the_store_as_version_2_once_another_process_upgraded_it()
        {
            var store = _valkey.NewStore().AsVersion1();
            var entries = Enumerable.Range(0, 30).Select(i => new MonarchLogEntry
            {
                Service = "orders", Level = MonarchLogLevel.Warning, Timestamp = new DateTime(2026, 12, 1, 8, 0, 0, DateTimeKind.Utc).AddSeconds(i), Message = "m" + i,
            }).ToList();
            Assert.Equal(30, await store.AppendAsync(entries));

            // The viewer's store: one LogStore that reads for as long as the host runs.
            using var viewerConnection = _valkey.Server.Connect();
            var viewer = new LogStore(viewerConnection, new StorageFormat(store.Format.Prefix));
            viewer.Reader.FormatRecheck = TimeSpan.FromMilliseconds(300);
            var before = new List<string>();
            await foreach (var entry in viewer.QueryAsync(new LogQuery { OldestFirst = true })) before.Add(entry.Message);
            Assert.Equal(entries.Select(e => e.Message), before);

            using var otherConnection = _valkey.Server.Connect();
            var other = new LogStore(otherConnection, new StorageFormat(store.Format.Prefix));
            await Upgrader(other, TimeSpan.Zero).UpgradeAsync(progress: null, partitionError: null, CancellationToken.None);

            // Read as version 1, the blocks would be entries without a time or a message.
            await Task.Delay(400);
            var after = new List<MonarchLogEntry>();
            await foreach (var entry in viewer.QueryAsync(new LogQuery { OldestFirst = true })) after.Add(entry);
            Assert.Equal(entries.Select(e => e.Message), after.Select(e => e.Message));
            Assert.Equal(entries.Select(e => e.Timestamp), after.Select(e => e.Timestamp));
        }

        [Fact]
        public async Task Every_entry_becomes_part_of_a_block_once_while_a_writer_keeps_adding_format_1_entries()
        {
            var store = _valkey.NewStore().AsVersion1();
            var written = await FillAsync(store);
            var partitions = await store.GetPartitionsAsync();
            AssertSameEntries(written, (await ReadRawAsync(Db, store)).Entries);

            // A service of an earlier version that checked the format before the upgrade began, still adding format 1 entries.
            using var connection = _valkey.Server.Connect();
            var appender = new Testing.Version1Writer(connection, store.Format);
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
            var raw = await ReadRawAsync(Db, store);
            Assert.Equal("2", (string?)await Db.StringGetAsync(store.Format.FormatKey));
            // This process's readers, which had read version 1, read version 2 from now on.
            await store.Reader.EnsureReadableAsync(CancellationToken.None);
            Assert.Equal(2, store.Reader.Version);
            Assert.Equal(0, raw.Format1Left);
            AssertSameEntries(all, raw.Entries);
            Assert.Equal(all.Count, result.EntriesConverted);
            Assert.Equal(raw.Blocks, result.BlocksWritten);
            // Marked as entries from before (src upgrade), which a live tail does not show again; src before data, as a compaction block has it.
            Assert.Equal(raw.Blocks, raw.MarkedAsOlder);
            var first = (await Db.StreamRangeAsync(partitions[0].StreamKey, "-", "+", 1)).Single();
            Assert.Equal(new[] { "n", "t0", "t1", "w", "seq", "codec", "min", "bloom", "src", "data" }, first.Values.Select(v => (string?)v.Name));
            Assert.Equal("upgrade", (string?)first["src"]);
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
            var store = _valkey.NewStore().AsVersion1();
            var written = await FillAsync(store);
            using var stop = new CancellationTokenSource();
            long convertedBeforeStop = 0;
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Upgrader(store, TimeSpan.Zero).UpgradeAsync(progress =>
            {
                convertedBeforeStop = progress.EntriesConverted;
                if (progress.BlocksWritten == 4) stop.Cancel();
            }, partitionError: null, stop.Token));

            // Stopped while it rebuilt a partition: the partitions rebuilt hold blocks, the one under way still its format 1 entries.
            var half = await ReadRawAsync(Db, store);
            AssertSameEntries(written, half.Entries);
            Assert.InRange(half.Blocks, 1, 3);
            Assert.True(half.Format1Left > 0);
            var preview = await store.PreviewUpgradeAsync(partitionError: null);
            Assert.Equal("2", preview.Version);
            Assert.Equal(half.Format1Left, preview.Partitions.Sum(p => p.Entries));

            var rest = await Upgrader(store, TimeSpan.Zero).UpgradeAsync(progress: null, partitionError: null, CancellationToken.None);
            var done = await ReadRawAsync(Db, store);
            AssertSameEntries(written, done.Entries);
            Assert.Equal(0, done.Format1Left);
            Assert.Equal("2", rest.PreviousVersion);
            // The next run goes on from where the rebuild stopped: no entry converted twice.
            Assert.Equal(written.Count, convertedBeforeStop + rest.EntriesConverted);

            var again = await store.UpgradeAsync(progress: null, partitionError: null);
            Assert.Equal((0L, 0L, 1), (again.EntriesConverted, again.BlocksWritten, again.Passes));
            AssertSameEntries(written, (await ReadRawAsync(Db, store)).Entries);
        }

        [Fact]
        public async Task Two_upgrades_at_once_lose_and_double_nothing()
        {
            var store = _valkey.NewStore().AsVersion1();
            var written = await FillAsync(store);
            using var connection = _valkey.Server.Connect();
            var other = new LogStore(connection, new StorageFormat(store.Format.Prefix));

            var results = await Task.WhenAll(
                Task.Run(() => Upgrader(store, TimeSpan.Zero).UpgradeAsync(progress: null, partitionError: null, CancellationToken.None)),
                Task.Run(() => Upgrader(other, TimeSpan.Zero).UpgradeAsync(progress: null, partitionError: null, CancellationToken.None)));

            var raw = await ReadRawAsync(Db, store);
            Assert.Equal(0, raw.Format1Left);
            AssertSameEntries(written, raw.Entries);
            Assert.Equal(written.Count, results.Sum(r => r.EntriesConverted));
            Assert.Equal(raw.Blocks, results.Sum(r => r.BlocksWritten));
        }

        /// <summary>The script checks its sources itself once another removed entries from the stream: here, one of them.</summary>
        [Fact]
        public async Task The_conversion_changes_nothing_when_a_source_went_meanwhile()
        {
            var store = _valkey.NewStore().AsVersion1();
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
            var store = _valkey.NewStore().AsVersion1();
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
            var raw = await ReadRawAsync(Db, store, skip: broken);
            Assert.Equal(0, raw.Format1Left);
            AssertSameEntries(written, raw.Entries);
        }

        [Fact]
        public async Task A_preview_tells_what_would_be_converted_and_changes_nothing()
        {
            var store = _valkey.NewStore().AsVersion1();
            var written = await FillAsync(store);
            var before = await DumpAsync(_valkey.Connection, store);

            var preview = await store.PreviewUpgradeAsync(partitionError: null);

            Assert.Equal("1", preview.Version);
            Assert.Equal(
                written.GroupBy(e => (e.Service, e.Level)).Select(g => (g.Key.Service, g.Key.Level, (long)g.Count())).OrderBy(p => p.Service, StringComparer.Ordinal).ThenBy(p => p.Level),
                preview.Partitions.Select(p => (p.Partition.Service, p.Partition.Level, p.Entries)).OrderBy(p => p.Service, StringComparer.Ordinal).ThenBy(p => p.Level));
            Assert.Equal(before, await DumpAsync(_valkey.Connection, store));
        }

        [Fact]
        public async Task A_prefix_without_a_store_is_left_without_one()
        {
            var store = _valkey.NewStore().AsVersion1();

            var preview = await store.PreviewUpgradeAsync(partitionError: null);
            var result = await store.UpgradeAsync(progress: null, partitionError: null);

            Assert.Equal((string.Empty, 0), (preview.Version, preview.Partitions.Count));
            Assert.Equal((string.Empty, string.Empty, 0), (result.PreviousVersion, result.Version, result.Passes));
            Assert.Empty(await DumpAsync(_valkey.Connection, store));
        }

        [Fact]
        public async Task A_store_of_another_version_is_refused_and_left_alone()
        {
            var store = _valkey.NewStore().AsVersion1();
            await FillAsync(store);
            await Db.StringSetAsync(store.Format.FormatKey, "99");
            var before = await DumpAsync(_valkey.Connection, store);

            var refused = await Assert.ThrowsAsync<MonarchLogsException>(() => store.UpgradeAsync(progress: null, partitionError: null));

            Assert.Equal("UnsupportedStorageFormat", refused.ErrorId);
            Assert.DoesNotContain("\n", refused.Message);
            Assert.Equal(before, await DumpAsync(_valkey.Connection, store));
        }
    }
}
