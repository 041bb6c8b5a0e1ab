using System;
using MonarchLogs.Core.Format.Blocks;

namespace MonarchLogs.Core.Append
{
    /// <summary>
    /// Where a writer cuts its entries into blocks: at most <see cref="BlockPositions.MaxBlockEntries"/>
    /// entries and <see cref="BlockPositions.MaxBlockBytes"/> of JSON lines (an entry larger than
    /// that is a block of its own), and event times spanning at most <see cref="BlockPositions.Lag"/>,
    /// so that a block sent at once is on time.
    /// </summary>
    internal struct BlockCut
    {
        private static readonly long LagTicks = BlockPositions.Lag.Ticks;

        private long _first;
        private long _last;

        /// <summary>Entries in the block so far.</summary>
        public int Count { get; private set; }

        /// <summary>Bytes of JSON lines in the block so far (estimated: <see cref="SizeOf"/>).</summary>
        public long Bytes { get; private set; }

        /// <summary>Whether <paramref name="count"/> more entries of <paramref name="bytes"/> with event times in [<paramref name="first"/>, <paramref name="last"/>] still fit.</summary>
        public readonly bool Fits(int count, long bytes, long first, long last) =>
            Count == 0
            || (Count + count <= BlockPositions.MaxBlockEntries && Bytes + bytes <= BlockPositions.MaxBlockBytes
                && Math.Max(_last, last) - Math.Min(_first, first) <= LagTicks);

        public void Add(int count, long bytes, long first, long last)
        {
            _first = Count == 0 ? first : Math.Min(_first, first);
            _last = Count == 0 ? last : Math.Max(_last, last);
            Count += count;
            Bytes += bytes;
        }

        /// <summary>
        /// An entry's JSON line in bytes, estimated from its text's length without encoding it: the
        /// field names and time, then a byte per character (text is mostly ASCII; a block of
        /// other text may hold up to three times the bound).
        /// </summary>
        public static long SizeOf(MonarchLogEntry entry) =>
            120L + Length(entry.Category) + Length(entry.Message) + Length(entry.Template) + Length(entry.EventName)
            + Length(entry.ExceptionType) + Length(entry.ExceptionMessage) + Length(entry.Exception) + Length(entry.TraceId)
            + Length(entry.SpanId) + Length(entry.Host) + entry.PropertiesLength;

        private static int Length(string? text) => text?.Length ?? 0;
    }
}
