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
        public async Task Metrics_count_written_and_dropped_entries_and_batch_latency_of_this_provider_exactly()
        {
            // Other tests' providers share the static meter and run at the same time: only
            // measurements tagged with this provider's service count.
            var service = "metrics-" + Guid.NewGuid().ToString("N");
            var totals = new ConcurrentDictionary<string, double>();
            using var listener = new MeterListener
            {
                InstrumentPublished = (instrument, l) =>
                {
                    if (instrument.Meter.Name == "MonarchLogs.Logging") l.EnableMeasurementEvents(instrument);
                },
            };
            listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
            {
                if (!IsMine(tags, service)) return;
                totals.AddOrUpdate(instrument.Name, value, (_, old) => old + value);
                foreach (var tag in tags)
                {
                    if (tag.Key == "reason") totals.AddOrUpdate(instrument.Name + "." + tag.Value, value, (_, old) => old + value);
                }
            });
            listener.SetMeasurementEventCallback<double>((instrument, _, tags, _) =>
            {
                if (IsMine(tags, service)) totals.AddOrUpdate(instrument.Name + ".count", 1, (_, old) => old + 1);
            });
            listener.Start();

            await using var harness = await ProviderHarness.StartAsync(o => o.BufferCapacity = 10, service);
            var logger = harness.Loggers.CreateLogger("Metrics");
            logger.LogInformation("one");
            await harness.WaitForAsync(1);
            await harness.WaitUntilWriterIdleAsync();
            await harness.Server.StopAsync(save: true);
            for (var i = 0; i < 15; i++) logger.LogInformation("during {I}", i);
            await harness.Server.StartAgainAsync();
            await harness.WaitForAsync(1 + 10 + 1);
            await harness.WaitUntilWriterIdleAsync();
            await UntilAsync(() => totals.GetValueOrDefault("monarchlogs.entries.written") >= 12);

            Assert.Equal(12, totals.GetValueOrDefault("monarchlogs.entries.written"));
            Assert.Equal(5, totals.GetValueOrDefault("monarchlogs.entries.dropped"));
            Assert.Equal(5, totals.GetValueOrDefault("monarchlogs.entries.dropped.BufferFull"));
            Assert.True(totals.GetValueOrDefault("monarchlogs.batch.duration.count") >= 2);
        }

        [Fact]
        public async Task The_queue_length_gauge_shows_what_this_provider_holds()
        {
            await using var harness = await ProviderHarness.StartAsync(o => o.BufferCapacity = 1000, "gauge-" + Guid.NewGuid().ToString("N"));
            var logger = harness.Loggers.CreateLogger("Gauge");
            logger.LogInformation("one");
            await harness.WaitForAsync(1);
            await harness.WaitUntilWriterIdleAsync();
            harness.Server.Pause();
            try
            {
                for (var i = 0; i < 25; i++) logger.LogInformation("held {I}", i);
                Assert.Equal(25, harness.Provider.EntriesBuffered);
            }
            finally
            {
                harness.Server.Resume();
            }

            await harness.WaitForAsync(26);
            await harness.WaitUntilWriterIdleAsync();
            Assert.Equal(0, harness.Provider.EntriesBuffered);
        }

        private static bool IsMine(ReadOnlySpan<KeyValuePair<string, object?>> tags, string service)
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "service" && tag.Value as string == service) return true;
            }

            return false;
        }

        private static async Task UntilAsync(Func<bool> condition)
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            while (!condition() && clock.Elapsed < TimeSpan.FromSeconds(10)) await Task.Delay(20);
        }

        [Fact]
        public async Task Write_failures_and_refused_partitions_go_to_the_event_source_not_to_the_app()
        {
            var service = "events-" + Guid.NewGuid().ToString("N");
            using var events = new CapturingListener(service);
            await using var harness = await ProviderHarness.StartAsync(service: service);
            var logger = harness.Loggers.CreateLogger("Events");
            logger.LogInformation("first");
            await harness.WaitForAsync(1);
            await harness.Server.StopAsync(save: true);
            logger.LogInformation("during the outage");
            await Task.Delay(500);
            await harness.Server.StartAgainAsync();
            await harness.WaitForAsync(2);

            using var connection = harness.Server.Connect();
            await ProviderHarness.BlockPartitionAsync(connection.GetDatabase(), harness.Prefix, service, MonarchLogs.Core.MonarchLogLevel.Error);
            logger.LogError("refused");
            await UntilAsync(() => events.Names.Contains("PartitionSetAside") && events.Names.Contains("EntriesDropped"));

            Assert.Contains("WriteFailed", events.Names);
            Assert.Contains("WriteResumed", events.Names);
            Assert.Contains("PartitionSetAside", events.Names);
            Assert.Contains("EntriesDropped", events.Names);
        }

        /// <summary>The provider's events whose first payload is this provider's service.</summary>
        private sealed class CapturingListener : EventListener
        {
            private readonly string _service;

            public CapturingListener(string service) => _service = service;

            public ConcurrentQueue<string> Names { get; } = new ConcurrentQueue<string>();

            protected override void OnEventSourceCreated(EventSource source)
            {
                if (source.Name == "MonarchLogs-Logging") EnableEvents(source, EventLevel.Verbose);
            }

            protected override void OnEventWritten(EventWrittenEventArgs e)
            {
                if (e.EventSource.Name == "MonarchLogs-Logging" && e.EventName is { } name && e.Payload is { Count: > 0 } payload && payload[0] as string == _service) Names.Enqueue(name);
            }
        }
    }
}
