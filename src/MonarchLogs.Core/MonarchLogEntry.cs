using System;

namespace MonarchLogs.Core
{
    /// <summary>
    /// One stored log entry. Every member is text, a number, a time or an enum, so that
    /// Export-Csv, ConvertTo-Json and the web API show readable values.
    /// </summary>
    public sealed class MonarchLogEntry
    {
        /// <summary>Cursor of the entry (see <see cref="LogEntryId"/>); null before it is stored.</summary>
        public string? Id { get; init; }

        /// <summary>Event time, UTC.</summary>
        public DateTime Timestamp { get; init; }

        public MonarchLogLevel Level { get; init; }

        public string Service { get; init; } = string.Empty;

        public string Category { get; init; } = string.Empty;

        public string Message { get; init; } = string.Empty;

        public string Template { get; init; } = string.Empty;

        public int EventId { get; init; }

        public string EventName { get; init; } = string.Empty;

        public string ExceptionType { get; init; } = string.Empty;

        public string ExceptionMessage { get; init; } = string.Empty;

        /// <summary>The whole exception as text: type, message, stack and inner exceptions.</summary>
        public string Exception { get; init; } = string.Empty;

        public string TraceId { get; init; } = string.Empty;

        public string SpanId { get; init; } = string.Empty;

        public string Host { get; init; } = string.Empty;

        /// <summary>Structured properties as a JSON object; empty when there are none.</summary>
        public string Properties { get; init; } = string.Empty;

        public override string ToString() => $"{Timestamp:O} [{Level}] {Service}: {Message}";
    }
}
