using System;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
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
    /// The upgrade rebuilds each partition's stream beside it, so that its blocks stand at their
    /// entries' time as a live writer's do (a reader of a time range then reads only the blocks of
    /// that range, not every converted block); when an entry is removed meanwhile, the partition is
    /// converted in place instead, and nothing is lost or doubled either way.
    /// </summary>
    public sealed class UpgradeRebuildTests : IClassFixture<ValkeyFixture>
    {
        private static readonly long LagMs = (long)BlockPositions.Lag.TotalMilliseconds;
        private static readonly long LeadMs = (long)BlockPositions.Lead.TotalMilliseconds;

        private readonly ValkeyFixture _valkey;

        public UpgradeRebuildTests(ValkeyFixture valkey) => _valkey = valkey;

        private IDatabase Db => _valkey.Connection.GetDatabase();

        private static StoreUpgrader Upgrader(LogStore store) =>
            new StoreUpgrader(store.Reader) { WritersSwitchWithin = TimeSpan.Zero, PassPause = TimeSpan.FromMilliseconds(200) };

        private async Task<Partition> PartitionAsync(LogStore store, string service) =>
            (await store.GetPartitionsAsync()).Single(p => p.Service == service);

        [Fact]
        public async Task An_upgraded_partition_written_in_time_order_holds_its_blocks_at_their_entries_time_and_none_late()
        {
            var store = _valkey.NewStore().AsVersion1();
            var written = await FillAsync(store);

            var result = await Upgrader(store).UpgradeAsync(progress: null, partitionError: null, CancellationToken.None);

            var raw = await ReadRawAsync(Db, store);
            AssertSameEntries(written, raw.Entries);
            Assert.Equal(0, raw.Format1Left);
            Assert.Equal(written.Count, result.EntriesConverted);
            foreach (var service in new[] { "orders", "bücher-服务" })
            {
                var partition = await PartitionAsync(store, service);
                Assert.Equal(0, await Db.SortedSetLengthAsync(partition.LateKey));
                var blocks = await Db.StreamRangeAsync(partition.StreamKey, "-", "+");
                Assert.True(blocks.Length > 1, $"{service}: {blocks.Length} blocks");
                foreach (var entry in blocks)
                {
                    var header = StoredBlock.Read(partition, entry).Header;
                    StreamId.TryParse(entry.Id, out var id);
                    var t0 = BlockScripts.Milliseconds(header.FirstTicks);
                    var t1 = BlockScripts.Milliseconds(header.LastTicks);
                    Assert.True(id.Milliseconds - LagMs <= t0 && t1 <= id.Milliseconds + LeadMs, $"{service}: block {id} holds {t0} to {t1}");
                }

                // The rebuild's own keys are gone (its state stays a day, marked done); the old stream was freed.
                var keys = UpgradeScript.RebuildKeys(store.Format, partition);
                Assert.False(await Db.KeyExistsAsync(keys[1]));
                Assert.False(await Db.KeyExistsAsync(keys[4]));
                Assert.Equal("done", (string?)await Db.HashGetAsync(keys[2], "after"));
            }

            // A time range after the entries reads no block of theirs: none stands at the time of the upgrade.
            var partitionOfOrders = await PartitionAsync(store, "orders");
            var now = StreamId.ToUnixMilliseconds(DateTime.UtcNow);
            Assert.Empty(await Db.StreamRangeAsync(partitionOfOrders.StreamKey, (now - LagMs - 60_000).ToString(), "+"));
        }

        [Fact]
        public async Task An_entry_removed_while_a_rebuild_is_under_way_makes_the_partition_convert_in_place_losing_and_doubling_nothing()
        {
            var store = _valkey.NewStore().AsVersion1();
            var written = await FillAsync(store);
            var partition = await PartitionAsync(store, "orders");
            var keys = UpgradeScript.RebuildKeys(store.Format, partition);

            // A rebuild under way (as a stopped run leaves it), then retention removes the oldest entry.
            Assert.Equal(string.Empty, (string?)await Db.ScriptEvaluateAsync(UpgradeScript.BeginRebuild, new[] { keys[0], keys[1], keys[2], keys[3] }));
            var oldest = (await Db.StreamRangeAsync(partition.StreamKey, "-", "+", 1)).Single();
            Assert.Equal(1, await Db.StreamDeleteAsync(partition.StreamKey, new[] { oldest.Id }));
            var expected = written.Where(e => !(e.Service == "orders" && e.Timestamp == BaseTime)).ToList();
            Assert.Equal(written.Count - 1, expected.Count);

            var result = await Upgrader(store).UpgradeAsync(progress: null, partitionError: null, CancellationToken.None);

            var raw = await ReadRawAsync(Db, store);
            AssertSameEntries(expected, raw.Entries);
            Assert.Equal(0, raw.Format1Left);
            Assert.Equal(expected.Count, result.EntriesConverted);
            // Converted in place: its blocks stand at the upgrade's time, in the late set.
            Assert.True(await Db.SortedSetLengthAsync(partition.LateKey) > 0);
            Assert.False(await Db.KeyExistsAsync(keys[1]));
            Assert.False(await Db.KeyExistsAsync(keys[2]));
        }

        [Fact]
        public async Task Entries_added_between_the_last_pass_and_the_swap_beyond_what_the_swap_copies_are_taken_by_another_pass()
        {
            var store = _valkey.NewStore().AsVersion1();
            var written = await FillAsync(store);
            var partition = await PartitionAsync(store, "orders");
            var keys = UpgradeScript.RebuildKeys(store.Format, partition);
            var late = Enumerable.Range(0, 300)
                .Select(i => WithHost(new MonarchLogEntry { Service = "orders", Level = MonarchLogLevel.Error, Timestamp = BaseTime.AddHours(1).AddMilliseconds(10 * i), Message = "late " + i }))
                .ToList();
            var replacing = 0;
            using var encoder = new BlockEncoder();
            var rebuilder = new PartitionRebuilder(Db, store.Format, partition, encoder, _ => { })
            {
                // A writer of an earlier release adds more than the swap copies, right before the first swap.
                BeforeReplace = async () =>
                {
                    if (replacing++ == 0) await store.AppendAsync(late);
                },
            };

            var after = await rebuilder.RunAsync(CancellationToken.None);

            // The swap answered "more", a pass took the 300, and the second swap put the stream in place.
            Assert.Equal(2, replacing);
            Assert.NotNull(after);
            Assert.Equal(2500 + 300, rebuilder.Converted);
            var raw = await ReadRawAsync(Db, store);
            AssertSameEntries(written.Concat(late), raw.Entries);
            Assert.Equal(0, await Db.SortedSetLengthAsync(partition.LateKey));
            Assert.All(await Db.StreamRangeAsync(partition.StreamKey), e => Assert.False(UpgradeScript.IsFormat1Entry(e)));
            Assert.False(await Db.KeyExistsAsync(keys[1]));
            Assert.Equal("done", (string?)await Db.HashGetAsync(keys[2], "after"));
        }

        [Fact]
        public async Task A_rebuild_key_of_another_type_reports_its_partition_and_leaves_it_readable_while_the_others_upgrade()
        {
            var store = _valkey.NewStore().AsVersion1();
            var written = await FillAsync(store);
            var partition = await PartitionAsync(store, "orders");
            var keys = UpgradeScript.RebuildKeys(store.Format, partition);
            Assert.True(await Db.StringSetAsync(keys[2], "not a hash"));
            var errors = new System.Collections.Generic.List<PartitionError>();

            var result = await Upgrader(store).UpgradeAsync(progress: null, partitionError: errors.Add, CancellationToken.None);

            var error = Assert.Single(errors);
            Assert.Equal(partition.StreamKey, error.Partition!.StreamKey);
            Assert.Equal(StoreErrors.WrongType, error.ErrorId);
            Assert.Contains((string)keys[2]! + " is a string, where the upgrade keeps the progress of a rebuild (a hash)", error.ToString(), StringComparison.Ordinal);
            Assert.DoesNotContain("\n", error.ToString(), StringComparison.Ordinal);
            // The other partitions are blocks; this one is left as it was, and every entry still reads once.
            var raw = await ReadRawAsync(Db, store);
            AssertSameEntries(written, raw.Entries);
            Assert.Equal(2500, raw.Format1Left);
            Assert.Equal(written.Count - 2500, result.EntriesConverted);
            Assert.Equal("not a hash", (string?)await Db.StringGetAsync(keys[2]));
            var read = new System.Collections.Generic.List<MonarchLogEntry>();
            await foreach (var entry in store.QueryAsync(new LogQuery { OldestFirst = true })) read.Add(entry);
            AssertSameEntries(written, read);
        }

        [Fact]
        public async Task A_query_of_the_upgraded_store_reads_every_entry_once_in_order()
        {
            var store = _valkey.NewStore().AsVersion1();
            var written = await FillAsync(store);
            await Upgrader(store).UpgradeAsync(progress: null, partitionError: null, CancellationToken.None);

            var read = new System.Collections.Generic.List<MonarchLogEntry>();
            await foreach (var entry in store.QueryAsync(new LogQuery { OldestFirst = true })) read.Add(entry);
            AssertSameEntries(written, read);
            Assert.Equal(read.OrderBy(e => e.Timestamp).Select(e => e.Timestamp), read.Select(e => e.Timestamp));
        }
    }
}
