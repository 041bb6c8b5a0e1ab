using System.Diagnostics.Tracing;
using System.Threading;

namespace MonarchLogs.TestProducer
{
    /// <summary>Counts the provider's own events (EventSource "MonarchLogs-Logging") that the scenarios report.</summary>
    internal sealed class WriterEvents : EventListener
    {
        private const int WriteFailedEvent = 1;
        private const int PartitionSetAsideEvent = 6;
        private const int ProcessExitFlushTimedOutEvent = 11;
        private long _writeFailures;
        private long _partitionsSetAside;
        private long _processExitFlushTimeouts;

        /// <summary>Failed write attempts, each retried later (a lost connection, a timeout, a server still loading).</summary>
        public long WriteFailures => Interlocked.Read(ref _writeFailures);

        /// <summary>Times a partition was set aside after it refused writes for good.</summary>
        public long PartitionsSetAside => Interlocked.Read(ref _partitionsSetAside);

        /// <summary>Times the process-exit flush left entries unwritten (the event, as an in-process listener still hears it at exit).</summary>
        public long ProcessExitFlushTimeouts => Interlocked.Read(ref _processExitFlushTimeouts);

        protected override void OnEventSourceCreated(EventSource eventSource)
        {
            if (eventSource.Name == "MonarchLogs-Logging") EnableEvents(eventSource, EventLevel.Verbose);
        }

        protected override void OnEventWritten(EventWrittenEventArgs eventData)
        {
            if (eventData.EventId == WriteFailedEvent) Interlocked.Increment(ref _writeFailures);
            else if (eventData.EventId == PartitionSetAsideEvent) Interlocked.Increment(ref _partitionsSetAside);
            else if (eventData.EventId == ProcessExitFlushTimedOutEvent) Interlocked.Increment(ref _processExitFlushTimeouts);
        }
    }
}
