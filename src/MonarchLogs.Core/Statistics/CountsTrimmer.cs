using System;
using System.Collections.Generic;
using System.Globalization;
using System.Threading;
using System.Threading.Tasks;
using MonarchLogs.Core.Format;
using StackExchange.Redis;

namespace MonarchLogs.Core.Statistics
{
    /// <summary>
    /// Keeps a partition's counts in step with its stream after entries older than a cutoff were
    /// removed: the minutes before the cutoff go, and the minute the cutoff falls into is counted
    /// again from the entries left in it. A user without the right to change the counts (an older
    /// maintainer role) leaves them as they are: the statistics then see that they no longer add
    /// up to the stream's length and count that partition by reading it.
    /// </summary>
    internal static class CountsTrimmer
    {
        private const int PageSize = 1000;

        /// <summary>After the entries below <paramref name="keepFrom"/> were removed.</summary>
        public static async Task RemoveBeforeAsync(IDatabase db, Partition partition, StreamId keepFrom, CancellationToken cancellationToken)
        {
            try
            {
                await RemoveMinutesAsync(db, partition, keepFrom, cancellationToken).ConfigureAwait(false);
                await RemoveHoursAsync(db, partition, keepFrom.Milliseconds, cancellationToken).ConfigureAwait(false);
            }
            catch (RedisServerException ex) when (ex.Message.StartsWith("NOPERM", StringComparison.Ordinal))
            {
            }
        }

        private static async Task RemoveMinutesAsync(IDatabase db, Partition partition, StreamId keepFrom, CancellationToken cancellationToken)
        {
            var key = (RedisKey)partition.CountsKey;
            var cutoffMilliseconds = keepFrom.Milliseconds;
            var cutoffMinute = cutoffMilliseconds / StorageFormat.CountsBucketMilliseconds;
            await RemoveFieldsBelowAsync(db, key, cutoffMinute, cancellationToken).ConfigureAwait(false);

            var minuteStart = cutoffMinute * StorageFormat.CountsBucketMilliseconds;
            if (minuteStart == cutoffMilliseconds && keepFrom.Sequence == 0) return;
            var left = await CountIdsAsync(db, partition, cutoffMilliseconds, minuteStart + StorageFormat.CountsBucketMilliseconds, cancellationToken).ConfigureAwait(false);
            await SetOrRemoveAsync(db, key, cutoffMinute, left, cancellationToken).ConfigureAwait(false);
        }

        /// <summary>The hours before the cutoff's go; the cutoff's hour is summed again from its minutes.</summary>
        private static async Task RemoveHoursAsync(IDatabase db, Partition partition, long cutoffMilliseconds, CancellationToken cancellationToken)
        {
            var cutoffHour = cutoffMilliseconds / StorageFormat.HourCountsBucketMilliseconds;
            await RemoveFieldsBelowAsync(db, partition.HourCountsKey, cutoffHour, cancellationToken).ConfigureAwait(false);
            await SumHourAsync(db, partition, cutoffHour, cancellationToken).ConfigureAwait(false);
        }

        /// <summary>Sets an hour's count to the sum of its minutes' (removes it when that is 0).</summary>
        internal static async Task SumHourAsync(IDatabase db, Partition partition, long hour, CancellationToken cancellationToken)
        {
            const long MinutesPerHour = StorageFormat.HourCountsBucketMilliseconds / StorageFormat.CountsBucketMilliseconds;
            var minutes = new RedisValue[MinutesPerHour];
            for (var m = 0; m < MinutesPerHour; m++) minutes[m] = (hour * MinutesPerHour + m).ToString(CultureInfo.InvariantCulture);
            long left = 0;
            foreach (var count in await db.HashGetAsync(partition.CountsKey, minutes).WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                if (!count.IsNull) left += (long)count;
            }

            await SetOrRemoveAsync(db, partition.HourCountsKey, hour, left, cancellationToken).ConfigureAwait(false);
        }

        /// <summary>Sets a minute's or hour's count, or removes its field when the count is 0.</summary>
        internal static Task SetOrRemoveAsync(IDatabase db, RedisKey key, long unit, long count, CancellationToken cancellationToken)
        {
            var field = (RedisValue)unit.ToString(CultureInfo.InvariantCulture);
            return count == 0
                ? db.HashDeleteAsync(key, field).WithCancellation(cancellationToken)
                : db.HashSetAsync(key, field, count).WithCancellation(cancellationToken);
        }

        /// <summary>Removes the fields (whole minutes or hours) below <paramref name="limit"/>, a page at a time.</summary>
        internal static async Task RemoveFieldsBelowAsync(IDatabase db, RedisKey key, long limit, CancellationToken cancellationToken)
        {
            var expired = new List<RedisValue>();
            await foreach (var entry in db.HashScanAsync(key, pageSize: PageSize).WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                if (long.TryParse((string?)entry.Name, NumberStyles.Integer, CultureInfo.InvariantCulture, out var unit) && unit < limit) expired.Add(entry.Name);
            }

            for (var i = 0; i < expired.Count; i += PageSize)
            {
                await db.HashDeleteAsync(key, expired.GetRange(i, Math.Min(PageSize, expired.Count - i)).ToArray()).WithCancellation(cancellationToken).ConfigureAwait(false);
            }
        }

        private static async Task<long> CountIdsAsync(IDatabase db, Partition partition, long from, long to, CancellationToken cancellationToken)
        {
            long count = 0;
            RedisValue low = from.ToString(CultureInfo.InvariantCulture);
            var high = (RedisValue)("(" + to.ToString(CultureInfo.InvariantCulture));
            while (true)
            {
                var page = await db.StreamRangeAsync(partition.StreamKey, low, high, PageSize).WithCancellation(cancellationToken).ConfigureAwait(false);
                count += page.Length;
                if (page.Length < PageSize) return count;
                low = "(" + page[page.Length - 1].Id;
            }
        }
    }
}
