using System;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Logging;
using MonarchLogs.Core;
using MonarchLogs.Core.Format;
using MonarchLogs.Core.Storage;
using MonarchLogs.Logging.Writing;
using MonarchLogs.Testing;

namespace MonarchLogs.Logging.Tests
{
    /// <summary>
    /// A service of this version started on a store an older version wrote (format 1): the store
    /// refuses its writes until an operator upgrades it, and the provider waits for that as for an
    /// outage, reporting the refusal once, keeping its entries and storing each once after.
    /// </summary>
    public sealed class UpgradeWaitTests
    {
        [Fact]
        public async Task A_provider_on_a_version_1_store_reports_the_refusal_once_keeps_its_entries_and_stores_each_once_after_the_upgrade()
        {
            // A service of its own: the writer events of tests running beside this one are not its.
            var service = "upgrade-wait-" + Guid.NewGuid().ToString("N").Substring(0, 8);
            await using var harness = await ProviderHarness.StartAsync(service: service);
            using var events = new TransportTests.WriterEvents(harness.Provider.Writer.Service);
            using var connection = harness.Server.Connect();
            var format = new StorageFormat(harness.Prefix);
            await new Version1Writer(connection, format).AppendAllAsync(new[]
            {
                new MonarchLogEntry { Service = service, Level = MonarchLogLevel.Information, Timestamp = DateTime.UtcNow.AddMinutes(-1), Category = "Older", Message = "by an older version" },
            });

            // Several batches while the store refuses; the writer retries them well past its first refusal.
            var logger = harness.Loggers.CreateLogger("Waiting");
            for (var i = 0; i < 50; i++)
            {
                logger.LogInformation("waiting {Index}", i);
                if (i % 10 == 9) await Task.Delay(300);
            }

            await WaitUntilAsync(() => events.All.Any(e => e.Name == "StoreNeedsUpgrade"));
            await Task.Delay(1500);
            var refusal = Assert.Single(events.All, e => e.Name == "StoreNeedsUpgrade");
            Assert.Equal($"StoreNeedsUpgrade | The store '{harness.Prefix}' is storage format 1; this version writes format 2 only. Run Update-MonarchLogStore to upgrade it.", refusal.Text);
            Assert.DoesNotContain(events.All, e => e.Name == "WriteFailed" || e.Name == "StoreRefused");
            Assert.Equal((0L, 0L, 50L), (harness.Provider.EntriesWritten, harness.Provider.EntriesDropped, harness.Provider.EntriesBuffered));
            Assert.Equal(new[] { "by an older version" }, (await harness.ReadAllAsync()).Select(e => e.Message));

            // The operator upgrades the store while the service runs: it writes at its next attempt.
            var upgrade = await new LogStore(connection, format).UpgradeAsync(progress: null, partitionError: null, CancellationToken.None);
            Assert.Equal("1", upgrade.PreviousVersion);
            var entries = await harness.WaitForAsync(51, TimeSpan.FromSeconds(30));
            await harness.WaitUntilWriterIdleAsync();
            Assert.Equal(new[] { "by an older version" }.Concat(Enumerable.Range(0, 50).Select(i => "waiting " + i)), entries.Select(e => e.Message));
            Assert.Equal((50L, 0L, 0L), (harness.Provider.EntriesWritten, harness.Provider.EntriesDropped, harness.Provider.EntriesBuffered));
            Assert.Contains(events.All, e => e.Name == "WriteResumed");
            Assert.Single(events.All, e => e.Name == "StoreNeedsUpgrade");
        }

        [Fact]
        public async Task While_a_version_1_store_waits_for_its_upgrade_only_what_the_buffer_cannot_hold_is_dropped_and_counted()
        {
            await using var harness = await ProviderHarness.StartAsync(o => o.BufferCapacity = 20);
            using var connection = harness.Server.Connect();
            var format = new StorageFormat(harness.Prefix);
            await new Version1Writer(connection, format).MarkAsync();

            var logger = harness.Loggers.CreateLogger("Waiting");
            for (var i = 0; i < 50; i++) logger.LogInformation("waiting {Index}", i);
            await WaitUntilAsync(() => harness.Dropped(DropReason.BufferFull) == 30);
            await Task.Delay(1000);
            Assert.Equal((30L, 20L, 0L), (harness.Dropped(DropReason.BufferFull), harness.Provider.EntriesBuffered, harness.Provider.EntriesWritten));
            Assert.Equal(30, harness.Provider.EntriesDropped);

            // Marked 2, as the upgrade does first: the 20 kept are stored once, and a notice counts the 30.
            await connection.GetDatabase().StringSetAsync(format.FormatKey, StorageFormat.Version2);
            var entries = await harness.WaitForAsync(21, TimeSpan.FromSeconds(30));
            await harness.WaitUntilWriterIdleAsync();
            Assert.Equal(Enumerable.Range(0, 20).Select(i => "waiting " + i), entries.Where(e => e.Category == "Waiting").Select(e => e.Message));
            var notice = Assert.Single(entries, e => e.Category == DropReporter.NoticeCategory);
            Assert.Contains("30", notice.Message, StringComparison.Ordinal);
            Assert.Equal(21, harness.Provider.EntriesWritten); // the 20 and the notice
            Assert.Equal(30, harness.Provider.EntriesDropped);
        }

        private static async Task WaitUntilAsync(Func<bool> condition)
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            while (!condition() && clock.Elapsed < TimeSpan.FromSeconds(20)) await Task.Delay(20);
            Assert.True(condition(), "not within 20 s");
        }
    }
}
