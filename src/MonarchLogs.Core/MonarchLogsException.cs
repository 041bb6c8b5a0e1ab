using System;

namespace MonarchLogs.Core
{
    /// <summary>What kind of failure an error is; the cmdlets map it to an ErrorCategory, the web API to a status.</summary>
    public enum MonarchErrorKind
    {
        InvalidArgument,
        ConnectionError,
        InvalidData,
        PermissionDenied,
        OperationTimeout,
    }

    /// <summary>
    /// A failure the store engine explains in one line, with an id that never changes
    /// (for example <c>InvalidTimeRange</c>), so scripts and tests can rely on it.
    /// </summary>
    public sealed class MonarchLogsException : Exception
    {
        public MonarchLogsException(string errorId, MonarchErrorKind kind, string message, Exception? inner = null, bool transient = false)
            : base(message, inner)
        {
            ErrorId = errorId;
            Kind = kind;
            IsTransient = transient;
        }

        /// <summary>Whether a retry may succeed (a lost connection, a server loading); see <see cref="StoreErrors"/>.</summary>
        public bool IsTransient { get; }

        public string ErrorId { get; }

        public MonarchErrorKind Kind { get; }
    }
}
