using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading.Tasks;
using MonarchLogs.Core;
using MonarchLogs.Core.Query;
using MonarchLogs.Core.Format;
using MonarchLogs.Core.Storage;
using MonarchLogs.Testing;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace MonarchLogs.Logging.Tests
{
    /// <summary>
    /// Faults against real processes: test producers (tests/MonarchLogs.TestProducer) log
    /// <c>&lt;producer&gt;:&lt;thread&gt;:&lt;seq&gt;</c> through the provider while the test kills,
    /// stops, freezes or corrupts a valkey-server of its own; then the store is read back and
    /// compared with what each producer says it logged, wrote and dropped, entry by entry.
    /// </summary>
    [Collection(ServerGroups.Name)]
    public sealed class ScenarioTests
    {
        /// <summary>Most entries per batch where duplicates are bounded by the batches in flight.</summary>
        private const int BatchSize = 256;
        private static readonly string Batch = BatchSize.ToString(CultureInfo.InvariantCulture);
        private static readonly TimeSpan ProducerTimeout = TimeSpan.FromSeconds(120);
        private readonly ITestOutputHelper _output;

        public ScenarioTests(ITestOutputHelper output) => _output = output;

        [Fact]
        public async Task Scenario_crash_with_AOF_keeps_every_acknowledged_entry()
        {
            await using var server = await ValkeyServer.StartAsync("--appendonly", "yes", "--appendfsync", "always");
            var prefix = NewPrefix();
            var stream = PartitionOf(prefix, "crash", MonarchLogLevel.Information);
            using var producer = ProducerProcess.Start(Arguments(server.ConnectionString, prefix, "crash", "p1", entries: 20_000, threads: 4, rate: 5000, "--batch", Batch));
            await producer.WaitForEventAsync("logging", ProducerTimeout);
            using (var watcher = server.Connect()) await WaitForEntriesAsync(watcher.GetDatabase(), stream, 4000);

            var midIngest = !producer.HasSaid("logged");
            server.Kill();
            await Task.Delay(1000);
            await server.StartAgainAsync();
            var result = await producer.WaitForResultAsync(ProducerTimeout);

            using var reader = server.Connect();
            var stored = await StoredEntries.ReadAsync(reader, prefix);
            var notices = stored.Notices.Count(n => n.Service == "crash");
            var written = result.Written - notices;
            Report("crash with AOF", result, stored, stored.Of("p1"));

            Assert.True(midIngest, "the server was killed after the producer had finished logging: " + result);
            Assert.True(result.WriteFailures > 0, "the kill did not hit a write: " + result);
            Assert.Equal(result.Logged, written + result.Dropped);
            Assert.Equal(0, result.Dropped);
            Assert.Equal(0, result.Buffered);

            // Every acknowledged entry is there; an entry whose reply the kill cut off may be there
            // twice (the documented case), at most the two batches that were in flight.
            Assert.True(written == stored.Distinct("p1"), $"written {written}, stored {stored.Distinct("p1")} distinct; {result}");
            AssertDuplicatesOnlyFromLostReplies(stored, "p1");
            Assert.Empty(stored.OrderViolations());
        }

        [Fact]
        public Task Scenario_outage_of_2_s_loses_nothing_and_keeps_order_and_event_times() => OutageAsync(TimeSpan.FromSeconds(2), rate: 1000);

        [Fact]
        public Task Scenario_outage_of_30_s_loses_nothing_and_keeps_order_and_event_times() => OutageAsync(TimeSpan.FromSeconds(30), rate: 500);

        private async Task OutageAsync(TimeSpan outage, int rate)
        {
            await using var server = await ValkeyServer.StartAsync();
            var prefix = NewPrefix();
            var stream = PartitionOf(prefix, "outage", MonarchLogLevel.Information);
            var entries = (int)(rate * (outage.TotalSeconds + 5));
            using var producer = ProducerProcess.Start(Arguments(server.ConnectionString, prefix, "outage", "p1", entries, threads: 4, rate, "--batch", Batch));
            await producer.WaitForEventAsync("logging", ProducerTimeout);
            using (var watcher = server.Connect()) await WaitForEntriesAsync(watcher.GetDatabase(), stream, rate);

            var down = DateTime.UtcNow;
            await server.StopAsync(save: true);
            await Task.Delay(outage);
            await server.StartAgainAsync();
            var up = DateTime.UtcNow;
            var midIngest = !producer.HasSaid("logged");
            var result = await producer.WaitForResultAsync(ProducerTimeout + outage);

            using var reader = server.Connect();
            var stored = await StoredEntries.ReadAsync(reader, prefix);
            var during = stored.Of("p1").Where(e => e.Entry.Timestamp >= down && e.Entry.Timestamp < up).ToList();
            Report($"outage of {outage.TotalSeconds:0} s ({during.Count} entries logged while down)", result, stored, during);

            Assert.True(midIngest, "the producer had finished logging before the server was back: " + result);
            Assert.True(result.WriteFailures > 0, "the outage did not hit a write: " + result);
            Assert.Equal(0, result.Dropped);
            Assert.Empty(stored.Notices);
            Assert.Equal(result.Logged, result.Written);
            Assert.Equal(result.Logged, stored.Distinct("p1"));

            // A batch the server applied just before it shut down, whose reply never left, is
            // stored again when it is retried: the documented duplicate case, at most the two
            // batches in flight. Anything more would be a batch sent again after its reply.
            AssertDuplicatesOnlyFromLostReplies(stored, "p1");
            Assert.Empty(stored.OrderViolations());

            // Entries logged while the server was down keep their event time as their ID, not the
            // time they were written: at most raised a little to keep one process's queue order.
            AssertIdsAtEventTimes(during);
        }

        [Fact]
        public async Task Scenario_a_reply_lost_at_shutdown_costs_a_duplicate_but_no_event_time()
        {
            await using var server = await ValkeyServer.StartAsync();
            var prefix = NewPrefix();
            using var producer = ProducerProcess.Start(Arguments(server.ConnectionString, prefix, "lost", "p1", entries: 3000, threads: 1, rate: 500, "--wait", "--batch", Batch, "--batch-delay-ms", "50"));
            await producer.WaitForEventAsync("ready", ProducerTimeout);

            // The server applies a batch and shuts down before its reply leaves: the batch and a
            // SHUTDOWN reach the frozen server one after the other, and it takes both in one turn.
            // The batch delay makes that batch span several milliseconds of event times.
            using var admin = new TcpClient();
            await admin.ConnectAsync(IPAddress.Loopback, server.Port);
            server.Pause();
            producer.Go();
            await Task.Delay(500);
            await admin.GetStream().WriteAsync(Encoding.ASCII.GetBytes("SHUTDOWN SAVE\r\n"));
            var down = DateTime.UtcNow;
            server.Resume();
            await server.WaitForExitAsync(TimeSpan.FromSeconds(30));
            await Task.Delay(3000);
            await server.StartAgainAsync();
            var up = DateTime.UtcNow;
            var result = await producer.WaitForResultAsync(ProducerTimeout);

            using var reader = server.Connect();
            var stored = await StoredEntries.ReadAsync(reader, prefix);
            var during = stored.Of("p1").Where(e => e.Entry.Timestamp >= down && e.Entry.Timestamp < up).ToList();
            Report($"reply lost at shutdown ({during.Count} entries logged while down)", result, stored, during);

            // The batch whose reply was lost is stored twice. Format 1 reads it twice; format 2
            // stores it as blocks with the same writer and sequence, and readers drop the copy.
            var partition = PartitionOf(prefix, "lost", MonarchLogLevel.Information);
            var read = 0;
            await foreach (var _ in new LogStore(reader, new StorageFormat(prefix)).QueryAsync(new LogQuery { Services = new[] { partition.Service }, Levels = new[] { partition.Level } })) read++;
            var held = await EntriesAsync(reader.GetDatabase(), partition);
            Assert.True(stored.Duplicates("p1") > 0 || held > read, $"no reply was lost, so the scenario did not happen ({held} entries held, {read} read): " + result);
            Assert.Equal(0, result.Dropped);
            Assert.Equal(result.Logged, result.Written);
            Assert.Equal(result.Logged, stored.Distinct("p1"));
            AssertDuplicatesOnlyFromLostReplies(stored, "p1");
            Assert.Empty(stored.OrderViolations());

            // The copy of the batch whose reply was lost goes in right after the stream's top (its
            // event time is older), and the entries logged while the server was down still go in
            // at their own event times (storage-format.md: "Entry IDs are event times").
            AssertIdsAtEventTimes(during);
        }

        [Fact]
        public async Task Scenario_shutdown_with_a_full_buffer_counts_every_entry_not_stored_by_reason()
        {
            const int capacity = 1000, logged = 3000;
            await using var server = await ValkeyServer.StartAsync();
            var prefix = NewPrefix();
            var stream = PartitionOf(prefix, "shutdown", MonarchLogLevel.Information);

            // A long command timeout: at shutdown the batches sent to the frozen server are still
            // waiting for their replies, not failed and set to be sent again.
            using var producer = ProducerProcess.Start(Arguments(server.ConnectionString + ",asyncTimeout=60000", prefix, "shutdown", "p1", logged, threads: 1, rate: 0,
                "--wait", "--buffer", capacity.ToString(CultureInfo.InvariantCulture), "--batch", "200", "--flush-timeout-ms", "1000"));
            await producer.WaitForEventAsync("ready", ProducerTimeout);
            ProducerResult result;
            server.Pause();
            try
            {
                producer.Go();
                result = await producer.WaitForResultAsync(ProducerTimeout);
            }
            finally
            {
                server.Resume();
            }

            // The server now works through what reached its socket before the producer closed it.
            using var reader = server.Connect();
            var streamLength = await WaitForStableEntriesAsync(reader.GetDatabase(), stream);
            var stored = await StoredEntries.ReadAsync(reader, prefix);
            var written = result.Written - stored.Notices.Count;
            var unconfirmed = result.DroppedFor("UnconfirmedAtShutdown");
            var notSent = result.DroppedFor("NotSentAtShutdown");
            var landed = stored.Distinct("p1") - written;
            Report($"shutdown with a full buffer ({landed} of {unconfirmed} unconfirmed landed; entries in the partition {streamLength})", result, stored, stored.Of("p1"));

            Assert.Equal(1 + logged, result.Logged);
            Assert.Equal(1, written);
            Assert.Equal(result.Logged, written + result.Dropped);
            Assert.Equal(0, result.Buffered);
            Assert.Equal(logged - capacity, result.DroppedFor("BufferFull"));
            Assert.Equal(capacity, notSent + unconfirmed);
            Assert.True(unconfirmed > 0, "nothing was counted as sent but unconfirmed: " + result);
            Assert.True(notSent > 0, "nothing was counted as not sent: " + result);
            Assert.Equal(result.Dropped, result.DroppedFor("BufferFull") + notSent + unconfirmed);

            // What the writer did not count as written may still be stored, but only what it sent.
            Assert.InRange(stored.Distinct("p1"), written, written + unconfirmed);
            Assert.Equal(0, stored.Duplicates("p1"));
            Assert.Empty(stored.OrderViolations());
        }

        [Fact]
        public async Task Scenario_a_program_that_returns_without_disposing_its_host_still_stores_what_it_logged()
        {
            await using var server = await ValkeyServer.StartAsync();
            var prefix = NewPrefix();

            // The server answers nothing until the program has returned from Main: its writer cannot
            // have connected before, as in a program that logs at start-up and ends before the first
            // connect completes. Without the flush at process exit the entry is lost, uncounted.
            server.Pause();
            ProducerResult result;
            using (var producer = ProducerProcess.Start(ExitArguments(server.ConnectionString, prefix, "exiting", processExitFlushMs: 30_000)))
            {
                try
                {
                    await producer.WaitForEventAsync("returning", ProducerTimeout);
                }
                finally
                {
                    server.Resume();
                }

                result = await producer.WaitForResultAsync(ProducerTimeout);
            }

            using var reader = server.Connect();
            var stored = await StoredEntries.ReadAsync(reader, prefix);
            Report("a program that returns without disposing its host", result, stored, stored.Of("p1"));
            Assert.Equal(1, result.Logged);
            Assert.Equal(1, result.Written);
            Assert.Equal(0, result.Dropped);
            Assert.Equal(1, stored.Distinct("p1"));
            Assert.Empty(stored.Notices);
        }

        [Theory]
        [InlineData("stopped")]
        [InlineData("frozen")]
        public async Task Scenario_a_program_that_returns_without_disposing_its_host_while_Valkey_is_down_exits_within_the_bound_and_counts_the_entry(string down)
        {
            await using var server = await ValkeyServer.StartAsync();
            if (down == "stopped") await server.StopAsync(save: false);
            else server.Pause();
            const int flushMs = 2000;
            ProducerResult result;
            TimeSpan exit;
            try
            {
                using var producer = ProducerProcess.Start(ExitArguments(server.ConnectionString, NewPrefix(), "exiting", flushMs));
                var returning = await producer.WaitForEventAsync("returning", ProducerTimeout);
                result = await producer.WaitForResultAsync(ProducerTimeout);

                // From the moment Main returned, by the producer's clock, to the moment the exit was seen here: never less than it took.
                exit = DateTimeOffset.UtcNow - DateTimeOffset.FromUnixTimeMilliseconds(returning.GetProperty("atUnixMs").GetInt64());
            }
            finally
            {
                if (down == "frozen") server.Resume();
            }

            _output.WriteLine($"Valkey {down}: the process exited {exit.TotalMilliseconds:0} ms after Main returned; result {result.Json}");

            // The flush timeout, the half second the writer gets to stop, and slack for a busy machine.
            Assert.InRange(exit, TimeSpan.Zero, TimeSpan.FromMilliseconds(flushMs + 500 + 2500));
            Assert.Equal(0, result.Written);
            Assert.Equal(1, result.Dropped);
            Assert.Equal(1, result.DroppedFor("NotSentAtProcessExit"));
            Assert.Equal(0, result.Buffered);
            Assert.Equal(1, result.MeteredDroppedBy.GetValueOrDefault("NotSentAtProcessExit"));
            Assert.Equal(1, result.ProcessExitFlushTimeouts);
        }

        [Fact]
        public async Task Scenario_four_producers_share_one_partition_while_two_retention_runs_overlap()
        {
            const int producers = 4, each = 3000, oldShared = 3000, oldOther = 500;
            await using var server = await ValkeyServer.StartAsync();
            var prefix = NewPrefix();
            using var admin = server.Connect();
            var store = new LogStore(admin, new StorageFormat(prefix));
            var stream = PartitionOf(prefix, "shared", MonarchLogLevel.Information);
            var now = DateTime.UtcNow;
            await store.AppendAsync(Seed("shared", MonarchLogLevel.Information, now.AddDays(-40), oldShared));
            await store.AppendAsync(Seed("legacy", MonarchLogLevel.Warning, now.AddDays(-35), oldOther));
            var cutoff = now.AddDays(-30);

            var running = Enumerable.Range(1, producers)
                .Select(p => ProducerProcess.Start(Arguments(server.ConnectionString, prefix, "shared", "p" + p, each, threads: 2, rate: 1000)))
                .ToList();
            try
            {
                foreach (var producer in running) await producer.WaitForEventAsync("logging", ProducerTimeout);
                await WaitForEntriesAsync(admin.GetDatabase(), stream, oldShared + 1000);
                var producing = Task.WhenAll(running.Select(p => p.WaitForResultAsync(ProducerTimeout)));
                var whileWriting = !running.All(p => p.HasSaid("logged"));
                var runs = await Task.WhenAll(RetentionRunAsync(store, cutoff, producing), RetentionRunAsync(store, cutoff, producing));
                var results = await producing;

                var stored = await StoredEntries.ReadAsync(admin, prefix);
                var removed = runs.Sum(r => r.Removed);
                _output.WriteLine($"retention runs: {string.Join("; ", runs.Select(r => $"{r.Passes} passes, {r.Removed} removed"))}");
                foreach (var result in results) Report($"shared partition, {result.Producer}", result, stored, stored.Of(result.Producer));

                Assert.True(whileWriting, "the producers had finished logging before retention ran");
                Assert.Equal(oldShared + oldOther, removed);
                Assert.DoesNotContain(stored.All, e => e.Category == "Seed");
                Assert.Empty(stored.Notices);
                foreach (var result in results)
                {
                    Assert.Equal(0, result.Dropped);
                    Assert.Equal(each, result.Logged);
                    Assert.Equal(result.Logged, result.Written);
                    Assert.True(stored.Rows(result.Producer) == each, $"{result.Producer}: stored {stored.Rows(result.Producer)} ({stored.Duplicates(result.Producer)} duplicates), logged {each}");
                    Assert.Equal(each, stored.Distinct(result.Producer));
                }

                Assert.Equal(producers * each, stored.Produced.Count);
                Assert.All(stored.Produced, e => Assert.Equal("shared/information", e.Partition));
                Assert.Empty(stored.OrderViolations());
            }
            finally
            {
                foreach (var producer in running) producer.Dispose();
            }
        }

        [Fact]
        public async Task Scenario_a_poisoned_partition_costs_its_own_entries_only_counted_and_reported()
        {
            const int each = 6000;
            await using var server = await ValkeyServer.StartAsync();
            var prefix = NewPrefix();
            using var admin = server.Connect();
            var poisoned = PartitionOf(prefix, "alpha", MonarchLogLevel.Error);
            using var alpha = ProducerProcess.Start(Arguments(server.ConnectionString, prefix, "alpha", "alpha", each, threads: 2, rate: 1500, "--error-every", "5"));
            using var beta = ProducerProcess.Start(Arguments(server.ConnectionString, prefix, "beta", "beta", each, threads: 2, rate: 1500, "--error-every", "5"));
            await alpha.WaitForEventAsync("logging", ProducerTimeout);
            await beta.WaitForEventAsync("logging", ProducerTimeout);
            await WaitForEntriesAsync(admin.GetDatabase(), poisoned, 100);

            // The partition's keys become strings in one step; what they held is gone with them, and counted.
            var destroyed = await EntriesAsync(admin.GetDatabase(), poisoned, poison: true);
            var midRun = !alpha.HasSaid("logged");

            var alphaResult = await alpha.WaitForResultAsync(ProducerTimeout);
            var betaResult = await beta.WaitForResultAsync(ProducerTimeout);

            // The poisoned key is no stream to read: read every partition but that one.
            var stored = await StoredEntries.ReadAsync(admin, prefix,
                new LogQuery { Services = new[] { "beta" } },
                new LogQuery { Services = new[] { "alpha" }, Levels = new[] { MonarchLogLevel.Information, MonarchLogLevel.Warning } });
            var refused = alphaResult.DroppedFor("PartitionRefused");
            var alphaNotices = stored.Notices.Where(n => n.Service == "alpha").ToList();
            var alphaInformation = stored.Of("alpha").Count(e => e.Entry.Level == MonarchLogLevel.Information);
            _output.WriteLine($"poisoned {poisoned.StreamKey} holding {destroyed} entries; {alphaNotices.Count} notices: {string.Join(" | ", alphaNotices.Select(n => n.Message))}");
            Report("poisoned partition, alpha", alphaResult, stored, stored.Of("alpha"));
            Report("poisoned partition, beta", betaResult, stored, stored.Of("beta"));

            Assert.True(midRun, "alpha had finished logging before its partition was poisoned: " + alphaResult);

            // Other partitions lose nothing: beta's, and alpha's informations.
            Assert.Equal(0, betaResult.Dropped);
            Assert.Equal(betaResult.Logged, betaResult.Written);
            Assert.Equal(betaResult.Logged, stored.Rows("beta"));
            Assert.Equal(betaResult.Logged, stored.Distinct("beta"));
            Assert.Equal(alphaResult.Logged - alphaResult.LoggedErrors, alphaInformation);
            Assert.Equal(alphaInformation, stored.Distinct("alpha"));

            // Alpha's errors: stored before the poison (and destroyed by it), or refused by their partition.
            Assert.True(refused > 0, "no entry was refused by the poisoned partition: " + alphaResult);
            Assert.Equal(refused, alphaResult.Dropped);
            Assert.Equal(alphaResult.LoggedErrors, destroyed + refused);
            Assert.Equal(alphaInformation + destroyed, alphaResult.Written - alphaNotices.Count);
            Assert.Equal(alphaResult.Logged, alphaResult.Written - alphaNotices.Count + alphaResult.Dropped);

            // The notices say so, with the key and the error id, and add up to the count; while
            // the partition keeps refusing, they sum up many batches each (one a second at most).
            Assert.Equal(refused, stored.NoticeCount("alpha", "PartitionRefused"));
            Assert.True(alphaNotices.Count * 10 <= refused, $"{alphaNotices.Count} notices for {refused} refused entries");
            Assert.Contains(alphaNotices, n => n.Message.Contains("refused by their partition", StringComparison.Ordinal) && n.Message.Contains(poisoned.StreamKey + ": PartitionWrongType", StringComparison.Ordinal));
            Assert.Empty(stored.OrderViolations());
        }

        /// <summary>
        /// The entries logged while the server was down are stored under IDs at their event times:
        /// raised a little at most, to keep one process's queue order (never to the time written).
        /// </summary>
        private static void AssertIdsAtEventTimes(IReadOnlyList<ProducedEntry> during)
        {
            Assert.NotEmpty(during);
            var off = during.Where(e => e.SkewMilliseconds < 0 || e.SkewMilliseconds > 1000).ToList();
            Assert.True(off.Count == 0, off.Count == 0 ? "" : $"{off.Count} of {during.Count} entries logged while the server was down have IDs off their event times, by up to "
                + $"{off.Max(e => e.SkewMilliseconds)} ms; the first: {off[0].Entry.Message}, logged {off[0].Entry.Timestamp:O}, ID {off[0].Entry.Id}");
        }

        /// <summary>
        /// Duplicates come only from replies lost with a connection (operations.md): at most the
        /// two batches the writer has in flight, each entry stored at most twice.
        /// </summary>
        private static void AssertDuplicatesOnlyFromLostReplies(StoredEntries stored, string producer)
        {
            var duplicates = stored.Duplicates(producer);
            Assert.True(duplicates <= 2 * BatchSize, $"{duplicates} duplicates, more than the two batches in flight: {stored.DescribeDuplicates(producer)}");
            Assert.True(stored.Rows(producer) - stored.Distinct(producer) == stored.Of(producer).GroupBy(e => (e.Thread, e.Seq)).Count(g => g.Count() > 1),
                $"an entry was stored more than twice: {stored.DescribeDuplicates(producer)}");
        }

        private static string NewPrefix() => "s:" + Guid.NewGuid().ToString("N");

        private static Partition PartitionOf(string prefix, string service, MonarchLogLevel level) => new StorageFormat(prefix).GetPartition(service, level);

        // The entries of a partition's stream and head, in either format: a block counts its n, an
        // entry of format 1 one. With "poison", the keys then become strings, in the same step.
        private const string CountEntries = @"local total = 0
for _, key in ipairs(KEYS) do
  if redis.call('TYPE', key).ok == 'stream' then
    for _, e in ipairs(redis.call('XRANGE', key, '-', '+')) do
      local n = 1
      for i = 1, #e[2], 2 do if e[2][i] == 'n' then n = tonumber(e[2][i + 1]) end end
      total = total + n
    end
  end
end
if ARGV[1] == 'poison' then
  for _, key in ipairs(KEYS) do redis.call('SET', key, 'not a stream') end
end
return total";

        private static async Task<long> EntriesAsync(IDatabase db, Partition partition, bool poison = false) =>
            (long)await db.ScriptEvaluateAsync(CountEntries, new RedisKey[] { partition.StreamKey, partition.HeadKey }, new RedisValue[] { poison ? "poison" : "count" });

        /// <summary>The producer's command line; options in <paramref name="more"/> override the ones set here.</summary>
        private static List<string> Arguments(string connection, string prefix, string service, string producer, int entries, int threads, int rate, params string[] more)
        {
            var arguments = new List<string>
            {
                "--connection", connection, "--prefix", prefix, "--service", service, "--producer", producer,
                "--entries", entries.ToString(CultureInfo.InvariantCulture), "--threads", threads.ToString(CultureInfo.InvariantCulture),
                "--rate", rate.ToString(CultureInfo.InvariantCulture), "--min-retry-ms", "50", "--max-retry-ms", "500", "--flush-timeout-ms", "30000",
            };
            arguments.AddRange(more);
            return arguments;
        }

        /// <summary>The producer as a small web program that logs one entry and returns from Main without disposing its host.</summary>
        private static List<string> ExitArguments(string connection, string prefix, string service, int processExitFlushMs) => new List<string>
        {
            "--connection", connection + ",connectTimeout=20000", "--prefix", prefix, "--service", service, "--producer", "p1", "--exit-without-dispose",
            "--min-retry-ms", "50", "--max-retry-ms", "500", "--process-exit-flush-ms", processExitFlushMs.ToString(CultureInfo.InvariantCulture),
        };

        private static List<MonarchLogEntry> Seed(string service, MonarchLogLevel level, DateTime from, int count) =>
            Enumerable.Range(0, count).Select(i => new MonarchLogEntry
            {
                Timestamp = from.AddMilliseconds(i),
                Level = level,
                Service = service,
                Category = "Seed",
                Message = "old:" + i.ToString(CultureInfo.InvariantCulture),
            }).ToList();

        /// <summary>Retention passes over every partition, one after the other, until the producers are done.</summary>
        private static async Task<(int Passes, long Removed)> RetentionRunAsync(LogStore store, DateTime cutoff, Task producing)
        {
            var passes = 0;
            long removed = 0;
            do
            {
                foreach (var partition in await store.GetPartitionsAsync())
                {
                    removed += (await store.RemoveExpiredAsync(partition, cutoff)).RemovedEntries;
                }

                passes++;
            }
            while (!producing.IsCompleted);
            return (passes, removed);
        }

        private static async Task WaitForEntriesAsync(IDatabase db, Partition partition, long length)
        {
            var clock = Stopwatch.StartNew();
            while (await EntriesAsync(db, partition) < length)
            {
                if (clock.Elapsed > ProducerTimeout) throw new TimeoutException($"{partition.StreamKey} did not reach {length} entries within {ProducerTimeout}.");
                await Task.Delay(20);
            }
        }

        /// <summary>Waits until the partition's entries have not changed for a second; returns their count.</summary>
        private static async Task<long> WaitForStableEntriesAsync(IDatabase db, Partition partition)
        {
            var length = await EntriesAsync(db, partition);
            var unchanged = Stopwatch.StartNew();
            var clock = Stopwatch.StartNew();
            while (unchanged.Elapsed < TimeSpan.FromSeconds(1) && clock.Elapsed < TimeSpan.FromSeconds(20))
            {
                await Task.Delay(100);
                var now = await EntriesAsync(db, partition);
                if (now != length) unchanged.Restart();
                length = now;
            }

            return length;
        }

        private void Report(string scenario, ProducerResult result, StoredEntries stored, IEnumerable<ProducedEntry> skewed)
        {
            var duplicates = stored.Duplicates(result.Producer);
            var skews = skewed.Select(e => e.SkewMilliseconds).DefaultIfEmpty(0).ToList();
            var drops = string.Join(", ", result.DroppedBy.Where(d => d.Value > 0).Select(d => $"{d.Key} {d.Value}"));
            _output.WriteLine($"{scenario}: logged {result.Logged}, written {result.Written}, stored {stored.Rows(result.Producer)} ({stored.Distinct(result.Producer)} distinct, {duplicates} duplicates), "
                + $"dropped {result.Dropped}{(drops.Length > 0 ? " (" + drops + ")" : "")}, failed writes {result.WriteFailures}, ID-vs-event-time skew {skews.Min()}..{skews.Max()} ms, "
                + $"result {result.Json}");
        }
    }
}
