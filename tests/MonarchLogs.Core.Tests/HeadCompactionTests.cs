using System;
using System.Linq;
using System.Threading.Tasks;
using MonarchLogs.Core.Append;
using MonarchLogs.Core.Format;
using MonarchLogs.Core.Format.Blocks;
using StackExchange.Redis;
using static MonarchLogs.Core.Tests.BlockAppenderTests;
using static MonarchLogs.Core.Tests.StoreExtensions;

namespace MonarchLogs.Core.Tests
{
    /// <summary>
    /// Compacting a format 2 head into blocks of the stream, read back raw: every entry once,
    /// second copies of a block dropped, the compaction block marked, late when its entries are
    /// old, and two compactions at once leave one winner.
    /// </summary>
    public sealed class HeadCompactionTests : IClassFixture<ValkeyFixture>
    {
        private readonly ValkeyFixture _valkey;

        public HeadCompactionTests(ValkeyFixture valkey) => _valkey = valkey;

        private IDatabase Db => _valkey.Connection.GetDatabase();

        [Fact]
        public async Task Two_compactions_at_once_leave_one_winner_and_every_entry_exactly_once()
        {
            var store = await BlockStoreAsync(_valkey);
            var now = DateTime.UtcNow;
            for (var b = 0; b < 20; b++) await store.AppendAsync(Enumerable.Range(0, 10).Select(i => Entry("s", MonarchLogLevel.Error, now.AddMilliseconds(b * 10 + i), $"{b}:{i}")).ToList());
            var partition = store.Format.GetPartition("s", MonarchLogLevel.Error);
            Assert.Equal(20, await Db.StreamLengthAsync(partition.HeadKey));
            var countsBefore = await Db.HashGetAllAsync(partition.CountsKey);

            using var other = _valkey.Server.Connect();
            var first = new HeadCompactor(_valkey.Connection, new WriterIdentity(), null);
            var second = new HeadCompactor(other, new WriterIdentity(), null);
            var added = await Task.WhenAll(first.CompactAsync(partition, force: true, default), second.CompactAsync(partition, force: true, default));
            Assert.Equal(1, added.Sum());

            Assert.Equal(0, await Db.StreamLengthAsync(partition.HeadKey));
            var block = Assert.Single(await ReadBlocksAsync(Db, partition, partition.StreamKey));
            Assert.True(block.IsCompaction);
            var fields = (await Db.StreamRangeAsync(partition.StreamKey)).Single().Values.Select(v => (string?)v.Name).ToArray();
            Assert.Equal(new[] { "src", "data" }, fields.Skip(fields.Length - 2));
            var messages = Decode(partition, new[] { block }).Select(e => e.Message).ToList();
            Assert.Equal(Enumerable.Range(0, 20).SelectMany(b => Enumerable.Range(0, 10).Select(i => $"{b}:{i}")), messages);

            // A compaction counts nothing: the head's blocks were counted when they were added.
            Assert.Equal(countsBefore.OrderBy(e => (string?)e.Name), (await Db.HashGetAllAsync(partition.CountsKey)).OrderBy(e => (string?)e.Name));
            Assert.Equal(0, await Db.SortedSetLengthAsync(partition.LateKey));
        }

        [Fact]
        public async Task A_second_copy_of_a_head_block_is_dropped_and_an_old_entry_makes_the_compaction_block_late()
        {
            var store = await BlockStoreAsync(_valkey);
            var partition = store.Format.GetPartition("s", MonarchLogLevel.Error);
            var old = DateTime.UtcNow.AddHours(-3);
            using var encoder = new BlockEncoder();
            var copied = encoder.Encode(new[] { Entry("s", MonarchLogLevel.Error, old, "sent twice") }, "writer-a", 7);
            var single = encoder.Encode(new[] { Entry("s", MonarchLogLevel.Error, old.AddSeconds(1), "once") }, "writer-a", 8);
            foreach (var block in new[] { copied, copied, single })
            {
                await Db.ScriptEvaluateAsync(BlockScripts.Append, BlockScripts.AppendKeys(partition, toHead: true), BlockScripts.AppendArguments(block, toHead: true, count: true));
            }

            Assert.Equal(0, await Db.SortedSetLengthAsync(partition.LateKey));
            Assert.Equal(1, await store.CompactHeadAsync(partition));
            var compacted = Assert.Single(await ReadBlocksAsync(Db, partition, partition.StreamKey));
            Assert.Equal(new[] { "sent twice", "once" }, Decode(partition, new[] { compacted }).Select(e => e.Message));
            var late = Assert.Single(await Db.SortedSetRangeByRankWithScoresAsync(partition.LateKey));
            Assert.Equal(compacted.Id.ToString(), (string?)late.Element);
            Assert.Equal(StreamId.ToUnixMilliseconds(old), (long)late.Score);
            Assert.Equal(0, await Db.StreamLengthAsync(partition.HeadKey));
        }

        [Fact]
        public async Task The_compaction_script_changes_nothing_when_the_head_no_longer_starts_with_its_blocks()
        {
            var store = await BlockStoreAsync(_valkey);
            var partition = store.Format.GetPartition("s", MonarchLogLevel.Error);
            await store.AppendAsync(new[] { Entry("s", MonarchLogLevel.Error, DateTime.UtcNow, "a") });
            await store.AppendAsync(new[] { Entry("s", MonarchLogLevel.Error, DateTime.UtcNow, "b") });
            var head = await Db.StreamRangeAsync(partition.HeadKey);
            StreamId.TryParse(head[0].Id, out var firstId);
            StreamId.TryParse(head[1].Id, out var secondId);
            using var encoder = new BlockEncoder();
            var block = encoder.Encode(new[] { Entry("s", MonarchLogLevel.Error, DateTime.UtcNow, "b") }, "w", 1);

            // It names the second block as the first: another compaction took the first one away.
            var reply = await Db.ScriptEvaluateAsync(BlockScripts.Compact, BlockScripts.CompactKeys(partition), BlockScripts.CompactArguments(block, secondId, secondId, 1));
            Assert.True(reply.IsNull);
            Assert.Equal(2, await Db.StreamLengthAsync(partition.HeadKey));
            Assert.Equal(0, await Db.StreamLengthAsync(partition.StreamKey));

            // A late set of another type refuses before anything is written.
            await Db.StringSetAsync(partition.LateKey, "not a set");
            var refused = await Assert.ThrowsAsync<RedisServerException>(() => Db.ScriptEvaluateAsync(BlockScripts.Compact, BlockScripts.CompactKeys(partition), BlockScripts.CompactArguments(block, firstId, secondId, 2)));
            Assert.StartsWith("WRONGTYPE", refused.Message);
            Assert.Equal(2, await Db.StreamLengthAsync(partition.HeadKey));
            Assert.Equal(0, await Db.StreamLengthAsync(partition.StreamKey));
        }

        [Fact]
        public async Task A_writer_that_writes_nothing_more_compacts_its_head_once_it_is_old_enough()
        {
            var store = await BlockStoreAsync(_valkey);
            var partition = store.Format.GetPartition("s", MonarchLogLevel.Error);
            var format = store.Format;
            var appender = new BlockAppender(_valkey.Connection, format, "host", new FormatCheck(_valkey.Connection, format), new SendTurns(), null,
                compactAfter: TimeSpan.FromSeconds(4), checkEvery: TimeSpan.FromSeconds(1));
            await appender.AppendBatchAsync(new[] { Entry("s", MonarchLogLevel.Error, DateTime.UtcNow, "first") });
            await appender.AppendBatchAsync(new[] { Entry("s", MonarchLogLevel.Error, DateTime.UtcNow, "last") });

            // No batch follows: the writer wakes up to check the head (too young at first), and again once it is old enough.
            var clock = System.Diagnostics.Stopwatch.StartNew();
            while (await Db.StreamLengthAsync(partition.HeadKey) > 0 && clock.Elapsed < TimeSpan.FromSeconds(20)) await Task.Delay(100);
            Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(20));
            Assert.Equal(0, await Db.StreamLengthAsync(partition.HeadKey));
            Assert.Equal(new[] { "first", "last" }, Decode(partition, await ReadBlocksAsync(Db, partition, partition.StreamKey)).Select(e => e.Message));
        }

        [Fact]
        public async Task A_writer_compacts_a_head_it_wrote_to_once_the_head_holds_a_block_of_entries_and_not_per_batch()
        {
            var store = await BlockStoreAsync(_valkey);
            var partition = store.Format.GetPartition("s", MonarchLogLevel.Error);
            var appender = new VersionedAppender(_valkey.Connection, store.Format);
            var now = DateTime.UtcNow;
            for (var b = 0; b < 5; b++) await appender.AppendBatchAsync(Enumerable.Range(0, 200).Select(i => Entry("s", MonarchLogLevel.Error, now.AddMilliseconds(b * 200 + i))).ToList());
            Assert.Equal(5, await Db.StreamLengthAsync(partition.HeadKey));

            // A young head under a block's worth stays; past 1,024 entries the writer compacts it.
            await Task.Delay(1100);
            for (var b = 5; b < 6; b++) await appender.AppendBatchAsync(Enumerable.Range(0, 200).Select(i => Entry("s", MonarchLogLevel.Error, now.AddMilliseconds(b * 200 + i))).ToList());
            var clock = System.Diagnostics.Stopwatch.StartNew();
            while (await Db.StreamLengthAsync(partition.StreamKey) == 0 && clock.Elapsed < TimeSpan.FromSeconds(10)) await Task.Delay(50);
            var blocks = await ReadBlocksAsync(Db, partition, partition.StreamKey);
            Assert.NotEmpty(blocks);
            Assert.All(blocks, b => Assert.True(b.IsCompaction));
            var all = Decode(partition, blocks.Concat(await ReadBlocksAsync(Db, partition, partition.HeadKey)));
            Assert.Equal(1200, all.Count);
            Assert.Equal(1200, all.Select(e => e.Timestamp).Distinct().Count());
        }
    }
}
