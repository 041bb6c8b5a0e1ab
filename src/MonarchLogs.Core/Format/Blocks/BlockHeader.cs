using System;
using System.Collections.Generic;
using System.Globalization;

namespace MonarchLogs.Core.Format.Blocks
{
    /// <summary>
    /// What a reader knows of a block without opening its payload: how many entries, the span of
    /// their event times, who wrote it, how it is stored, its entries per minute and its skip data.
    /// Times are 100 ns ticks since the Unix epoch (negative before 1970).
    /// </summary>
    internal sealed class BlockHeader
    {
        /// <summary>The most entries a block may hold; a reader refuses a header that claims more.</summary>
        public const int MaxCount = 1_000_000;

        /// <summary>n: the entries in the block, at least one.</summary>
        public int Count { get; init; }

        /// <summary>t0: the earliest event time of the block's entries.</summary>
        public long FirstTicks { get; init; }

        /// <summary>t1: the latest event time of the block's entries (entries of one block need not be in time order).</summary>
        public long LastTicks { get; init; }

        /// <summary>w: the writer that made the block; empty when unknown (a block written by hand).</summary>
        public string WriterId { get; init; } = string.Empty;

        /// <summary>seq: the writer's number for the block; with <see cref="WriterId"/> it names a block that a retry sent twice.</summary>
        public long Sequence { get; init; }

        /// <summary>codec: how the payload is stored.</summary>
        public BlockCodec Codec { get; init; }

        /// <summary>min: the entries per minute of event time, minutes ascending; empty when the writer did not say.</summary>
        public IReadOnlyList<MinuteCount> MinuteCounts { get; init; } = Array.Empty<MinuteCount>();

        /// <summary>bloom: the skip data of the block's tokens; null when the block has none (a reader must open it).</summary>
        public BloomFilter? Bloom { get; init; }

        private static readonly long UnixEpochTicks = new DateTime(1970, 1, 1, 0, 0, 0, DateTimeKind.Utc).Ticks;

        /// <summary>100 ns ticks since the Unix epoch of a time (converted to UTC first, as format 1 does: a time of unspecified kind counts as local).</summary>
        public static long ToUnixTicks(DateTime time) => AsUtc(time).Ticks - UnixEpochTicks;

        /// <summary>The time in UTC; one of unspecified kind counts as local, as format 1 stores it.</summary>
        public static DateTime AsUtc(DateTime time) => time.Kind == DateTimeKind.Utc ? time : time.ToUniversalTime();

        /// <summary>The UTC time <paramref name="unixTicks"/> after the Unix epoch.</summary>
        public static DateTime FromUnixTicks(long unixTicks) => new DateTime(unixTicks + UnixEpochTicks, DateTimeKind.Utc);

        /// <summary>The minute (since the Unix epoch, rounded down) of a time in Unix ticks.</summary>
        public static long MinuteOf(long unixTicks) => FloorDivide(unixTicks, TimeSpan.TicksPerMinute);

        private static long FloorDivide(long value, long divisor) => value >= 0 ? value / divisor : -((-value + divisor - 1) / divisor);
    }

    /// <summary>Entries of a block in one minute of event time (minutes since the Unix epoch).</summary>
    internal readonly struct MinuteCount : IEquatable<MinuteCount>
    {
        public MinuteCount(long minute, int count)
        {
            Minute = minute;
            Count = count;
        }

        public long Minute { get; }

        public int Count { get; }

        public bool Equals(MinuteCount other) => Minute == other.Minute && Count == other.Count;

        public override bool Equals(object? obj) => obj is MinuteCount other && Equals(other);

        public override int GetHashCode() => unchecked((Minute.GetHashCode() * 397) ^ Count);

        public override string ToString() => Minute.ToString(CultureInfo.InvariantCulture) + ":" + Count.ToString(CultureInfo.InvariantCulture);
    }
}
