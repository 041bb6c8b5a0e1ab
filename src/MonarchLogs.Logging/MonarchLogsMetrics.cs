using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics.Metrics;

using MonarchLogs.Logging.Writing;

namespace MonarchLogs.Logging
{
    /// <summary>The provider's metrics, on the meter "MonarchLogs.Logging".</summary>
    internal static class MonarchLogsMetrics
    {
        public const string MeterName = "MonarchLogs.Logging";

        private static readonly Meter Meter = new Meter(MeterName);
        private static readonly ConcurrentDictionary<ValkeyLogWriter, byte> Writers = new ConcurrentDictionary<ValkeyLogWriter, byte>();

        public static readonly Counter<long> EntriesWritten = Meter.CreateCounter<long>("monarchlogs.entries.written", "{entry}", "Entries written to Valkey.");
        public static readonly Counter<long> EntriesDropped = Meter.CreateCounter<long>("monarchlogs.entries.dropped", "{entry}", "Entries not stored, tagged with the reason (BufferFull, PartitionRefused, RetryTimeLimit, NotSentAtShutdown, UnconfirmedAtShutdown, NotSentAtProcessExit, ...).");
        public static readonly Counter<long> EntriesTruncated = Meter.CreateCounter<long>("monarchlogs.entries.truncated", "{entry}", "Entries stored with a field cut to the size limits.");
        public static readonly Histogram<double> BatchDuration = Meter.CreateHistogram<double>("monarchlogs.batch.duration", "s", "Time to write one batch to Valkey, in seconds (OpenTelemetry's unit for durations).");

        static MonarchLogsMetrics()
        {
            Meter.CreateObservableGauge("monarchlogs.queue.length", ObserveQueueLength, "{entry}", "Entries waiting to be written.");
        }

        public static void Track(ValkeyLogWriter writer) => Writers.TryAdd(writer, 0);

        public static void Untrack(ValkeyLogWriter writer) => Writers.TryRemove(writer, out _);

        private static IEnumerable<Measurement<long>> ObserveQueueLength()
        {
            foreach (var writer in Writers.Keys) yield return new Measurement<long>(writer.Buffered, new KeyValuePair<string, object?>("service", writer.Service));
        }
    }
}
