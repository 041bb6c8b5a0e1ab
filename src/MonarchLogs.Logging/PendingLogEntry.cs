using System;
using System.Collections.Generic;
using MonarchLogs.Core;

namespace MonarchLogs.Logging
{
    /// <summary>
    /// What <see cref="MonarchValkeyLogger.Log{TState}"/> captures on the caller's thread: the
    /// rendered message and immutable snapshots of the properties, or, for a
    /// <see cref="DeferredLogEntry{TState}"/>, the state to read them from later. Encoding to the
    /// storage format happens later, on the writer's thread.
    /// </summary>
    internal class PendingLogEntry
    {
        public DateTime Timestamp { get; set; }

        public MonarchLogLevel Level { get; set; }

        public string Service { get; set; } = string.Empty;

        public string Category { get; set; } = string.Empty;

        public string Message { get; set; } = string.Empty;

        public string? Template { get; set; }

        public int EventId { get; set; }

        public string? EventName { get; set; }

        public Exception? Exception { get; set; }

        public string? TraceId { get; set; }

        public string? SpanId { get; set; }

        /// <summary>State and scope properties; values are scalars, strings or arrays of those.</summary>
        public List<KeyValuePair<string, object?>>? Properties { get; set; }

        /// <summary>How many of <see cref="Properties"/>, from the start, came from scopes (the rest from the message's state).</summary>
        public int ScopePropertyCount { get; set; }

        /// <summary>Scopes that are not key/value pairs, as text, outermost first.</summary>
        public List<string>? Scopes { get; set; }

        /// <summary>Fills in the message, the template and the state's properties when they were left to the writer's thread; never throws.</summary>
        public virtual void ReadDeferredState()
        {
        }
    }
}
