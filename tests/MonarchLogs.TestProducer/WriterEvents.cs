using System.Diagnostics.Tracing;
using System.Threading;

namespace MonarchLogs.TestProducer
{
    /// <summary>Counts the provider's own events (EventSource "MonarchLogs-Logging") that the scenarios report.</summary>
    internal sealed class WriterEvents : EventListener
    {
        private const int WriteFailedEvent = 1;
        private const int PartitionSetAsideEvent = 6;
        private long _writeFailures;
        private long _partitionsSetAside;

        /// <summary>Failed write attempts, each retried later (a lost connection, a timeout, a server still loading).</summary>
        public long WriteFailures => Interlocked.Read(ref _writeFailures);

        /// <summary>Times a partition was set aside after it refused writes for good.</summary>
        public long PartitionsSetAside => Interlocked.Read(ref _partitionsSetAside);

        protected override void OnEventSourceCreated(EventSource eventSource)
        {
            if (eventSource.Name == "MonarchLogs-Logging") EnableEvents(eventSource, EventLevel.Verbose);
        }

        protected override void OnEventWritten(EventWrittenEventArgs eventData)
        {
            if (eventData.EventId == WriteFailedEvent) Interlocked.Increment(ref _writeFailures);
            else if (eventData.EventId == PartitionSetAsideEvent) Interlocked.Increment(ref _partitionsSetAside);
        }
    }
}
