using System;

namespace MonarchLogs.Core.Archive
{
    /// <summary>How lines that do not say everything are completed on import.</summary>
    public sealed class ImportDefaults
    {
        /// <summary>The service of an entry whose line names none (console log lines never do).</summary>
        public string? Service { get; init; }

        /// <summary>
        /// As the logging provider's ServicePropertyName: the innermost scope property of this name
        /// whose value is a valid service name routes a console log line to that service.
        /// </summary>
        public string? ServicePropertyName { get; init; }

        /// <summary>The event time of a console log line without "Timestamp"; without it such a line is an error.</summary>
        public DateTime? Timestamp { get; init; }
    }
}
