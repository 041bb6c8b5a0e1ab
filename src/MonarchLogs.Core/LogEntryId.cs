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
        public LogEntryId(StreamId position, string service, MonarchLogLevel level)
        {
            Position = position;
            Service = service;
            Level = level;
        }

        public StreamId Position { get; }

        public string Service { get; }

        public MonarchLogLevel Level { get; }

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

        public static LogEntryId Parse(string text)
        {
            if (TryParse(text, out var id)) return id;
            throw new FormatException($"'{text}' is not a log entry Id; an Id looks like 1764340087123-0@orders/error.");
        }

        public int CompareTo(LogEntryId other)
        {
            var byPosition = Position.CompareTo(other.Position);
            if (byPosition != 0) return byPosition;
            return string.CompareOrdinal(PartitionOrderKey(Service, Level), PartitionOrderKey(other.Service, other.Level));
        }

        /// <summary>Ties between equal stream IDs are broken by partition, ordinally.</summary>
        internal static string PartitionOrderKey(string service, MonarchLogLevel level) => service + "\n" + LogLevels.StorageName(level);

        public override string ToString() => $"{Position}@{Service}/{LogLevels.StorageName(Level)}";
    }

    /// <summary>A Valkey stream ID: milliseconds and a sequence number.</summary>
    public readonly struct StreamId : IComparable<StreamId>, IEquatable<StreamId>
    {
        public StreamId(long milliseconds, long sequence)
        {
            Milliseconds = milliseconds;
            Sequence = sequence;
        }

        public long Milliseconds { get; }

        public long Sequence { get; }

        private static readonly long UnixEpochTicks = new DateTime(1970, 1, 1, 0, 0, 0, DateTimeKind.Utc).Ticks;

        public static StreamId FromTime(DateTime utc) =>
            new StreamId(ToUnixMilliseconds(utc), 0);

        public static long ToUnixMilliseconds(DateTime utc) =>
            (utc.ToUniversalTime().Ticks - UnixEpochTicks) / TimeSpan.TicksPerMillisecond;

        public static DateTime ToUtcTime(long unixMilliseconds) =>
            new DateTime(UnixEpochTicks + unixMilliseconds * TimeSpan.TicksPerMillisecond, DateTimeKind.Utc);

        public static bool TryParse(string? text, out StreamId position)
        {
            position = default;
            if (string.IsNullOrEmpty(text)) return false;
            var dash = text!.IndexOf('-');
            if (dash <= 0) return false;
            if (!long.TryParse(text.Substring(0, dash), NumberStyles.None, CultureInfo.InvariantCulture, out var ms)) return false;
            if (!long.TryParse(text.Substring(dash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var seq)) return false;
            position = new StreamId(ms, seq);
            return true;
        }

        public int CompareTo(StreamId other)
        {
            var byMs = Milliseconds.CompareTo(other.Milliseconds);
            return byMs != 0 ? byMs : Sequence.CompareTo(other.Sequence);
        }

        public bool Equals(StreamId other) => Milliseconds == other.Milliseconds && Sequence == other.Sequence;

        public override bool Equals(object? obj) => obj is StreamId other && Equals(other);

        public override int GetHashCode() => unchecked((Milliseconds.GetHashCode() * 397) ^ Sequence.GetHashCode());

        /// <summary>The next ID after this one: the lowest ID a trim to "everything up to and including this entry" keeps.</summary>
        public StreamId Next() => Sequence == long.MaxValue ? new StreamId(Milliseconds + 1, 0) : new StreamId(Milliseconds, Sequence + 1);

        public override string ToString() =>
            Milliseconds.ToString(CultureInfo.InvariantCulture) + "-" + Sequence.ToString(CultureInfo.InvariantCulture);
    }
}
