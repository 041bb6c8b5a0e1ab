using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using MonarchLogs.Core.Format;
using MonarchLogs.Core.Format.Blocks;
using MonarchLogs.Core.Statistics;
using StackExchange.Redis;

namespace MonarchLogs.Core.Retention
{
    /// <summary>
    /// Keeps a format 2 partition's counts (per minute and hour of event time) in step with its
    /// blocks after retention removed the blocks whose entries were all older than a cutoff. The
    /// minutes and hours before the cutoff's go; then every minute up to the cutoff's that the
    /// blocks left still hold entries of (a block spanning the cutoff keeps entries older than it,
    /// at most L before a block's ID unless the block is late) is counted again from those blocks:
    /// their <c>min</c> field, or their entries when a block has none. The hours of those minutes
    /// are summed again from them. So the counts stay the entries the store holds.
    /// A user without the right to change the counts leaves them as they are, as in format 1.
    /// </summary>
    internal static class BlockCountsTrimmer
    {
        private const int LatePage = 100;

        /// <summary>After the blocks whose newest entry is older than <paramref name="keepTicks"/> (Unix ticks) were removed.</summary>
        public static async Task RemoveBeforeAsync(IDatabase db, Partition partition, long keepTicks, CancellationToken cancellationToken)
        {
            var cutoffMinute = BlockHeader.MinuteOf(keepTicks);
            var minutesPerHour = StorageFormat.HourCountsBucketMilliseconds / StorageFormat.CountsBucketMilliseconds;
            var cutoffHour = FloorDivide(cutoffMinute, minutesPerHour);
            try
            {
                var left = await CountLeftAsync(db, partition, cutoffMinute, cancellationToken).ConfigureAwait(false);
                await CountsTrimmer.RemoveFieldsBelowAsync(db, partition.CountsKey, cutoffMinute, cancellationToken).ConfigureAwait(false);
                await CountsTrimmer.RemoveFieldsBelowAsync(db, partition.HourCountsKey, cutoffHour, cancellationToken).ConfigureAwait(false);
                var hours = new SortedSet<long> { cutoffHour };
                if (!left.ContainsKey(cutoffMinute)) left[cutoffMinute] = 0;
                foreach (var minute in left)
                {
                    await CountsTrimmer.SetOrRemoveAsync(db, partition.CountsKey, minute.Key, minute.Value, cancellationToken).ConfigureAwait(false);
                    hours.Add(FloorDivide(minute.Key, minutesPerHour));
                }

                foreach (var hour in hours) await CountsTrimmer.SumHourAsync(db, partition, hour, cancellationToken).ConfigureAwait(false);
            }
            catch (RedisServerException ex) when (ex.Message.StartsWith("NOPERM", StringComparison.Ordinal))
            {
            }
        }

        /// <summary>
        /// The entries per minute, up to and with <paramref name="cutoffMinute"/>, of the blocks that
        /// may hold such entries: the stream's blocks up to the minute's end + L (an on-time block
        /// holds no entry older than L before its ID), the late blocks with t0 before the minute's
        /// end, and the head.
        /// </summary>
        private static async Task<SortedDictionary<long, long>> CountLeftAsync(IDatabase db, Partition partition, long cutoffMinute, CancellationToken cancellationToken)
        {
            var endTicks = (cutoffMinute + 1) * TimeSpan.TicksPerMinute;
            var endMilliseconds = (cutoffMinute + 1) * StorageFormat.CountsBucketMilliseconds;
            var left = new SortedDictionary<long, long>();
            var seen = new HashSet<StreamId>();
            using var decoder = new BlockDecoder();
            var high = "(" + BlockRange.At(endMilliseconds + (long)BlockPositions.Lag.TotalMilliseconds);
            await foreach (var entry in BlockRange.ReadAsync(db, partition.StreamKey, "-", high, cancellationToken).ConfigureAwait(false))
            {
                var block = Add(partition, entry, endTicks, cutoffMinute, decoder, left);
                if (block is not null) seen.Add(block.Id);
            }

            for (long skip = 0; ; skip += LatePage)
            {
                var members = await db.SortedSetRangeByScoreAsync(partition.LateKey, double.NegativeInfinity, endMilliseconds, Exclude.Stop, Order.Ascending, skip, LatePage)
                    .WithCancellation(cancellationToken).ConfigureAwait(false);
                var ids = new List<StreamId>(members.Length);
                foreach (var member in members)
                {
                    if (StreamId.TryParse(member, out var id) && !seen.Contains(id)) ids.Add(id);
                }

                foreach (var entry in await BlockRange.ReadEachAsync(db, partition.StreamKey, ids, cancellationToken).ConfigureAwait(false))
                {
                    if (entry is { } found) Add(partition, found, endTicks, cutoffMinute, decoder, left);
                }

                if (members.Length < LatePage) break;
            }

            await foreach (var entry in BlockRange.ReadAsync(db, partition.HeadKey, "-", "+", cancellationToken).ConfigureAwait(false))
            {
                Add(partition, entry, endTicks, cutoffMinute, decoder, left);
            }

            return left;
        }

        /// <summary>Adds a block's entries of the minutes up to <paramref name="cutoffMinute"/>; the block read, or null when it cannot be.</summary>
        private static StoredBlock? Add(Partition partition, StreamEntry entry, long endTicks, long cutoffMinute, BlockDecoder decoder, SortedDictionary<long, long> left)
        {
            var block = BlockRange.TryRead(partition, entry);
            if (block is null || block.Header.FirstTicks >= endTicks) return block;
            var minutes = block.Header.MinuteCounts;
            if (minutes.Count == 0)
            {
                try
                {
                    var counted = new List<MinuteCount>();
                    foreach (var one in block.Decode(partition, decoder)) counted.Add(new MinuteCount(BlockHeader.MinuteOf(BlockHeader.ToUnixTicks(one.Timestamp)), 1));
                    minutes = counted;
                }
                catch (MonarchLogsException)
                {
                    // A payload that does not read has no entries a reader shows: nothing to count.
                    return block;
                }
            }

            foreach (var minute in minutes)
            {
                if (minute.Minute > cutoffMinute) continue;
                left[minute.Minute] = (left.TryGetValue(minute.Minute, out var count) ? count : 0) + minute.Count;
            }

            return block;
        }

        private static long FloorDivide(long value, long divisor) => value >= 0 ? value / divisor : -((-value + divisor - 1) / divisor);
    }
}
