using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics.Metrics;
using System.Diagnostics.Tracing;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.Extensions.Logging;

namespace MonarchLogs.Logging.Tests
{
    public sealed class DiagnosticsTests
    {
        [Fact]
        public async Task Metrics_count_written_and_dropped_entries_and_batch_latency()
        {
            var totals = new ConcurrentDictionary<string, double>();
            using var listener = new MeterListener
            {
                InstrumentPublished = (instrument, l) =>
                {
                    if (instrument.Meter.Name == "MonarchLogs.Logging") l.EnableMeasurementEvents(instrument);
                },
            };
            listener.SetMeasurementEventCallback<long>((instrument, value, _, _) => totals.AddOrUpdate(instrument.Name, value, (_, old) => old + value));
            listener.SetMeasurementEventCallback<double>((instrument, value, _, _) => totals.AddOrUpdate(instrument.Name + ".count", 1, (_, old) => old + 1));
            listener.Start();

            await using var harness = await ProviderHarness.StartAsync(o => o.BufferCapacity = 10);
            var logger = harness.Loggers.CreateLogger("Metrics");
            logger.LogInformation("one");
            await harness.WaitForAsync(1);
            await harness.WaitUntilWriterIdleAsync();
            await harness.Server.StopAsync(save: true);
            for (var i = 0; i < 15; i++) logger.LogInformation("during {I}", i);
            listener.RecordObservableInstruments();
            Assert.True(totals.GetValueOrDefault("monarchlogs.queue.length") >= 10);
            await harness.Server.StartAgainAsync();
            await harness.WaitForAsync(1 + 10 + 1);
            await UntilAsync(() => totals.GetValueOrDefault("monarchlogs.entries.written") >= 12 && totals.GetValueOrDefault("monarchlogs.batch.duration.count") >= 2);

            // Other tests' providers may run at the same time and share the static meter, so
            // these are lower bounds.
            Assert.True(totals.GetValueOrDefault("monarchlogs.entries.written") >= 12, $"written {totals.GetValueOrDefault("monarchlogs.entries.written")}");
            Assert.True(totals.GetValueOrDefault("monarchlogs.entries.dropped") >= 5);
            Assert.True(totals.GetValueOrDefault("monarchlogs.batch.duration.count") >= 2);
        }

        private static async Task UntilAsync(Func<bool> condition)
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            while (!condition() && clock.Elapsed < TimeSpan.FromSeconds(10)) await Task.Delay(20);
        }

        [Fact]
        public async Task Write_failures_go_to_the_event_source_not_to_the_app()
        {
            using var events = new CapturingListener();
            await using var harness = await ProviderHarness.StartAsync();
            var logger = harness.Loggers.CreateLogger("Events");
            logger.LogInformation("first");
            await harness.WaitForAsync(1);
            await harness.Server.StopAsync(save: true);
            logger.LogInformation("during the outage");
            await Task.Delay(500);
            await harness.Server.StartAgainAsync();
            await harness.WaitForAsync(2);

            Assert.Contains(events.Names, n => n == "WriteFailed");
            Assert.Contains(events.Names, n => n == "WriteResumed");
        }

        private sealed class CapturingListener : EventListener
        {
            public ConcurrentQueue<string> Names { get; } = new ConcurrentQueue<string>();

            protected override void OnEventSourceCreated(EventSource source)
            {
                if (source.Name == "MonarchLogs-Logging") EnableEvents(source, EventLevel.Verbose);
            }

            protected override void OnEventWritten(EventWrittenEventArgs e)
            {
                if (e.EventSource.Name == "MonarchLogs-Logging" && e.EventName is { } name) Names.Enqueue(name);
            }
        }
    }
}
