using System.Diagnostics.Tracing;

namespace MonarchLogs.Logging
{
    /// <summary>
    /// The provider's own failures, kept out of the application: listen with dotnet-trace,
    /// dotnet-counters or an in-process EventListener on "MonarchLogs-Logging".
    /// </summary>
    [EventSource(Name = "MonarchLogs-Logging")]
    internal sealed class MonarchLogsEventSource : EventSource
    {
        public static readonly MonarchLogsEventSource Log = new MonarchLogsEventSource();

        [Event(1, Level = EventLevel.Warning, Message = "Writing {0} log entries to Valkey failed; retrying in {1} ms: {2}")]
        public void WriteFailed(int entries, int retryInMilliseconds, string error) => WriteEvent(1, entries, retryInMilliseconds, error);

        [Event(2, Level = EventLevel.Warning, Message = "{0} log entries were dropped because the buffer of {1} entries was full")]
        public void EntriesDropped(long entries, int capacity) => WriteEvent(2, entries, capacity);

        [Event(3, Level = EventLevel.Error, Message = "{0} log entries were not written before the flush timeout at shutdown")]
        public void FlushTimedOut(long entries) => WriteEvent(3, entries);

        [Event(4, Level = EventLevel.Error, Message = "A log entry could not be captured: {0}")]
        public void CaptureFailed(string error) => WriteEvent(4, error);

        [Event(5, Level = EventLevel.Informational, Message = "Writing to Valkey resumed")]
        public void WriteResumed() => WriteEvent(5);
    }
}
