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

        [Event(1, Level = EventLevel.Warning, Message = "{0}: writing {1} log entries to Valkey failed; retrying in {2} ms: {3}")]
        public void WriteFailed(string service, int entries, int retryInMilliseconds, string error) => WriteEvent(1, service, entries, retryInMilliseconds, error);

        [Event(2, Level = EventLevel.Warning, Message = "{0}: a notice was stored that {1} log entries were not stored: {2}")]
        public void EntriesDropped(string service, long entries, string notice) => WriteEvent(2, service, entries, notice);

        [Event(3, Level = EventLevel.Error, Message = "{0}: at shutdown, {1} log entries were not sent before the flush timeout and {2} were sent but not confirmed")]
        public void FlushTimedOut(string service, long notSent, long unconfirmed) => WriteEvent(3, service, notSent, unconfirmed);

        [Event(4, Level = EventLevel.Error, Message = "{0}: a log entry could not be captured: {1}")]
        public void CaptureFailed(string service, string error) => WriteEvent(4, service, error);

        [Event(5, Level = EventLevel.Informational, Message = "{0}: writing to Valkey resumed")]
        public void WriteResumed(string service) => WriteEvent(5, service);

        [Event(6, Level = EventLevel.Error, Message = "{0}: the partition {1} refused writes ({2}: {3}); its entries are dropped and counted until a retry works")]
        public void PartitionSetAside(string service, string key, string errorId, string error) => WriteEvent(6, service, key, errorId, error);

        [Event(7, Level = EventLevel.Critical, Message = "{0}: the log writer failed and was restarted; {1} entries it held were lost: {2}")]
        public void WriterRestarted(string service, long lost, string error) => WriteEvent(7, service, lost, error);

        [Event(8, Level = EventLevel.Error, Message = "{0}: {1} log entries were not stored ({2}): {3}")]
        public void EntriesNotStored(string service, long entries, string reason, string error) => WriteEvent(8, service, entries, reason, error);

        [Event(9, Level = EventLevel.Error, Message = "{0}: the store refused writes ({1}: {2}); entries are dropped and counted until a retry works")]
        public void StoreRefused(string service, string errorId, string error) => WriteEvent(9, service, errorId, error);

        [Event(10, Level = EventLevel.Warning, Message = "{0}: the partition registry could not be written ({1}: {2}); entries are stored, but readers may not list a new partition yet")]
        public void RegistryWriteFailed(string service, string errorId, string error) => WriteEvent(10, service, errorId, error);

        [Event(11, Level = EventLevel.Error, Message = "{0}: the process exited without disposing the provider; {1} log entries were not sent before the process-exit flush timeout and {2} were sent but not confirmed")]
        public void ProcessExitFlushTimedOut(string service, long notSent, long unconfirmed) => WriteEvent(11, service, notSent, unconfirmed);

        [Event(12, Level = EventLevel.Warning, Message = "{0}: the head of the partition {1} could not be compacted ({2}: {3}); its entries stay readable in the head, and the writer tries again later")]
        public void HeadCompactionFailed(string service, string key, string errorId, string error) => WriteEvent(12, service, key, errorId, error);

        [Event(13, Level = EventLevel.Error, Message = "{0}: the store must be upgraded before this version writes to it ({1}: {2}); entries stay buffered and are written once it is")]
        public void StoreNeedsUpgrade(string service, string errorId, string error) => WriteEvent(13, service, errorId, error);
    }
}
