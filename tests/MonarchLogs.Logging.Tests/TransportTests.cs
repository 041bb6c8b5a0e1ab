using System;
using System.Diagnostics;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.Extensions.Logging;
using MonarchLogs.Core;
using MonarchLogs.Core.Query;
using MonarchLogs.Testing;

namespace MonarchLogs.Logging.Tests
{
    /// <summary>
    /// How the provider reaches Valkey: the StackExchange.Redis write path (several endpoints),
    /// against real servers.
    /// </summary>
    public sealed class TransportTests
    {
        [Fact]
        public async Task Through_StackExchange_Redis_entries_are_stored_on_the_master_in_order()
        {
            await using var harness = await ProviderHarness.StartAsync(o => o.MaxBatchSize = 50, path: WritePath.StackExchangeRedis);
            var logger = harness.Loggers.CreateLogger("Replicated");
            for (var i = 0; i < 500; i++)
            {
                if (i % 5 == 0) logger.LogWarning("entry {Index}", i);
                else logger.LogInformation("entry {Index}", i);
            }

            // Entries of one millisecond in two partitions have no order between them; within a partition they keep the order logged.
            var entries = await harness.WaitForAsync(500);
            Assert.Equal(500, entries.Count);
            Assert.Equal(Enumerable.Range(0, 500).Where(i => i % 5 == 0).Select(i => "entry " + i), entries.Where(e => e.Level == MonarchLogLevel.Warning).Select(e => e.Message));
            Assert.Equal(Enumerable.Range(0, 500).Where(i => i % 5 != 0).Select(i => "entry " + i), entries.Where(e => e.Level == MonarchLogLevel.Information).Select(e => e.Message));
            Assert.Equal(WritePath.StackExchangeRedis, await harness.WritePathInUseAsync());
            Assert.Equal(500, harness.Provider.EntriesWritten);
            Assert.Equal(0, harness.Provider.EntriesDropped);
        }

        [Fact]
        public async Task Through_StackExchange_Redis_an_outage_of_the_master_loses_nothing_within_the_buffer()
        {
            await using var harness = await ProviderHarness.StartAsync(path: WritePath.StackExchangeRedis);
            var logger = harness.Loggers.CreateLogger("Outage");
            logger.LogInformation("before");
            await harness.WaitForAsync(1);
            await harness.WaitUntilWriterIdleAsync();

            await harness.Server.StopAsync(save: true);
            for (var i = 0; i < 30; i++)
            {
                logger.LogInformation("during {Index}", i);
                await Task.Delay(50);
            }

            // Nothing can be written while the master is away, and nothing is given up.
            Assert.Equal(30, harness.Provider.EntriesBuffered);
            await harness.Server.StartAgainAsync();

            // StackExchange.Redis reconnects with a backoff of its own: a generous wait, not a speed check.
            var entries = await harness.WaitForAsync(31, TimeSpan.FromSeconds(60));
            await harness.WaitUntilWriterIdleAsync();
            Assert.Equal(31, harness.Provider.EntriesWritten);
            Assert.Equal(new[] { "before" }.Concat(Enumerable.Range(0, 30).Select(i => "during " + i)), entries.Select(e => e.Message));
            Assert.Equal(WritePath.StackExchangeRedis, await harness.WritePathInUseAsync());
            Assert.Equal(0, harness.Provider.EntriesDropped);
        }
    }
}
