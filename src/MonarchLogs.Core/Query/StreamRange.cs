using System;
using MonarchLogs.Core.Format;
using MonarchLogs.Core.Format.Blocks;
using StackExchange.Redis;

namespace MonarchLogs.Core.Query
{
    /// <summary>
    /// The positions of one partition that a filter allows: the time range [Since, Until)
    /// intersected with the After/Before cursors, whose ties between equal positions fall by
    /// partition order (docs/storage-format.md, "Entry identity"). In format 1 a position is a
    /// stream ID and the range is the read's ID range; in format 2 it is an entry's position
    /// (<see cref="BlockPositions"/>), exact to the tick, which the block reader checks itself.
    /// </summary>
    internal readonly struct StreamRange
    {
        private StreamRange(StreamId? low, bool lowExclusive, StreamId? high, bool highExclusive)
        {
            Low = low;
            LowExclusive = lowExclusive;
            High = high;
            HighExclusive = highExclusive;
        }

        public StreamId? Low { get; }

        public bool LowExclusive { get; }

        public StreamId? High { get; }

        public bool HighExclusive { get; }

        /// <summary>The range of <paramref name="partition"/>; with <paramref name="exactToTick"/> (format 2) the time range bounds positions to the tick (<see cref="BlockPositions.AtTime"/>), else to the millisecond of a stream ID.</summary>
        public static StreamRange For(Partition partition, LogFilter filter, bool exactToTick = false)
        {
            StreamId? low = null, high = null;
            bool lowExclusive = false, highExclusive = false;
            if (filter.Query.Since is { } since) (low, lowExclusive) = (exactToTick ? BlockPositions.AtTime(since) : StreamId.FromTime(since), false);
            if (filter.Query.Until is { } until) (high, highExclusive) = (exactToTick ? BlockPositions.AtTime(until) : StreamId.FromTime(until), true);
            if (filter.After is { } after)
            {
                var exclusive = string.CompareOrdinal(partition.OrderKey, LogEntryId.PartitionOrderKey(after.Service, after.Level)) <= 0;
                (low, lowExclusive) = Tighter(low, lowExclusive, after.Position, exclusive, lower: true);
            }

            if (filter.Before is { } before)
            {
                var exclusive = string.CompareOrdinal(partition.OrderKey, LogEntryId.PartitionOrderKey(before.Service, before.Level)) >= 0;
                (high, highExclusive) = Tighter(high, highExclusive, before.Position, exclusive, lower: false);
            }

            return new StreamRange(low, lowExclusive, high, highExclusive);
        }

        /// <summary>Whether the range can hold anything at all.</summary>
        public bool IsEmpty
        {
            get
            {
                // Nothing comes before 0-0, and Valkey refuses "(0-0" as an end ("invalid end ID").
                if (HighExclusive && High is { Milliseconds: 0, Sequence: 0 }) return true;
                if (Low is not { } low || High is not { } high) return false;
                var order = low.CompareTo(high);
                return order > 0 || (order == 0 && (LowExclusive || HighExclusive));
            }
        }

        /// <summary>Whether the range holds a position.</summary>
        public bool Contains(StreamId position)
        {
            if (Low is { } low)
            {
                var order = position.CompareTo(low);
                if (order < 0 || (order == 0 && LowExclusive)) return false;
            }

            if (High is { } high)
            {
                var order = position.CompareTo(high);
                if (order > 0 || (order == 0 && HighExclusive)) return false;
            }

            return true;
        }

        public RedisValue LowArgument => Low is { } low ? (LowExclusive ? "(" + low : low.ToString()) : "-";

        public RedisValue HighArgument => High is { } high ? (HighExclusive ? "(" + high : high.ToString()) : "+";

        /// <summary>The same range, continuing after an entry already read in the given direction.</summary>
        public StreamRange ContinueAfter(StreamId last, bool descending) =>
            descending
                ? new StreamRange(Low, LowExclusive, last, true)
                : new StreamRange(last, true, High, HighExclusive);

        private static (StreamId?, bool) Tighter(StreamId? current, bool currentExclusive, StreamId candidate, bool candidateExclusive, bool lower)
        {
            if (current is not { } existing) return (candidate, candidateExclusive);
            var order = candidate.CompareTo(existing);
            if (order == 0) return (existing, currentExclusive || candidateExclusive);
            var candidateIsTighter = lower ? order > 0 : order < 0;
            return candidateIsTighter ? (candidate, candidateExclusive) : (existing, currentExclusive);
        }
    }
}
