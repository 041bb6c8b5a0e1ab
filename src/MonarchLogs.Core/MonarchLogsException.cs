using System;

namespace MonarchLogs.Core
{
    /// <summary>
    /// A failure the store engine explains in one line, with an id that never changes
    /// (for example <c>InvalidTimeRange</c>), so scripts and tests can rely on it.
    /// </summary>
    public sealed class MonarchLogsException : Exception
    {
        /// <summary>A failure with a stable id.</summary>
        /// <param name="errorId">The stable PascalCase id, for example <c>InvalidTimeRange</c>.</param>
        /// <param name="kind">What kind of failure it is.</param>
        /// <param name="message">One line that says what failed and what to do.</param>
        /// <param name="inner">The exception that caused it, if any.</param>
        /// <param name="transient">Whether a retry may succeed.</param>
        public MonarchLogsException(string errorId, MonarchErrorKind kind, string message, Exception? inner = null, bool transient = false)
            : base(message, inner)
        {
            ErrorId = errorId;
            Kind = kind;
            IsTransient = transient;
        }

        /// <summary>Whether a retry may succeed (a lost connection, a server loading); see <see cref="StoreErrors"/>.</summary>
        public bool IsTransient { get; }

        /// <summary>The stable PascalCase id of the failure, the same in the cmdlets and the web API.</summary>
        public string ErrorId { get; }

        /// <summary>What kind of failure it is.</summary>
        public MonarchErrorKind Kind { get; }
    }
}
