using System;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.Extensions.Logging;
using MonarchLogs.Core;
using MonarchLogs.Core.Format;
using MonarchLogs.Core.Storage;
using MonarchLogs.Logging.Writing;
using MonarchLogs.Testing;

namespace MonarchLogs.Logging.Tests
{
    /// <summary>Every entry logged is stored or counted with its reason, on every path: logged = written + dropped.</summary>
    public sealed class AccountingTests
    {
        [Fact]
        public async Task Entries_logged_while_the_writer_never_connects_are_counted_as_not_sent_at_shutdown()
        {
            // Nothing listens on the port: the writer keeps failing to connect until shutdown.
            using var nobody = await ValkeyServer.StartAsync();
            var port = nobody.Port;
            await nobody.StopAsync(save: false);
            var provider = new MonarchValkeyLoggerProvider(new MonarchValkeyLoggerOptions
            {
                ConnectionString = $"127.0.0.1:{port},connectTimeout=500",
                Service = "nowhere",
                FlushTimeout = TimeSpan.FromMilliseconds(300),
                MinRetryDelay = TimeSpan.FromMilliseconds(50),
                MaxRetryDelay = TimeSpan.FromMilliseconds(200),
            });
            var logger = provider.CreateLogger("Lost");
            for (var i = 0; i < 37; i++) logger.LogInformation("entry {Index}", i);
            await Task.Delay(300);
            provider.Dispose();

            Assert.Equal(0, provider.EntriesWritten);
            Assert.Equal(37, provider.EntriesDropped);
            Assert.Equal(37, provider.Writer.Ledger.Count(DropReason.NotSentAtShutdown));
            Assert.Equal(0, provider.EntriesBuffered);

            // Logged after shutdown: counted too, never thrown.
            logger.LogInformation("after");
            Assert.Equal(38, provider.EntriesDropped);
        }

        [Fact]
        public async Task At_process_exit_writers_never_disposed_stop_side_by_side_within_their_timeout_and_count_what_is_left()
        {
            // What the process-exit handler does for every provider not disposed (the scenario
            // tests run it in a real process that exits); here three, where nothing listens.
            using var nobody = await ValkeyServer.StartAsync();
            var port = nobody.Port;
            await nobody.StopAsync(save: false);
            var providers = Enumerable.Range(0, 3).Select(i => new MonarchValkeyLoggerProvider(new MonarchValkeyLoggerOptions
            {
                ConnectionString = $"127.0.0.1:{port},connectTimeout=500",
                Service = "exit" + i,
                ProcessExitFlushTimeout = TimeSpan.FromSeconds(1),
                MinRetryDelay = TimeSpan.FromMilliseconds(50),
                MaxRetryDelay = TimeSpan.FromMilliseconds(200),
            })).ToList();
            foreach (var provider in providers)
            {
                var logger = provider.CreateLogger("Exit");
                for (var i = 0; i < 5; i++) logger.LogInformation("entry {Index}", i);
            }

            var clock = System.Diagnostics.Stopwatch.StartNew();
            ProcessExitFlush.Stop(providers.Select(provider => provider.Writer));
            var took = clock.Elapsed;

            // One timeout and the half second to stop, not three of each.
            Assert.InRange(took, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(2.5));
            foreach (var provider in providers)
            {
                Assert.Equal(5, provider.Writer.Ledger.Count(DropReason.NotSentAtProcessExit));
                Assert.Equal(5, provider.EntriesDropped);
                Assert.Equal(0, provider.EntriesBuffered);

                // Logged after: counted with the same reason, never thrown.
                provider.CreateLogger("Exit").LogInformation("after");
                Assert.Equal(6, provider.Writer.Ledger.Count(DropReason.NotSentAtProcessExit));

                // Disposed after all (a host that disposes late): nothing is counted twice, and it does not wait again.
                clock.Restart();
                provider.Dispose();
                Assert.InRange(clock.Elapsed, TimeSpan.Zero, TimeSpan.FromMilliseconds(500));
                Assert.Equal(6, provider.EntriesDropped);
            }
        }

        [Fact]
        public async Task Entries_sent_but_unanswered_at_shutdown_are_counted_as_unconfirmed_not_lost()
        {
            // A batch waits 200 ms to fill, so the 20 entries go as one batch even when a busy
            // machine wakes the writer after the first of them.
            var harness = await ProviderHarness.StartAsync(o =>
            {
                o.FlushTimeout = TimeSpan.FromMilliseconds(500);
                o.BatchDelay = TimeSpan.FromMilliseconds(200);
            });
            try
            {
                var logger = harness.Loggers.CreateLogger("Paused");
                logger.LogInformation("first");
                await harness.WaitForAsync(1);
                await harness.WaitUntilWriterIdleAsync();

                // The server takes the bytes into its socket buffer but never answers.
                harness.Server.Pause();
                for (var i = 0; i < 20; i++) logger.LogInformation("entry {Index}", i);
                await Task.Delay(1000);
                var provider = harness.Provider;
                await harness.Services.DisposeAsync();

                Assert.Equal(1, provider.EntriesWritten);
                Assert.Equal(20, provider.EntriesDropped);
                Assert.Equal(20, provider.Writer.Ledger.Count(DropReason.UnconfirmedAtShutdown));
                Assert.Equal(0, provider.Writer.Ledger.Count(DropReason.NotSentAtShutdown));
            }
            finally
            {
                harness.Server.Resume();
                harness.Server.Dispose();
            }
        }

        [Fact]
        public async Task A_store_of_another_format_version_is_never_written_and_its_entries_are_counted()
        {
            await using var harness = await ProviderHarness.StartAsync();
            using var connection = harness.Server.Connect();
            var format = new StorageFormat(harness.Prefix);
            await connection.GetDatabase().StringSetAsync(format.FormatKey, "99");
            var logger = harness.Loggers.CreateLogger("Foreign");
            for (var i = 0; i < 12; i++) logger.LogWarning("entry {Index}", i);

            var clock = System.Diagnostics.Stopwatch.StartNew();
            while (harness.Provider.EntriesDropped < 12 && clock.Elapsed < TimeSpan.FromSeconds(10)) await Task.Delay(20);
            Assert.Equal(12, harness.Provider.Writer.Ledger.Count(DropReason.StoreRefused));
            Assert.Equal(0, harness.Provider.EntriesWritten);
            Assert.Equal(0, harness.Provider.EntriesBuffered);
            var keys = await connection.GetDatabase().ExecuteAsync("KEYS", harness.Prefix + ":*");
            Assert.Equal(new[] { (string)format.FormatKey! }, ((string[])keys!).ToArray());
        }

        [Fact]
        public async Task A_writer_loop_that_fails_is_restarted_counts_what_it_held_and_says_so_in_the_store()
        {
            await using var harness = await ProviderHarness.StartAsync();
            var logger = harness.Loggers.CreateLogger("Fault");
            logger.LogInformation("before");
            await harness.WaitForAsync(1);
            await harness.WaitUntilWriterIdleAsync();

            harness.Provider.Writer.FailOnceForTest();
            for (var i = 0; i < 5; i++) logger.LogInformation("held {Index}", i);
            var clock = System.Diagnostics.Stopwatch.StartNew();
            while (harness.Provider.Writer.Ledger.Restarts == 0 && clock.Elapsed < TimeSpan.FromSeconds(10)) await Task.Delay(20);
            for (var i = 0; i < 3; i++) logger.LogInformation("after {Index}", i);

            var entries = await harness.WaitForAsync(1 + 3 + 1);
            await harness.WaitUntilWriterIdleAsync();
            var held = harness.Provider.Writer.Ledger.Count(DropReason.WriterFault);
            Assert.Equal(1, harness.Provider.Writer.Ledger.Restarts);
            Assert.Equal(5, held + entries.Count(e => e.Message.StartsWith("held", StringComparison.Ordinal)));
            Assert.Equal(3, entries.Count(e => e.Message.StartsWith("after", StringComparison.Ordinal)));
            var notice = Assert.Single(entries, e => e.Category == "MonarchLogs.Logging");
            Assert.Contains("The log writer failed 1 time(s) and was restarted", notice.Message);
            Assert.Equal(harness.Provider.EntriesDropped, held);
        }

        [Fact]
        public async Task A_failure_that_lasts_past_the_retry_time_limit_drops_the_batch_counted_and_the_writer_goes_on()
        {
            await using var harness = await ProviderHarness.StartAsync(o => o.RetryTimeLimit = TimeSpan.FromSeconds(1));
            using var connection = harness.Server.Connect();
            var admin = connection.GetDatabase();
            var logger = harness.Loggers.CreateLogger("Limit");
            await LogIntoAFullStoreAsync(harness, admin, logger, refused: 8);
            await admin.ExecuteAsync("CONFIG", "SET", "maxmemory", "0");
            logger.LogInformation("after");

            var entries = await harness.WaitForAsync(3);
            Assert.Equal(8, harness.Provider.Writer.Ledger.Count(DropReason.RetryTimeLimit));
            Assert.Equal(new[] { "before", "after" }, entries.Where(e => e.Category == "Limit").Select(e => e.Message));
            Assert.Contains("8 log entries were not stored: 8 given up after the retry time limit", Assert.Single(entries, e => e.Category == "MonarchLogs.Logging").Message);
        }

        [Fact]
        public async Task A_drop_notice_that_Valkey_refuses_past_the_retry_time_limit_is_written_once_it_takes_writes_again()
        {
            await using var harness = await ProviderHarness.StartAsync(o => o.RetryTimeLimit = TimeSpan.FromSeconds(1));
            using var connection = harness.Server.Connect();
            var admin = connection.GetDatabase();
            var logger = harness.Loggers.CreateLogger("Limit");

            // Full for longer than the retry time limit of the entries and of the notice after them.
            await LogIntoAFullStoreAsync(harness, admin, logger, refused: 4);
            Assert.Equal(4, harness.Provider.Writer.Ledger.Count(DropReason.RetryTimeLimit));
            await Task.Delay(TimeSpan.FromSeconds(3));
            Assert.Single(await harness.ReadAllAsync());
            await admin.ExecuteAsync("CONFIG", "SET", "maxmemory", "0");

            var entries = await harness.WaitForAsync(2);
            var notice = Assert.Single(entries, e => e.Category == "MonarchLogs.Logging");
            Assert.Contains("4 log entries were not stored: 4 given up after the retry time limit", notice.Message);
        }

        [Fact]
        public async Task Every_entry_logged_is_written_dropped_or_buffered_through_success_refusal_outage_and_shutdown()
        {
            var harness = await ProviderHarness.StartAsync(o =>
            {
                o.BufferCapacity = 30;
                o.RetryTimeLimit = TimeSpan.FromSeconds(1);
                o.FlushTimeout = TimeSpan.FromMilliseconds(500);
            });
            try
            {
                var provider = harness.Provider;
                var account = provider.Writer.Account;
                var logger = harness.Loggers.CreateLogger("Identity");
                using var connection = harness.Server.Connect();
                var admin = connection.GetDatabase();
                long logged = 0;
                void Log(int count, LogLevel level = LogLevel.Information)
                {
                    for (var i = 0; i < count; i++) logger.Log(level, "entry {Index}", i);
                    logged += count;
                }

                // Success.
                Log(10);
                await harness.WaitForAsync(10);
                await harness.WaitUntilWriterIdleAsync();
                await AssertBalancedAsync(account, logged, "success");
                Assert.Equal(10, account.EntriesWritten);

                // A partition refuses for good: its entries are dropped, the others written.
                await ProviderHarness.BlockPartitionAsync(admin, harness.Prefix, "tests", MonarchLogLevel.Error);
                Log(5, LogLevel.Error);
                Log(5);
                await WaitUntilAsync(() => account.Ledger.Count(DropReason.PartitionRefused) == 5 && account.Buffered == 0);
                await AssertBalancedAsync(account, logged, "a partition refused");
                Assert.Equal(15, account.EntriesWritten);

                // Valkey full past the retry time limit: given up.
                await admin.ExecuteAsync("CONFIG", "SET", "maxmemory", "1");
                Log(4);
                await WaitUntilAsync(() => account.Ledger.Count(DropReason.RetryTimeLimit) == 4 && account.Buffered == 0);
                await AssertBalancedAsync(account, logged, "given up after the retry time limit");
                await admin.ExecuteAsync("CONFIG", "SET", "maxmemory", "0");

                // The loop fails: what it held is dropped, it restarts.
                provider.Writer.FailOnceForTest();
                Log(5);
                await WaitUntilAsync(() => account.Ledger.Restarts == 1 && account.Buffered == 0);
                await AssertBalancedAsync(account, logged, "the loop restarted");

                // An outage: the buffer fills, what is past it is dropped; all of it is written once Valkey is back.
                harness.Server.Pause();
                Log(40);
                Assert.Equal(10, account.Ledger.Count(DropReason.BufferFull));
                Assert.Equal(30, account.Buffered);
                await AssertBalancedAsync(account, logged, "during an outage");
                harness.Server.Resume();
                await WaitUntilAsync(() => account.Buffered == 0);
                await AssertBalancedAsync(account, logged, "after the outage");

                // Shutdown with Valkey frozen: what is left is counted, and so is what is logged after.
                harness.Server.Pause();
                Log(12);
                await Task.Delay(300);
                await harness.Services.DisposeAsync();
                Assert.Equal(0, account.Buffered);
                Assert.Equal(12, account.Ledger.Count(DropReason.UnconfirmedAtShutdown) + account.Ledger.Count(DropReason.NotSentAtShutdown));
                await AssertBalancedAsync(account, logged, "at shutdown");
                Log(1);
                await AssertBalancedAsync(account, logged, "after shutdown");
            }
            finally
            {
                harness.Server.Resume();
                await harness.DisposeAsync();
            }
        }

        /// <summary>
        /// logged = written + dropped + buffered, and the writer counted as many logged as the test
        /// did. The four counters are read one after another while the writer may be moving an
        /// entry between them, so the identity is read again for up to 5 s before it fails.
        /// </summary>
        private static async Task AssertBalancedAsync(BufferAccount account, long logged, string step)
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            while (true)
            {
                var (written, dropped, buffered, counted) = (account.EntriesWritten, account.Ledger.Total, account.Buffered, account.Logged);
                if (counted == logged && written + dropped + buffered == logged) return;
                if (clock.Elapsed > TimeSpan.FromSeconds(5))
                {
                    Assert.Fail($"{step}: logged {logged}, counted as logged {counted}, written {written} + dropped {dropped} + buffered {buffered} = {written + dropped + buffered}");
                }

                await Task.Delay(20);
            }
        }

        private static async Task WaitUntilAsync(Func<bool> condition)
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            while (!condition() && clock.Elapsed < TimeSpan.FromSeconds(15)) await Task.Delay(20);
        }

        /// <summary>
        /// Logs "before" and waits until it is stored, fills Valkey (maxmemory 1), logs
        /// <paramref name="refused"/> entries and waits until the retry time limit gave them up.
        /// </summary>
        private static async Task LogIntoAFullStoreAsync(ProviderHarness harness, StackExchange.Redis.IDatabase admin, ILogger logger, int refused)
        {
            logger.LogInformation("before");
            await harness.WaitForAsync(1);
            await harness.WaitUntilWriterIdleAsync();
            await admin.ExecuteAsync("CONFIG", "SET", "maxmemory", "1");
            for (var i = 0; i < refused; i++) logger.LogInformation("refused {Index}", i);
            var clock = System.Diagnostics.Stopwatch.StartNew();
            while (harness.Provider.Writer.Ledger.Count(DropReason.RetryTimeLimit) < refused && clock.Elapsed < TimeSpan.FromSeconds(15)) await Task.Delay(50);
        }
    }
}
