using System;
using MonarchLogs.Core;

namespace MonarchLogs.Cmdlets
{
    /// <summary>
    /// One stored entry as Get-MonarchLog and Watch-MonarchLog write it. Its .NET properties are
    /// what ConvertTo-Json writes: ConvertTo-Json reads them by reflection, ignores ETS members of
    /// the same name and writes an enum as a number, so <see cref="Level"/> here is the level's name.
    /// MonarchLogs.Types.ps1xml puts typed members in front of them for everything that reads an
    /// object through PowerShell's members (Where-Object, Sort-Object, Export-Csv, the views):
    /// Level is a <see cref="MonarchLogLevel"/> there and Timestamp a DateTime that Export-Csv
    /// writes as ISO 8601 UTC (see <see cref="MonarchLogRecordMembers"/>).
    /// </summary>
    public sealed class MonarchLogRecord
    {
        internal MonarchLogRecord(MonarchLogEntry entry) => Entry = entry;

        internal MonarchLogEntry Entry { get; }

        private MonarchLogProperties? _properties;

        public string? Id => Entry.Id;

        /// <summary>Event time, UTC.</summary>
        public DateTime Timestamp => Entry.Timestamp;

        /// <summary>The level's name, such as "Error".</summary>
        public string Level => Entry.Level.ToString();

        public string Service => Entry.Service;

        public string Category => Entry.Category;

        public string Message => Entry.Message;

        public string Template => Entry.Template;

        public int EventId => Entry.EventId;

        public string EventName => Entry.EventName;

        public string ExceptionType => Entry.ExceptionType;

        public string ExceptionMessage => Entry.ExceptionMessage;

        /// <summary>The whole exception as text: type, message, stack and inner exceptions.</summary>
        public string Exception => Entry.Exception;

        public string TraceId => Entry.TraceId;

        public string SpanId => Entry.SpanId;

        public string Host => Entry.Host;

        /// <summary>
        /// Structured properties (template arguments and scope values) as a dictionary:
        /// <c>$entry.Properties.OrderId</c>; null when there are none. Its text is the stored JSON.
        /// </summary>
        public MonarchLogProperties? Properties => _properties ??= MonarchLogProperties.Parse(Entry.Properties);

        public override string ToString() => Entry.ToString();
    }
}
