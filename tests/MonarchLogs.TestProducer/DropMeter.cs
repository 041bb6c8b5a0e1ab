using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics.Metrics;
using System.Linq;

namespace MonarchLogs.TestProducer
{
    /// <summary>The provider's meter counter of entries not stored (monarchlogs.entries.dropped), summed by its reason tag.</summary>
    internal sealed class DropMeter : IDisposable
    {
        private readonly MeterListener _listener = new MeterListener();
        private readonly ConcurrentDictionary<string, long> _byReason = new ConcurrentDictionary<string, long>(StringComparer.Ordinal);

        public DropMeter()
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == "MonarchLogs.Logging" && instrument.Name == "monarchlogs.entries.dropped") listener.EnableMeasurementEvents(instrument);
            };
            _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
            {
                foreach (var tag in tags)
                {
                    if (tag.Key == "reason") _byReason.AddOrUpdate((string)tag.Value!, value, (_, sum) => sum + value);
                }
            });
            _listener.Start();
        }

        /// <summary>The reasons measured so far, with their sums.</summary>
        public Dictionary<string, long> ByReason() => _byReason.ToDictionary(pair => pair.Key, pair => pair.Value, StringComparer.Ordinal);

        public void Dispose() => _listener.Dispose();
    }
}
