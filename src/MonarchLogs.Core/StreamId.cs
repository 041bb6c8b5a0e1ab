using System;
using System.Globalization;

namespace MonarchLogs.Core
{
    /// <summary>A Valkey stream ID: milliseconds and a sequence number.</summary>
    public readonly struct StreamId : IComparable<StreamId>, IEquatable<StreamId>
    {
        /// <summary>The stream ID <c>&lt;milliseconds&gt;-&lt;sequence&gt;</c>.</summary>
        public StreamId(long milliseconds, long sequence)
        {
            Milliseconds = milliseconds;
            Sequence = sequence;
        }

        /// <summary>Milliseconds since the Unix epoch: the entry's ID time.</summary>
        public long Milliseconds { get; }

        /// <summary>The sequence number among entries of the same millisecond.</summary>
        public long Sequence { get; }

        private static readonly long UnixEpochTicks = new DateTime(1970, 1, 1, 0, 0, 0, DateTimeKind.Utc).Ticks;

        /// <summary>The first stream ID of the millisecond of <paramref name="utc"/>.</summary>
        public static StreamId FromTime(DateTime utc) =>
            new StreamId(ToUnixMilliseconds(utc), 0);

        /// <summary>Milliseconds from the Unix epoch to <paramref name="utc"/> (a local time is converted to UTC first).</summary>
        public static long ToUnixMilliseconds(DateTime utc) =>
            (utc.ToUniversalTime().Ticks - UnixEpochTicks) / TimeSpan.TicksPerMillisecond;

        /// <summary>The UTC time <paramref name="unixMilliseconds"/> after the Unix epoch.</summary>
        public static DateTime ToUtcTime(long unixMilliseconds) =>
            new DateTime(UnixEpochTicks + unixMilliseconds * TimeSpan.TicksPerMillisecond, DateTimeKind.Utc);

        /// <summary>Reads <c>&lt;ms&gt;-&lt;seq&gt;</c>; false for anything else.</summary>
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

        /// <inheritdoc />
        public int CompareTo(StreamId other)
        {
            var byMs = Milliseconds.CompareTo(other.Milliseconds);
            return byMs != 0 ? byMs : Sequence.CompareTo(other.Sequence);
        }

        /// <inheritdoc />
        public bool Equals(StreamId other) => Milliseconds == other.Milliseconds && Sequence == other.Sequence;

        /// <inheritdoc />
        public override bool Equals(object? obj) => obj is StreamId other && Equals(other);

        /// <inheritdoc />
        public override int GetHashCode() => unchecked((Milliseconds.GetHashCode() * 397) ^ Sequence.GetHashCode());

        /// <summary>The next ID after this one: the lowest ID a trim to "everything up to and including this entry" keeps.</summary>
        public StreamId Next() => Sequence == long.MaxValue ? new StreamId(Milliseconds + 1, 0) : new StreamId(Milliseconds, Sequence + 1);

        /// <summary>The ID as Valkey writes it: <c>&lt;ms&gt;-&lt;seq&gt;</c>.</summary>
        public override string ToString() =>
            Milliseconds.ToString(CultureInfo.InvariantCulture) + "-" + Sequence.ToString(CultureInfo.InvariantCulture);
    }
}
