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

        /// <summary>The entry's level.</summary>
        public MonarchLogLevel Level { get; init; }

        /// <summary>The service that wrote the entry.</summary>
        public string Service { get; init; } = string.Empty;

        /// <summary>The logger category, usually the full name of the class that logged.</summary>
        public string Category { get; init; } = string.Empty;

        /// <summary>The formatted message.</summary>
        public string Message { get; init; } = string.Empty;

        /// <summary>The message template, before its arguments were filled in.</summary>
        public string Template { get; init; } = string.Empty;

        /// <summary>The event id number; 0 when none was given.</summary>
        public int EventId { get; init; }

        /// <summary>The event name; empty when none was given.</summary>
        public string EventName { get; init; } = string.Empty;

        /// <summary>The exception's full type name; empty without an exception.</summary>
        public string ExceptionType { get; init; } = string.Empty;

        /// <summary>The exception's message; empty without an exception.</summary>
        public string ExceptionMessage { get; init; } = string.Empty;

        /// <summary>The whole exception as text: type, message, stack and inner exceptions.</summary>
        public string Exception { get; init; } = string.Empty;

        /// <summary>The W3C trace id of the activity the entry was logged in; empty outside one.</summary>
        public string TraceId { get; init; } = string.Empty;

        /// <summary>The W3C span id of the activity the entry was logged in; empty outside one.</summary>
        public string SpanId { get; init; } = string.Empty;

        /// <summary>The name of the machine that wrote the entry.</summary>
        public string Host { get; init; } = string.Empty;

        private string _properties = string.Empty;
        private string? _plainText;

        /// <summary>Structured properties as a JSON object; empty when there are none.</summary>
        public string Properties
        {
            get => PlainProperties.IsEmpty ? _properties : _plainText ??= PlainPropertiesText();
            init => _properties = value ?? string.Empty;
        }

        /// <summary>
        /// The properties as the logging provider's encoder wrote them, when they are a plain
        /// object (<see cref="Format.PropertiesJson.IsPlainObject"/>): the block encoder writes and
        /// indexes these bytes as they are, and <see cref="Properties"/> is made of them only when
        /// something reads it (a text given to <see cref="Properties"/> as well is not read). Empty
        /// otherwise: then <see cref="Properties"/> holds the text.
        /// </summary>
        internal ReadOnlyMemory<byte> PlainProperties { get; init; }

        /// <summary>The length of the properties' text, without making it (a plain object is ASCII: a byte per character).</summary>
        internal int PropertiesLength => PlainProperties.IsEmpty ? _properties.Length : PlainProperties.Length;

        private string PlainPropertiesText()
        {
#if NETSTANDARD2_0
            return System.Text.Encoding.ASCII.GetString(PlainProperties.ToArray());
#else
            return System.Text.Encoding.ASCII.GetString(PlainProperties.Span);
#endif
        }

        /// <summary><c>timestamp [level] service: message</c>, for a quick look.</summary>
        public override string ToString() => $"{Timestamp:O} [{Level}] {Service}: {Message}";
    }
}
