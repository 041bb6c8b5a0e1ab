using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics.Metrics;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.Extensions.Logging;

namespace MonarchLogs.Logging.Tests
{
    /// <summary>
    /// While more than a batch is queued, a batch takes up to BacklogBatchSize entries (a busy
    /// partition's share then goes straight into its stream); every entry still arrives once, in
    /// order, and counted.
    /// </summary>
    public sealed class BacklogBatchTests
    {
        [Fact]
        public async Task Behind_the_writer_takes_larger_batches_and_keeps_order_and_counts()
        {
            // Other tests' providers share the static meter: only this provider's measurements count.
            var service = "backlog-" + Guid.NewGuid().ToString("N");
            var written = new ConcurrentBag<long>();
            using var listener = new MeterListener
            {
                InstrumentPublished = (instrument, l) =>
                {
                    if (instrument.Meter.Name == "MonarchLogs.Logging" && instrument.Name == "monarchlogs.entries.written") l.EnableMeasurementEvents(instrument);
                },
            };
            listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
            {
                foreach (var tag in tags)
                {
                    if (tag.Key == "service" && tag.Value as string == service) written.Add(value);
                }
            });
            listener.Start();

            await using var harness = await ProviderHarness.StartAsync(
                o =>
                {
                    o.MaxBatchSize = 100;
                    o.BacklogBatchSize = 1000;
                    o.RetryTimeLimit = TimeSpan.FromMinutes(2);
                },
                service);
            var logger = harness.Loggers.CreateLogger("Backlog");
            logger.LogInformation("entry {Index}", 0);
            await harness.WaitForAsync(1);
            await harness.WaitUntilWriterIdleAsync();

            // An outage queues a backlog; once the server is back the writer works through it.
            await harness.Server.StopAsync(save: true);
            for (var i = 1; i <= 3000; i++) logger.LogInformation("entry {Index}", i);
            await Task.Delay(300);
            await harness.Server.StartAgainAsync();

            var entries = await harness.WaitForAsync(3001, TimeSpan.FromSeconds(60));
            Assert.Equal(Enumerable.Range(0, 3001).Select(i => "entry " + i), entries.Where(e => e.Category == "Backlog").Select(e => e.Message));
            Assert.Equal(3001, harness.Provider.EntriesWritten);
            Assert.Equal(0, harness.Provider.EntriesDropped);
            Assert.Equal(3001, written.Sum());
            Assert.True(written.Max() > 100, $"batches written: {string.Join(", ", written)}");
        }
    }
}
