using System;

namespace MonarchLogs.Core.Format.Blocks
{
    /// <summary>
    /// Format 2's rules of time and order (docs/storage-format.md, "Format 2"): where an entry
    /// stands in the store's order, and how far a block's stream ID may lie from its entries'
    /// event times before the block counts as late.
    /// </summary>
    internal static class BlockPositions
    {
        /// <summary>S: how far an on-time block's newest event time may lie after its ID (a writer's clock ahead of the server's).</summary>
        public static readonly TimeSpan Lead = TimeSpan.FromSeconds(10);

        /// <summary>L: how far an on-time block's oldest event time may lie before its ID (the head's compaction window, a batch's wait, its retries).</summary>
        public static readonly TimeSpan Lag = TimeSpan.FromMinutes(10);

        /// <summary>A head is compacted into one block once its oldest block is this old (or it holds <see cref="MaxBlockEntries"/>).</summary>
        public static readonly TimeSpan CompactAfter = TimeSpan.FromMinutes(5);

        /// <summary>The most entries a writer puts in one block.</summary>
        public const int MaxBlockEntries = 1024;

        /// <summary>The most bytes of JSON lines a writer puts in one block (an entry larger than that is a block of its own).</summary>
        public const int MaxBlockBytes = 1024 * 1024;

        /// <summary>A partition's entries of one batch go straight into its stream as blocks from this many on; fewer go to its head.</summary>
        public const int DirectBlockEntries = 256;

        private const long TicksPerMillisecond = TimeSpan.TicksPerMillisecond;

        /// <summary>
        /// The position of an entry: its event time in Unix milliseconds, then
        /// (the remaining 100 ns ticks × 65,536 + ordinal), where ordinal tells apart entries of
        /// one block with the same tick, in stored order. Written like a stream ID, so an entry
        /// Id stays <c>&lt;ms&gt;-&lt;seq&gt;@&lt;service&gt;/&lt;level&gt;</c> and survives compaction.
        /// Event times before 1970 stand at 0.
        /// </summary>
        public static StreamId Of(long unixTicks, int ordinal)
        {
            if (ordinal < 0 || ordinal > ushort.MaxValue) throw new ArgumentOutOfRangeException(nameof(ordinal));
            if (unixTicks < 0) return new StreamId(0, ordinal);
            return new StreamId(unixTicks / TicksPerMillisecond, ((unixTicks % TicksPerMillisecond) << 16) | (long)ordinal);
        }

        /// <summary>The first position at or after an event time: a time filter's exact bound, to the tick.</summary>
        public static StreamId AtTime(DateTime utc) => Of(Math.Max(0, BlockHeader.ToUnixTicks(utc)), 0);

        /// <summary>The event time a position stands for, in Unix ticks (before 1970: 0).</summary>
        public static long TicksOf(StreamId position) => position.Milliseconds * TicksPerMillisecond + ((position.Sequence >> 16) % TicksPerMillisecond);

        /// <summary>Whether a block stored at <paramref name="idMilliseconds"/> is on time: every event time within [ID − <see cref="Lag"/>, ID + <see cref="Lead"/>].</summary>
        public static bool IsOnTime(long idMilliseconds, long firstTicks, long lastTicks) =>
            firstTicks / TicksPerMillisecond >= idMilliseconds - (long)Lag.TotalMilliseconds
            && lastTicks / TicksPerMillisecond <= idMilliseconds + (long)Lead.TotalMilliseconds;
    }
}
