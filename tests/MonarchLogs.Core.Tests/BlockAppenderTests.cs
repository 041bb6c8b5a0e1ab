using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using MonarchLogs.Core.Append;
using MonarchLogs.Core.Format;
using MonarchLogs.Core.Format.Blocks;
using MonarchLogs.Core.Storage;
using StackExchange.Redis;
using static MonarchLogs.Core.Tests.StoreExtensions;

namespace MonarchLogs.Core.Tests
{
    /// <summary>
    /// The format 2 write path against a real server, checked by reading the keys raw (XRANGE,
    /// the late set, the counts) and decoding the blocks: the append script, head and stream
    /// routing, the late set, marking a new store, and a block retried after a lost reply.
    /// </summary>
    public sealed class BlockAppenderTests : IClassFixture<ValkeyFixture>
    {
        private readonly ValkeyFixture _valkey;

        public BlockAppenderTests(ValkeyFixture valkey) => _valkey = valkey;

        private IDatabase Db => _valkey.Connection.GetDatabase();

        [Fact]
        public async Task A_small_batch_is_one_head_block_and_a_large_one_blocks_of_the_stream_cut_at_1024_entries()
        {
            var store = await BlockStoreAsync();
            var now = DateTime.UtcNow;
            var small = Enumerable.Range(0, BlockPositions.DirectBlockEntries - 1).Select(i => Entry("s", MonarchLogLevel.Error, now.AddTicks(i), "small " + i)).ToList();
            var large = Enumerable.Range(0, 2000).Select(i => Entry("s", MonarchLogLevel.Warning, now.AddTicks(i), "large " + i)).ToList();
            Assert.Equal(small.Count + large.Count, await store.AppendAsync(small.Concat(large).ToList()));

            var error = store.Format.GetPartition("s", MonarchLogLevel.Error);
            var warning = store.Format.GetPartition("s", MonarchLogLevel.Warning);
            var head = Assert.Single(await BlocksAsync(error, error.HeadKey));
            Assert.Equal(small.Count, head.Header.Count);
            Assert.Equal(0, await Db.StreamLengthAsync(error.StreamKey));
            Assert.Equal(small.Select(e => e.Message), Decode(error, new[] { head }).Select(e => e.Message));

            var blocks = await BlocksAsync(warning, warning.StreamKey);
            Assert.Equal(new[] { 1024, 976 }, blocks.Select(b => b.Header.Count));
            Assert.Equal(0, await Db.StreamLengthAsync(warning.HeadKey));
            Assert.Equal(large.Select(e => e.Message), Decode(warning, blocks).Select(e => e.Message));
            Assert.Equal(0, await Db.SortedSetLengthAsync(warning.LateKey));

            // A block of the stream has a Bloom filter; a head block none (a reader reads the whole head).
            Assert.All(blocks, b => Assert.NotNull(b.Header.Bloom));
            Assert.Null(head.Header.Bloom);

            // One writer, its blocks numbered in order; every entry has the writer's host.
            Assert.Single(blocks.Concat(new[] { head }).Select(b => b.Header.WriterId).Distinct());
            Assert.Equal(16, head.Header.WriterId.Length);
            Assert.True(blocks[0].Header.Sequence < blocks[1].Header.Sequence);
            Assert.All(Decode(warning, blocks), e => Assert.Equal(Environment.MachineName, e.Host));

            // One EVALSHA per block, once the server knows the script (the first ones may have found it unknown and sent it).
            var before = await CommandCallsAsync();
            await store.AppendAsync(small.Concat(large).ToList());
            var after = await CommandCallsAsync();
            Assert.Equal((3L, 0L), (after.Evalsha - before.Evalsha, after.Eval - before.Eval));

            // Registered, once stored.
            var registry = await Db.HashGetAllAsync(store.Format.PartitionsKey);
            Assert.Equal(new[] { error.StreamKey, warning.StreamKey }.OrderBy(k => k, StringComparer.Ordinal), registry.Select(e => (string)e.Name!).OrderBy(k => k, StringComparer.Ordinal));
        }

        [Fact]
        public async Task A_block_spans_at_most_the_lag_of_event_time()
        {
            var store = await BlockStoreAsync();
            var now = DateTime.UtcNow;
            var entries = Enumerable.Range(0, 300).Select(i => Entry("s", MonarchLogLevel.Error, now.AddMinutes(-20).AddSeconds(i * 4))).ToList();
            await store.AppendAsync(entries);
            var partition = store.Format.GetPartition("s", MonarchLogLevel.Error);
            var blocks = await BlocksAsync(partition, partition.StreamKey);
            Assert.True(blocks.Count >= 2);
            Assert.All(blocks, b => Assert.True(b.Header.LastTicks - b.Header.FirstTicks <= BlockPositions.Lag.Ticks));
            Assert.Equal(300, blocks.Sum(b => b.Header.Count));
        }

        [Fact]
        public async Task The_append_script_counts_by_event_minute_and_hour_for_the_stream_and_the_head()
        {
            var store = await BlockStoreAsync();
            var minute = new DateTime(2026, 11, 1, 12, 59, 0, DateTimeKind.Utc);
            var entries = new List<MonarchLogEntry>();
            entries.AddRange(Enumerable.Range(0, 3).Select(i => Entry("s", MonarchLogLevel.Error, minute.AddSeconds(i))));
            entries.AddRange(Enumerable.Range(0, 2).Select(i => Entry("s", MonarchLogLevel.Error, minute.AddMinutes(1).AddSeconds(i))));
            entries.AddRange(Enumerable.Range(0, 300).Select(i => Entry("s", MonarchLogLevel.Information, minute.AddMilliseconds(i * 300))));
            await store.AppendAsync(entries);

            var m = StreamId.ToUnixMilliseconds(minute) / 60_000;
            var error = store.Format.GetPartition("s", MonarchLogLevel.Error);
            Assert.Equal(new[] { (m, 3L), (m + 1, 2L) }, await CountsAsync(error.CountsKey));
            Assert.Equal(new[] { (m / 60, 3L), (m / 60 + 1, 2L) }, await CountsAsync(error.HourCountsKey));
            var information = store.Format.GetPartition("s", MonarchLogLevel.Information);
            Assert.Equal(new[] { (m, 200L), (m + 1, 100L) }, await CountsAsync(information.CountsKey));
            Assert.Equal(new[] { (m / 60, 200L), (m / 60 + 1, 100L) }, await CountsAsync(information.HourCountsKey));
        }

        [Fact]
        public async Task A_block_of_the_stream_off_its_time_goes_into_the_late_set_and_one_on_time_or_in_the_head_does_not()
        {
            var store = await BlockStoreAsync();
            var old = DateTime.UtcNow.AddHours(-2);
            var now = DateTime.UtcNow;
            await store.AppendAsync(Enumerable.Range(0, 256).Select(i => Entry("s", MonarchLogLevel.Error, old.AddTicks(i))).ToList());
            await store.AppendAsync(Enumerable.Range(0, 256).Select(i => Entry("s", MonarchLogLevel.Error, now.AddTicks(i))).ToList());
            await store.AppendAsync(new[] { Entry("s", MonarchLogLevel.Error, old, "old, in the head") });

            var partition = store.Format.GetPartition("s", MonarchLogLevel.Error);
            var blocks = await BlocksAsync(partition, partition.StreamKey);
            Assert.Equal(2, blocks.Count);
            var late = await Db.SortedSetRangeByRankWithScoresAsync(partition.LateKey);
            var member = Assert.Single(late);
            Assert.Equal(blocks[0].Id.ToString(), (string?)member.Element);
            Assert.Equal(StreamId.ToUnixMilliseconds(old), (long)member.Score);
            Assert.Equal(1, await Db.StreamLengthAsync(partition.HeadKey));
        }

        [Fact]
        public async Task A_new_store_is_marked_version_2_and_one_an_older_version_left_unmarked_is_refused()
        {
            var store = _valkey.NewStore();
            await store.AppendAsync(new[] { Entry("s", MonarchLogLevel.Error, DateTime.UtcNow, "first") });
            Assert.Equal("2", (string?)await Db.StringGetAsync(store.Format.FormatKey));
            var partition = store.Format.GetPartition("s", MonarchLogLevel.Error);
            Assert.Equal(new[] { "first" }, Decode(partition, await BlocksAsync(partition, partition.HeadKey)).Select(e => e.Message));

            // A store an older version wrote before stores were marked: partitions, no format key. It is version 1.
            var old = _valkey.NewStore().AsVersion1();
            await old.AppendAsync(new[] { Entry("s", MonarchLogLevel.Error, DateTime.UtcNow, "first") });
            await Db.KeyDeleteAsync(old.Format.FormatKey);
            var refused = await Assert.ThrowsAsync<MonarchLogsException>(() => new LogStore(_valkey.Connection, old.Format).AppendAsync(new[] { Entry("s", MonarchLogLevel.Error, DateTime.UtcNow, "refused") }));
            Assert.Equal("StoreNeedsUpgrade", refused.ErrorId);
            Assert.False(await Db.KeyExistsAsync(old.Format.FormatKey));
            Assert.Equal(1, await Db.StreamLengthAsync(old.Format.GetPartition("s", MonarchLogLevel.Error).StreamKey));
        }

        [Fact]
        public async Task A_partition_of_another_type_is_refused_while_the_others_are_stored()
        {
            var store = await BlockStoreAsync();
            var broken = store.Format.GetPartition("broken", MonarchLogLevel.Error);
            await Db.StringSetAsync(broken.HeadKey, "not a stream");
            var appender = store.Appender;
            var batch = new AppendBatch(new[] { Entry("broken", MonarchLogLevel.Error, DateTime.UtcNow), Entry("fine", MonarchLogLevel.Error, DateTime.UtcNow) });
            var result = await appender.AppendAsync(batch);
            Assert.Equal(1, result.Stored);
            var failure = Assert.Single(result.Failures);
            Assert.Equal(broken.StreamKey, failure.Partition.StreamKey);
            Assert.Equal("PartitionWrongType", failure.Error.ErrorId);
            Assert.False(batch.IsStored(0));
            Assert.True(batch.IsStored(1));
        }

        [Fact]
        public async Task A_batch_that_lets_go_of_its_entries_once_encoded_is_retried_and_given_up_by_its_blocks()
        {
            var store = await BlockStoreAsync();
            var broken = store.Format.GetPartition("broken", MonarchLogLevel.Error);
            var refused = store.Format.GetPartition("refused", MonarchLogLevel.Error);
            await Db.StringSetAsync(broken.HeadKey, "not a stream");
            await Db.StringSetAsync(refused.HeadKey, "not a stream");
            var now = DateTime.UtcNow;
            var entries = new List<MonarchLogEntry> { Entry("broken", MonarchLogLevel.Error, now, "b"), Entry("refused", MonarchLogLevel.Error, now, "r"), Entry("fine", MonarchLogLevel.Error, now, "f") };
            var batch = new AppendBatch(entries) { Encoded = entries.Clear };

            var result = await store.Appender.AppendAsync(batch);
            Assert.Empty(entries);
            Assert.Equal(1, result.Stored);
            Assert.Equal(new[] { broken.StreamKey, refused.StreamKey }, result.Failures.Select(f => f.Partition.StreamKey).OrderBy(k => k, StringComparer.Ordinal));

            // Given up and retried from the blocks alone: the entries are gone.
            Assert.Equal(1, batch.GiveUp(refused, store.Format));
            await Db.KeyDeleteAsync(broken.HeadKey);
            Assert.Equal(1, (await store.Appender.AppendAsync(batch)).Stored);
            Assert.Equal(new[] { true, false, true }, Enumerable.Range(0, 3).Select(batch.IsStored));
            Assert.Equal(0, batch.Unsettled);
            Assert.Equal(new[] { "b" }, Decode(broken, await BlocksAsync(broken, broken.HeadKey)).Select(e => e.Message));
        }

        [Fact]
        public async Task Large_batches_appended_back_to_back_are_encoded_aside_and_stored_in_the_order_they_came()
        {
            // A writer has two batches in flight; one of 2,048 entries or more is made into blocks
            // on the thread pool. The second, started before the first is encoded, waits for its
            // turn: its blocks come after the first's in the stream, numbered after them.
            var store = await BlockStoreAsync();
            var appender = new VersionedAppender(_valkey.Connection, store.Format);
            var now = DateTime.UtcNow;
            var first = new AppendBatch(Enumerable.Range(0, 3000).Select(i => Entry("s", MonarchLogLevel.Warning, now.AddTicks(i), "first " + i)).ToList());
            var second = new AppendBatch(Enumerable.Range(0, 2500).Select(i => Entry("s", MonarchLogLevel.Warning, now.AddTicks(3000 + i), "second " + i)).ToList());
            Assert.True(BlockPlanner.EncodesAside(first) && BlockPlanner.EncodesAside(second));

            var appends = new[] { appender.AppendAsync(first), appender.AppendAsync(second) };
            Assert.Equal(new[] { 3000, 2500 }, (await Task.WhenAll(appends)).Select(r => r.Stored));

            var partition = store.Format.GetPartition("s", MonarchLogLevel.Warning);
            var blocks = await BlocksAsync(partition, partition.StreamKey);
            Assert.Equal(new[] { 1024, 1024, 952, 1024, 1024, 452 }, blocks.Select(b => b.Header.Count));
            Assert.Equal(blocks.Select(b => b.Header.Sequence).OrderBy(q => q), blocks.Select(b => b.Header.Sequence));
            Assert.Equal(
                Enumerable.Range(0, 3000).Select(i => "first " + i).Concat(Enumerable.Range(0, 2500).Select(i => "second " + i)),
                Decode(partition, blocks).Select(e => e.Message));
        }

        [Fact]
        public async Task A_block_sent_again_after_a_lost_reply_is_stored_twice_with_the_same_writer_and_sequence()
        {
            var store = await BlockStoreAsync();
            var options = ConfigurationOptions.Parse(_valkey.Server.ConnectionString + ",abortConnect=false,asyncTimeout=60000,syncTimeout=60000");
            using var connection = await ConnectionMultiplexer.ConnectAsync(options);
            var appender = new VersionedAppender(connection, store.Format) { ReplyTimeout = TimeSpan.FromMilliseconds(500) };
            Assert.Equal(1, await appender.AppendBatchAsync(new[] { Entry("s", MonarchLogLevel.Error, DateTime.UtcNow, "before") }));

            var partition = store.Format.GetPartition("s", MonarchLogLevel.Error);
            var batch = new AppendBatch(new[] { Entry("s", MonarchLogLevel.Error, DateTime.UtcNow, "unanswered") });
            var admin = _valkey.Connection.GetServer(_valkey.Connection.GetEndPoints()[0]);
            // Paused well beyond the reply timeout, so that a test host slow to send (threads busy with
            // other tests) still sends while the server holds its replies.
            await admin.ExecuteAsync("CLIENT", "PAUSE", "5000", "ALL");
            var result = await appender.AppendAsync(batch);
            Assert.Equal("ValkeyTimeout", Assert.Single(result.Failures).Error.ErrorId);
            Assert.False(batch.IsStored(0));

            // The server ran it once the pause ended; the retry stores it again, as the same block.
            var clock = System.Diagnostics.Stopwatch.StartNew();
            while (await Db.StreamLengthAsync(partition.HeadKey) < 2 && clock.Elapsed < TimeSpan.FromSeconds(20)) await Task.Delay(50);
            Assert.Equal(1, (await appender.AppendAsync(batch)).Stored);
            var blocks = await BlocksAsync(partition, partition.HeadKey);
            Assert.Equal(3, blocks.Count);
            Assert.Equal((blocks[1].Header.WriterId, blocks[1].Header.Sequence), (blocks[2].Header.WriterId, blocks[2].Header.Sequence));
            Assert.NotEqual(blocks[0].Header.Sequence, blocks[1].Header.Sequence);
            Assert.Equal(new[] { "before", "unanswered", "unanswered" }, Decode(partition, blocks).Select(e => e.Message));
        }

        [Fact]
        public async Task A_running_writer_refuses_a_version_1_store_writes_at_its_next_attempt_once_it_is_upgraded_and_reads_the_format_again_after_a_reconnect()
        {
            // A store an older version wrote.
            var store = _valkey.NewStore().AsVersion1();
            Assert.Equal(1, await store.AppendAsync(new[] { Entry("s", MonarchLogLevel.Error, DateTime.UtcNow, "format 1") }));
            Assert.Equal("1", (string?)await Db.StringGetAsync(store.Format.FormatKey));
            using var connection = _valkey.Server.Connect();
            var appender = new VersionedAppender(connection, store.Format);
            var partition = store.Format.GetPartition("s", MonarchLogLevel.Error);
            var refused = await Assert.ThrowsAsync<MonarchLogsException>(() => appender.AppendBatchAsync(new[] { Entry("s", MonarchLogLevel.Error, DateTime.UtcNow, "refused") }));
            Assert.Equal("StoreNeedsUpgrade", refused.ErrorId);
            Assert.Equal($"The store '{store.Format.Prefix}' is storage format 1; this version writes format 2 only. Run Update-MonarchLogStore to upgrade it.", refused.Message);
            Assert.Equal(1, await Db.StreamLengthAsync(partition.StreamKey));
            Assert.False(await Db.KeyExistsAsync(partition.HeadKey));

            // Upgraded while the writer waits: a store it found at version 1 is read again at its next attempt.
            await Db.StringSetAsync(store.Format.FormatKey, StorageFormat.Version2);
            Assert.Equal(1, await appender.AppendBatchAsync(new[] { Entry("s", MonarchLogLevel.Error, DateTime.UtcNow, "after the upgrade") }));
            Assert.Equal(new[] { "after the upgrade" }, Decode(partition, await BlocksAsync(partition, partition.HeadKey)).Select(e => e.Message));
            Assert.Equal(1, await Db.StreamLengthAsync(partition.StreamKey));

            // Marked 1 again (a server restored from an older backup) and a reconnect: the next append reads it at once.
            await Db.StringSetAsync(store.Format.FormatKey, "1");
            var restored = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            connection.ConnectionRestored += (_, e) => restored.TrySetResult(true);
            var id = (long)await connection.GetServer(connection.GetEndPoints()[0]).ExecuteAsync("CLIENT", "ID");
            await _valkey.Connection.GetServer(_valkey.Connection.GetEndPoints()[0]).ExecuteAsync("CLIENT", "KILL", "ID", id);
            Assert.Same(restored.Task, await Task.WhenAny(restored.Task, Task.Delay(TimeSpan.FromSeconds(20))));
            var again = await Assert.ThrowsAsync<MonarchLogsException>(() => appender.AppendBatchAsync(new[] { Entry("s", MonarchLogLevel.Error, DateTime.UtcNow, "refused again") }));
            Assert.Equal("StoreNeedsUpgrade", again.ErrorId);
            Assert.Equal(1, await Db.StreamLengthAsync(partition.HeadKey));
        }

        /// <summary>A store of version 2 (as a writer, or an upgrade, leaves it).</summary>
        internal static async Task<LogStore> BlockStoreAsync(ValkeyFixture valkey)
        {
            var store = valkey.NewStore();
            await valkey.Connection.GetDatabase().StringSetAsync(store.Format.FormatKey, StorageFormat.Version2);
            return store;
        }

        private Task<LogStore> BlockStoreAsync() => BlockStoreAsync(_valkey);

        private Task<List<StoredBlock>> BlocksAsync(Partition partition, string key) => ReadBlocksAsync(Db, partition, key);

        internal static async Task<List<StoredBlock>> ReadBlocksAsync(IDatabase db, Partition partition, string key) =>
            (await db.StreamRangeAsync(key)).Select(entry => StoredBlock.Read(partition, entry)).ToList();

        internal static List<MonarchLogEntry> Decode(Partition partition, IEnumerable<StoredBlock> blocks)
        {
            using var decoder = new BlockDecoder();
            return blocks.SelectMany(block => block.Decode(partition, decoder)).ToList();
        }

        private async Task<(long Eval, long Evalsha)> CommandCallsAsync()
        {
            var stats = (string?)await _valkey.Connection.GetServer(_valkey.Connection.GetEndPoints()[0]).ExecuteAsync("INFO", "commandstats") ?? string.Empty;
            long Calls(string command) => stats.Split('\n').Where(line => line.StartsWith("cmdstat_" + command + ":", StringComparison.Ordinal))
                .Select(line => long.Parse(line.Split(',')[0].Split('=')[1])).SingleOrDefault();
            return (Calls("eval"), Calls("evalsha"));
        }

        private async Task<(long, long)[]> CountsAsync(string key) =>
            (await Db.HashGetAllAsync(key)).Select(e => ((long)e.Name, (long)e.Value)).OrderBy(p => p.Item1).ToArray();
    }
}
