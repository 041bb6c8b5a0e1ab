using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using MonarchLogs.Core.Format;
using MonarchLogs.Core.Query;
using StackExchange.Redis;

namespace MonarchLogs.Core.Statistics
{
    /// <summary>
    /// The counts of a version 2 store. The append script adds each block's <c>min</c> to the
    /// partition's counts hashes, by minute and hour of event time, in the same atomic step as the
    /// block (a compaction adds none: its entries were counted in the head). Version 1 checks its
    /// counts against the stream's length; a stream of blocks has no such length, so version 2
    /// takes its counts as they are: a block stored is counted, and one written without counting
    /// (by hand, by a writer whose user may not count) is not. What the counts cannot answer (parts
    /// of a minute, intervals that are not whole minutes, a user who may not read the counts) is
    /// counted by reading the entries through the query.
    /// </summary>
    internal static class EventTimeCounts
    {
        private const long MinutesPerHour = StorageFormat.HourCountsBucketMilliseconds / StorageFormat.CountsBucketMilliseconds;

        /// <summary>
        /// The hour counts, and the oldest and newest minute counted as the partition's open ends
        /// (so that an open range covers whole minutes, which the counts answer without reading).
        /// Counts that cannot be read give the times of the block headers instead (<see cref="BlockTimeBounds"/>).
        /// </summary>
        public static async Task<CountSnapshot?> SnapshotAsync(IDatabase db, Partition partition, Action<PartitionError>? partitionError, CancellationToken cancellationToken)
        {
            try
            {
                try
                {
                    var hours = await db.HashGetAllAsync(partition.HourCountsKey).WithCancellation(cancellationToken).ConfigureAwait(false);
                    var (oldest, newest) = await CountedMinutesAsync(db, partition, hours, cancellationToken).ConfigureAwait(false);
                    return new CountSnapshot(partition, 0, hours, oldest, newest?.AddMilliseconds(-1), byEventTime: true);
                }
                catch (Exception ex) when (LogCounter.IsRefusal(ex))
                {
                    var (oldest, newest) = await new BlockTimeBounds(db, partition).CompleteAsync(cancellationToken).ConfigureAwait(false);
                    return new CountSnapshot(partition, -1, Array.Empty<HashEntry>(), oldest, newest, byEventTime: true);
                }
            }
            catch (Exception ex) when (!(ex is OperationCanceledException) && PartitionError.FromReadFailure(partition, ex) is { } error)
            {
                partitionError?.Invoke(error);
                return null;
            }
        }

        /// <summary>Counts the entries of [from, to) (Unix milliseconds of event time) by reading them through the query.</summary>
        public static async Task ReadEntriesAsync(IDatabase db, Partition partition, long from, long to, CountRange range, long[] buckets, Action<PartitionError>? partitionError, CancellationToken cancellationToken)
        {
            if (from >= to) return;
            var query = new LogQuery { Since = StreamId.ToUtcTime(from), Until = StreamId.ToUtcTime(to), OldestFirst = true };
            var reader = new MergedReader(db, new[] { partition }, new LogFilter(query), partitionError, version: 2);
            await foreach (var entry in reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                buckets[range.BucketOf(StreamId.ToUnixMilliseconds(entry.Timestamp))]++;
            }
        }

        /// <summary>The start of the oldest minute counted and the end of the newest; nulls when nothing is counted.</summary>
        private static async Task<(DateTime? Start, DateTime? End)> CountedMinutesAsync(IDatabase db, Partition partition, HashEntry[] hours, CancellationToken cancellationToken)
        {
            var counted = hours
                .Where(h => (long)h.Value > 0)
                .Select(h => long.TryParse((string?)h.Name, NumberStyles.Integer, CultureInfo.InvariantCulture, out var hour) ? hour : (long?)null)
                .Where(h => h is not null)
                .Select(h => h!.Value)
                .ToList();
            if (counted.Count == 0) return (null, null);
            var first = counted.Min();
            var last = counted.Max();
            var firstMinutes = MinutesOf(db, partition, first);
            var lastMinutes = MinutesOf(db, partition, last);
            // Minutes that do not add up to their hour (a count changed by hand) leave the whole hour as the end.
            var oldest = Counted(await firstMinutes.WithCancellation(cancellationToken).ConfigureAwait(false), first).DefaultIfEmpty(first * MinutesPerHour).First();
            var newest = Counted(await lastMinutes.WithCancellation(cancellationToken).ConfigureAwait(false), last).DefaultIfEmpty(last * MinutesPerHour + MinutesPerHour - 1).Last();
            return (StreamId.ToUtcTime(oldest * StorageFormat.CountsBucketMilliseconds), StreamId.ToUtcTime((newest + 1) * StorageFormat.CountsBucketMilliseconds));
        }

        /// <summary>The minute counts of one hour (60 fields, one HMGET).</summary>
        public static Task<RedisValue[]> MinutesOf(IDatabase db, Partition partition, long hour) =>
            db.HashGetAsync(partition.CountsKey, Enumerable.Range(0, (int)MinutesPerHour).Select(m => (RedisValue)(hour * MinutesPerHour + m).ToString(CultureInfo.InvariantCulture)).ToArray());

        private static IEnumerable<long> Counted(RedisValue[] minutes, long hour)
        {
            for (var m = 0; m < minutes.Length; m++)
            {
                if (!minutes[m].IsNull && (long)minutes[m] > 0) yield return hour * MinutesPerHour + m;
            }
        }
    }
}
