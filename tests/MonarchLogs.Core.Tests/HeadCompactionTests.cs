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
        public async Task Head_blocks_are_joined_as_their_lines_are_and_a_field_no_reader_knows_stays()
        {
            var store = await BlockStoreAsync(_valkey);
            var partition = store.Format.GetPartition("s", MonarchLogLevel.Error);
            var now = DateTime.UtcNow;
            using var encoder = new BlockEncoder(falsePositiveRate: 0);
            var written = new[]
            {
                new MonarchLogEntry
                {
                    Service = "s", Level = MonarchLogLevel.Error, Timestamp = now, Category = "Monarch.Orders", Message = "Order 42 \"shipped\" to Zoë 🦋",
                    EventId = 1003, EventName = "OrderShipped", ExceptionType = "System.TimeoutException", TraceId = "4bf92f3577b34da6a3ce929d0e0e4736",
                    SpanId = "00f067aa0ba902b7", Host = "web-1", Properties = "{\"OrderId\":4711,\"Customer\":{\"Id\":\"acme\"},\"Tags\":[\"a\",true],\"Ok\":\"True\"}",
                },
                Entry("s", MonarchLogLevel.Error, now.AddTicks(1), "second"),
            };
            var fromWriter = encoder.Encode(written, "writer-a", 1);
            // A newer writer's line, with a field this version does not know, and no newline at the end.
            var ts = now.AddTicks(2).ToString("O", System.Globalization.CultureInfo.InvariantCulture);
            var byHand = new EncodedBlock(
                new BlockHeader { Count = 1, FirstTicks = BlockHeader.ToUnixTicks(now.AddTicks(2)), LastTicks = BlockHeader.ToUnixTicks(now.AddTicks(2)), Codec = BlockCodec.JsonLines },
                System.Text.Encoding.UTF8.GetBytes("{\"ts\":\"" + ts + "\",\"message\":\"third\",\"traceId\":\"ABC\",\"future\":{\"x\":1}}"));
            foreach (var block in new[] { fromWriter, byHand })
            {
                await Db.ScriptEvaluateAsync(BlockScripts.Append, BlockScripts.AppendKeys(partition, toHead: true), BlockScripts.AppendArguments(block, toHead: true, count: true));
            }

            Assert.Equal(1, await store.CompactHeadAsync(partition));
            var compacted = Assert.Single(await ReadBlocksAsync(Db, partition, partition.StreamKey));
            using var zstd = new ZstdCompression();
            var lines = System.Text.Encoding.UTF8.GetString(zstd.Decompress(compacted.Encoded!.Payload.Span).ToArray());
            using var decoder = new BlockDecoder();
            var fromWriterLines = System.Text.Encoding.UTF8.GetString(zstd.Decompress(fromWriter.Payload.Span).ToArray());
            Assert.Equal(fromWriterLines + System.Text.Encoding.UTF8.GetString(byHand.Payload.ToArray()) + "\n", lines);

            var entries = Decode(partition, new[] { compacted });
            Assert.Equal(new[] { written[0].Message, "second", "third" }, entries.Select(e => e.Message));
            Assert.Equal(written[0].Properties, entries[0].Properties);
            var header = compacted.Header;
            Assert.Equal(3, header.Count);
            Assert.Equal(BlockHeader.ToUnixTicks(now), header.FirstTicks);
            Assert.Equal(BlockHeader.ToUnixTicks(now.AddTicks(2)), header.LastTicks);
            Assert.Equal(3, header.MinuteCounts.Sum(m => m.Count));
            foreach (var token in new[]
            {
                BlockTokens.Trace("4BF92F3577B34DA6A3CE929D0E0E4736"), BlockTokens.Trace("abc"), BlockTokens.Span("00f067aa0ba902b7"),
                BlockTokens.EventId(1003), BlockTokens.EventId(0), BlockTokens.EventName("ordershipped"), BlockTokens.Category("monarch.orders"),
                BlockTokens.Category("cat"), BlockTokens.ExceptionType("system.timeoutexception"), BlockTokens.Property("OrderId", "4711"),
                BlockTokens.Property("customer.id", "ACME"), BlockTokens.Property("Tags", "A"), BlockTokens.Property("Tags", "TRUE"), BlockTokens.Property("Ok", "TRUE"),
            })
            {
                Assert.True(BlockDecoder.MayHold(header, token), token);
            }
        }

        [Fact]
        public async Task Head_blocks_in_forms_a_writer_does_not_write_are_decoded_and_encoded_again()
        {
            var store = await BlockStoreAsync(_valkey);
            var partition = store.Format.GetPartition("s", MonarchLogLevel.Error);
            var now = DateTime.UtcNow;
            var time = new DateTime(now.Ticks - now.Ticks % TimeSpan.TicksPerSecond, DateTimeKind.Utc);
            // Another form of the time, an event id as a string, properties as text of an object.
            var byHand = new EncodedBlock(
                new BlockHeader { Count = 2, FirstTicks = BlockHeader.ToUnixTicks(time), LastTicks = BlockHeader.ToUnixTicks(time), Codec = BlockCodec.JsonLines },
                System.Text.Encoding.UTF8.GetBytes(
                    "{\"ts\":\"" + time.ToString("yyyy-MM-dd'T'HH:mm:ss'+00:00'", System.Globalization.CultureInfo.InvariantCulture) + "\",\"message\":\"first\",\"eventId\":\"12\"}\n\n" +
                    "{\"ts\":\"" + time.ToString("O", System.Globalization.CultureInfo.InvariantCulture) + "\",\"message\":\"second\",\"props\":\"{\\\"A\\\": 1}\"}\n"));
            await Db.ScriptEvaluateAsync(BlockScripts.Append, BlockScripts.AppendKeys(partition, toHead: true), BlockScripts.AppendArguments(byHand, toHead: true, count: true));

            Assert.Equal(1, await store.CompactHeadAsync(partition));
            var compacted = Assert.Single(await ReadBlocksAsync(Db, partition, partition.StreamKey));
            var entries = Decode(partition, new[] { compacted });
            Assert.Equal(new[] { "first", "second" }, entries.Select(e => e.Message));
            Assert.Equal(12, entries[0].EventId);
            Assert.True(BlockDecoder.MayHold(compacted.Header, BlockTokens.EventId(12)));
            Assert.True(BlockDecoder.MayHold(compacted.Header, BlockTokens.Property("A", "1")));
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
