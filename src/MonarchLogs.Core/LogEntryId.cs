using System;
using System.Globalization;

namespace MonarchLogs.Core
{
    /// <summary>
    /// A position in the store's total order: stream ID, then partition stream key. Written as
    /// <c>&lt;ms&gt;-&lt;seq&gt;@&lt;service&gt;/&lt;level&gt;</c> (docs/storage-format.md).
    /// </summary>
    public readonly struct LogEntryId : IComparable<LogEntryId>
    {
        /// <summary>The entry at <paramref name="position"/> in the partition of <paramref name="service"/> at <paramref name="level"/>.</summary>
        public LogEntryId(StreamId position, string service, MonarchLogLevel level)
        {
            Position = position;
            Service = service;
            Level = level;
        }

        /// <summary>The entry's stream ID.</summary>
        public StreamId Position { get; }

        /// <summary>The service of the entry's partition.</summary>
        public string Service { get; }

        /// <summary>The level of the entry's partition.</summary>
        public MonarchLogLevel Level { get; }

        /// <summary>Reads an id written as <c>&lt;ms&gt;-&lt;seq&gt;@&lt;service&gt;/&lt;level&gt;</c>; false for anything else.</summary>
        public static bool TryParse(string? text, out LogEntryId id)
        {
            id = default;
            if (string.IsNullOrEmpty(text)) return false;
            var at = text!.IndexOf('@');
            var slash = text.LastIndexOf('/');
            if (at <= 0 || slash <= at + 1 || slash == text.Length - 1) return false;
            if (!StreamId.TryParse(text.Substring(0, at), out var position)) return false;
            if (!LogLevels.TryParse(text.Substring(slash + 1), out var level)) return false;
            id = new LogEntryId(position, text.Substring(at + 1, slash - at - 1), level);
            return true;
        }

        /// <summary>Reads an id written as <c>&lt;ms&gt;-&lt;seq&gt;@&lt;service&gt;/&lt;level&gt;</c>.</summary>
        /// <exception cref="FormatException">The text is no log entry id.</exception>
        public static LogEntryId Parse(string text)
        {
            if (TryParse(text, out var id)) return id;
            throw new FormatException($"'{text}' is not a log entry Id; an Id looks like 1764340087123-0@orders/error.");
        }

        /// <summary>Orders by stream ID, then by partition, so that ids merged from several partitions keep one total order.</summary>
        public int CompareTo(LogEntryId other)
        {
            var byPosition = Position.CompareTo(other.Position);
            if (byPosition != 0) return byPosition;
            return string.CompareOrdinal(PartitionOrderKey(Service, Level), PartitionOrderKey(other.Service, other.Level));
        }

        /// <summary>Ties between equal stream IDs are broken by partition, ordinally.</summary>
        internal static string PartitionOrderKey(string service, MonarchLogLevel level) => service + "\n" + LogLevels.StorageName(level);

        /// <summary>The id as <c>&lt;ms&gt;-&lt;seq&gt;@&lt;service&gt;/&lt;level&gt;</c>, for example <c>1764340087123-0@orders/error</c>.</summary>
        public override string ToString() => $"{Position}@{Service}/{LogLevels.StorageName(Level)}";
    }
}
