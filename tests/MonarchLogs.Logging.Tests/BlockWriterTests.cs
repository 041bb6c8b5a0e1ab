using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.Extensions.Logging;
using MonarchLogs.Core;
using MonarchLogs.Core.Format;
using MonarchLogs.Core.Format.Blocks;
using MonarchLogs.Logging.Writing;
using StackExchange.Redis;

namespace MonarchLogs.Logging.Tests
{
    /// <summary>
    /// The provider writing into a store of format 2, read back raw (XRANGE of the streams and
    /// heads, each block decoded, a second copy of a (w, seq) dropped as readers do): every
    /// entry once, each thread's order by position, exact counts through an outage, and a
    /// partition of another type set aside while the others go on.
    /// </summary>
    public sealed class BlockWriterTests
    {
        [Fact]
        public async Task Every_entry_is_stored_once_in_blocks_in_each_threads_order_and_counted_through_an_outage()
        {
            await using var harness = await StartOnBlockStoreAsync(o => o.RetryTimeLimit = TimeSpan.FromMinutes(2));
            var logger = harness.Loggers.CreateLogger("Blocks");
            const int threads = 4, each = 600;
            void LogRound(int round) => Parallel.For(0, threads, t =>
            {
                for (var i = 0; i < each; i++) logger.LogInformation("thread {Thread} round {Round} entry {Index}", t, round, i);
            });

            LogRound(0);
            await WaitForStoredAsync(harness, threads * each);

            // An outage: the server stops (saving what it holds) and comes back; the writer waits and sends again.
            await harness.Server.StopAsync();
            LogRound(1);
            await Task.Delay(500);
            await harness.Server.StartAgainAsync();
            var stored = await WaitForStoredAsync(harness, 2 * threads * each);

            Assert.Equal(2 * threads * each, harness.Provider.EntriesWritten);
            Assert.Equal(0, harness.Provider.EntriesDropped);
            var mine = stored.Where(e => e.Entry.Category == "Blocks").ToList();
            Assert.Equal(2 * threads * each, mine.Count);
            Assert.Equal(mine.Count, mine.Select(e => e.Entry.Message).Distinct().Count());

            // Each thread's entries stand in the order it logged them (by position: event time to the tick).
            foreach (var thread in mine.GroupBy(e => e.Entry.Message.Split(' ')[1]))
            {
                var byPosition = thread.OrderBy(e => e.Position).ThenBy(e => e.Ordinal).Select(e => e.Entry.Message).ToList();
                var logged = thread.OrderBy(e => int.Parse(e.Entry.Message.Split(' ')[3])).ThenBy(e => int.Parse(e.Entry.Message.Split(' ')[5])).Select(e => e.Entry.Message).ToList();
                Assert.Equal(logged, byPosition);
            }

            // The counts add up to what was stored.
            using var admin = harness.Server.Connect();
            var partition = new StorageFormat(harness.Prefix).GetPartition("tests", MonarchLogLevel.Information);
            Assert.Equal(mine.Count, (await admin.GetDatabase().HashGetAllAsync(partition.CountsKey)).Sum(e => (long)e.Value));
        }

        [Fact]
        public async Task A_partition_whose_head_is_of_another_type_is_set_aside_and_the_others_are_stored()
        {
            await using var harness = await StartOnBlockStoreAsync();
            using var admin = harness.Server.Connect();
            var error = new StorageFormat(harness.Prefix).GetPartition("tests", MonarchLogLevel.Error);
            await admin.GetDatabase().StringSetAsync(error.HeadKey, "not a stream");
            var logger = harness.Loggers.CreateLogger("Refused");
            for (var i = 0; i < 50; i++)
            {
                logger.LogError("error {Index}", i);
                logger.LogInformation("information {Index}", i);
            }

            var clock = Stopwatch.StartNew();
            while (harness.Dropped(DropReason.PartitionRefused) < 50 && clock.Elapsed < TimeSpan.FromSeconds(20)) await Task.Delay(20);
            Assert.Equal(50, harness.Dropped(DropReason.PartitionRefused));
            var stored = await WaitForStoredAsync(harness, 50);
            Assert.Equal(Enumerable.Range(0, 50).Select(i => "information " + i), stored.Where(e => e.Entry.Category == "Refused").Select(e => e.Entry.Message).OrderBy(m => int.Parse(m.Split(' ')[1])));
            Assert.Equal("not a stream", (string?)await admin.GetDatabase().StringGetAsync(error.HeadKey));
        }

        [Fact]
        public async Task A_head_compaction_that_fails_is_reported_and_the_writer_goes_on()
        {
            await using var harness = await StartOnBlockStoreAsync(o =>
            {
                o.MaxBatchSize = 200;
                o.BacklogBatchSize = 0;
            });
            using var events = new TransportTests.WriterEvents(harness.Provider.Writer.Service);
            using var admin = harness.Server.Connect();
            var partition = new StorageFormat(harness.Prefix).GetPartition("tests", MonarchLogLevel.Information);
            await admin.GetDatabase().StringSetAsync(partition.LateKey, "not a set");
            var logger = harness.Loggers.CreateLogger("Compaction");
            var logged = 0;

            // Small batches fill the head past a block's worth: the writer compacts it, and the late set refuses.
            var clock = Stopwatch.StartNew();
            while (!events.All.Any(e => e.Name == "HeadCompactionFailed") && clock.Elapsed < TimeSpan.FromSeconds(30))
            {
                for (var i = 0; i < 100; i++) logger.LogInformation("entry {Index}", logged++);
                await harness.WaitUntilWriterIdleAsync();
                await Task.Delay(100);
            }

            var failed = events.All.First(e => e.Name == "HeadCompactionFailed");
            Assert.Equal(partition.StreamKey + " | PartitionWrongType", string.Join(" | ", failed.Text.Split(" | ").Take(2)));
            for (var i = 0; i < 10; i++) logger.LogInformation("entry {Index}", logged++);
            await WaitForStoredAsync(harness, logged);
            await harness.WaitUntilWriterIdleAsync();
            Assert.Equal(logged, harness.Provider.EntriesWritten);
            Assert.Equal(0, harness.Provider.EntriesDropped);
            Assert.Equal(0, await admin.GetDatabase().StreamLengthAsync(partition.StreamKey));
        }

        /// <summary>The provider over a store marked version 2 before it writes anything.</summary>
        private static async Task<ProviderHarness> StartOnBlockStoreAsync(Action<MonarchValkeyLoggerOptions>? configure = null)
        {
            var harness = await ProviderHarness.StartAsync(configure);
            using (var admin = harness.Server.Connect()) await admin.GetDatabase().StringSetAsync(harness.Prefix + ":format", "2");
            return harness;
        }

        /// <summary>Reads every block of every registered partition (stream and head) until <paramref name="count"/> entries are there, or 30 s passed.</summary>
        private static async Task<List<StoredEntry>> WaitForStoredAsync(ProviderHarness harness, int count)
        {
            var clock = Stopwatch.StartNew();
            while (true)
            {
                var stored = await ReadAsync(harness);
                if (stored.Count(e => e.Entry.Category != "MonarchLogs.Logging") >= count || clock.Elapsed > TimeSpan.FromSeconds(30)) return stored;
                await Task.Delay(100);
            }
        }

        private static async Task<List<StoredEntry>> ReadAsync(ProviderHarness harness)
        {
            using var connection = harness.Server.Connect();
            var db = connection.GetDatabase();
            var format = new StorageFormat(harness.Prefix);
            var result = new List<StoredEntry>();
            using var decoder = new BlockDecoder();
            foreach (var registered in await db.HashGetAllAsync(format.PartitionsKey))
            {
                var partition = format.ParseRegistryEntry(registered, out _)!;
                var seen = new HashSet<(string, long)>();
                foreach (var key in new[] { partition.StreamKey, partition.HeadKey })
                {
                    if (await db.KeyTypeAsync(key) != RedisType.Stream) continue;
                    foreach (var raw in await db.StreamRangeAsync(key))
                    {
                        var block = StoredBlock.Read(partition, raw);
                        if (block.HasWriter && !seen.Add((block.Header.WriterId, block.Header.Sequence))) continue;
                        foreach (var entry in block.Decode(partition, decoder))
                        {
                            var position = LogEntryId.Parse(entry.Id!).Position;
                            result.Add(new StoredEntry(entry, position.Milliseconds, position.Sequence));
                        }
                    }
                }
            }

            return result;
        }

        private sealed record StoredEntry(MonarchLogEntry Entry, long Position, long Ordinal);
    }
}
