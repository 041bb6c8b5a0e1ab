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
    /// Counts entries per partition and time bucket without reading them: the append script keeps
    /// a count per minute and per hour of every entry's ID in the partition's counts hashes, in the
    /// same atomic step as the entry (docs/storage-format.md, "Counts"). A partition whose hour
    /// counts do not add up to its stream's length (read together in one MULTI) is counted by
    /// reading its entries' IDs instead, and so are the partial minutes at the edges of the range:
    /// the answer is exact either way, and says which partitions were read.
    /// </summary>
    internal static class LogCounter
    {
        public const string InvalidIntervalErrorId = "InvalidInterval";
        public const int MaxBuckets = 100_000;
        private const int ReadPageSize = 5000;
        private static readonly long UnixEpochTicks = StreamId.ToUtcTime(0).Ticks;

        /// <param name="reader">Reads the registry, the counts and, where they do not add up, the entries' IDs.</param>
        /// <param name="filter">The partitions, by level and service, and the time range to count.</param>
        /// <param name="intervalFor">The bucket length for the range [since, until) once it is known (the oldest and newest entries when the query leaves it open); null for one bucket.</param>
        /// <param name="partitionError">Told of each partition that cannot be read; the count goes on without it.</param>
        /// <param name="cancellationToken">Stops the count.</param>
        public static async Task<LogCounts> CountAsync(StoreReader reader, LogFilter filter, Func<DateTime, DateTime, TimeSpan?> intervalFor, Action<PartitionError>? partitionError, CancellationToken cancellationToken)
        {
            var partitions = (await reader.GetPartitionsAsync(partitionError, cancellationToken).ConfigureAwait(false)).Where(filter.Includes).ToList();
            var db = reader.Database;

            // Counts and length of each partition, read together so that they agree.
            var snapshots = await Task.WhenAll(partitions.Select(p => reader.Version == 2
                ? EventTimeCounts.SnapshotAsync(db, p, partitionError, cancellationToken)
                : SnapshotAsync(db, p, partitionError, cancellationToken))).ConfigureAwait(false);
            var readable = snapshots.Where(s => s is not null).Select(s => s!).ToList();

            // An open start is the oldest entry (an hour before the end in an empty store); an open end, just after the newest.
            var until = filter.Query.Until?.ToUniversalTime() ?? Newest(readable) ?? DateTime.UtcNow;
            var since = filter.Query.Since?.ToUniversalTime() ?? Oldest(readable) ?? until.AddHours(-1);
            if (since >= until)
            {
                if (filter.Query.Until is null) until = since.AddMilliseconds(1);
                else since = until.AddMilliseconds(-1);
            }
            var interval = intervalFor(since, until);
            if (interval is { } step && step < TimeSpan.FromMilliseconds(1))
            {
                throw new MonarchLogsException(InvalidIntervalErrorId, MonarchErrorKind.InvalidArgument, "The interval must be at least 1 millisecond.");
            }

            // Buckets are whole intervals since the Unix epoch, so that two counts of overlapping
            // ranges put the same entries into the same buckets.
            var origin = interval is { } length ? AlignDown(since, length) : since;
            var bucketCount = interval is { } size ? (int)Math.Min(int.MaxValue, Math.Max(1, (until - origin).Ticks / size.Ticks + ((until - origin).Ticks % size.Ticks == 0 ? 0 : 1))) : 1;
            if (bucketCount > MaxBuckets)
            {
                throw new MonarchLogsException(InvalidIntervalErrorId, MonarchErrorKind.InvalidArgument,
                    $"An interval of {interval} makes {bucketCount.ToString("N0", CultureInfo.InvariantCulture)} buckets from {since:u} to {until:u}; at most {MaxBuckets.ToString("N0", CultureInfo.InvariantCulture)} are counted. Choose a longer interval or a shorter range.");
            }

            var range = new CountRange(StreamId.ToUnixMilliseconds(since), StreamId.ToUnixMilliseconds(until), StreamId.ToUnixMilliseconds(origin),
                interval is { } ms ? (long)ms.TotalMilliseconds : 0, bucketCount);
            var wholeMinutes = interval is null || IsMultipleOf(interval.Value, StorageFormat.CountsBucketMilliseconds);
            var wholeHours = interval is null || IsMultipleOf(interval.Value, StorageFormat.HourCountsBucketMilliseconds);
            var counted = await Task.WhenAll(readable.Select(s => CountPartitionAsync(db, s, range, wholeMinutes, wholeHours, partitionError, cancellationToken))).ConfigureAwait(false);
            return new LogCounts(since, until, interval, origin, bucketCount, counted.Where(c => c is not null).Select(c => c!).ToList());
        }

        private static async Task<CountSnapshot?> SnapshotAsync(IDatabase db, Partition partition, Action<PartitionError>? partitionError, CancellationToken cancellationToken)
        {
            try
            {
                var transaction = db.CreateTransaction();
                var length = transaction.StreamLengthAsync(partition.StreamKey);
                var counts = transaction.HashGetAllAsync(partition.HourCountsKey);
                var first = transaction.StreamRangeAsync(partition.StreamKey, "-", "+", 1);
                var last = transaction.StreamRangeAsync(partition.StreamKey, "-", "+", 1, Order.Descending);
                if (!await transaction.ExecuteAsync().WithCancellation(cancellationToken).ConfigureAwait(false))
                {
                    // Valkey refused to run the transaction (EXECABORT): one of its commands was refused when queued.
                    return await WithoutCountsAsync(db, partition, partitionError, cancellationToken).ConfigureAwait(false);
                }

                return new CountSnapshot(partition, await length.ConfigureAwait(false), await counts.ConfigureAwait(false),
                    TimeOf(await first.ConfigureAwait(false)), TimeOf(await last.ConfigureAwait(false)));
            }
            catch (Exception ex) when (IsRefusal(ex))
            {
                // A user of an older reader role may read the stream but not its counts (or MULTI):
                // the partition is then counted by reading, which it may do.
                return await WithoutCountsAsync(db, partition, partitionError, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (!(ex is OperationCanceledException) && PartitionError.FromReadFailure(partition, ex) is { } error)
            {
                partitionError?.Invoke(error);
                return null;
            }
        }

        private static async Task<CountSnapshot?> WithoutCountsAsync(IDatabase db, Partition partition, Action<PartitionError>? partitionError, CancellationToken cancellationToken)
        {
            try
            {
                var first = await db.StreamRangeAsync(partition.StreamKey, "-", "+", 1).WithCancellation(cancellationToken).ConfigureAwait(false);
                var last = await db.StreamRangeAsync(partition.StreamKey, "-", "+", 1, Order.Descending).WithCancellation(cancellationToken).ConfigureAwait(false);
                return new CountSnapshot(partition, -1, Array.Empty<HashEntry>(), TimeOf(first), TimeOf(last));
            }
            catch (Exception ex) when (!(ex is OperationCanceledException) && PartitionError.FromReadFailure(partition, ex) is { } error)
            {
                partitionError?.Invoke(error);
                return null;
            }
        }

        /// <summary>
        /// NOPERM, a transaction Valkey refused to run because one of its commands was (EXECABORT),
        /// or WRONGTYPE (a counts key of another type): the partition is then read instead; a
        /// stream that cannot be read either is reported as the partition's error.
        /// </summary>
        internal static bool IsRefusal(Exception ex) =>
            ex is RedisServerException && (ex.Message.StartsWith("NOPERM", StringComparison.Ordinal) || ex.Message.StartsWith("EXECABORT", StringComparison.Ordinal)
                || ex.Message.StartsWith("WRONGTYPE", StringComparison.Ordinal));

        private static DateTime? TimeOf(StreamEntry[] entries) =>
            entries.Length == 1 && StreamId.TryParse(entries[0].Id, out var id) ? StreamId.ToUtcTime(id.Milliseconds) : null;

        /// <summary>
        /// One partition: from the hour counts where whole hours fall into whole buckets, from the
        /// minute counts where they do not (the edges of the range, intervals of minutes), by
        /// reading entry IDs where neither reaches (parts of a minute, intervals of seconds, counts
        /// that do not add up to the stream's length).
        /// </summary>
        private static async Task<PartitionCounts?> CountPartitionAsync(IDatabase db, CountSnapshot snapshot, CountRange range, bool wholeMinutes, bool wholeHours, Action<PartitionError>? partitionError, CancellationToken cancellationToken)
        {
            var buckets = new long[range.Buckets];
            var sum = 0L;
            foreach (var field in snapshot.HourCounts) sum += (long)field.Value;
            var byReading = !wholeMinutes || (snapshot.ByEventTime ? snapshot.CountsUnreadable : sum != snapshot.Length);
            try
            {
                if (byReading)
                {
                    await ReadAsync(db, snapshot, range.Since, range.Until, range, buckets, partitionError, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    var partialHours = new List<long>();
                    foreach (var field in snapshot.HourCounts)
                    {
                        if (!long.TryParse((string?)field.Name, NumberStyles.Integer, CultureInfo.InvariantCulture, out var hour)) continue;
                        var start = hour * StorageFormat.HourCountsBucketMilliseconds;
                        var end = start + StorageFormat.HourCountsBucketMilliseconds;
                        if (end <= range.Since || start >= range.Until) continue;
                        if (wholeHours && start >= range.Since && end <= range.Until) buckets[range.BucketOf(start)] += (long)field.Value;
                        else partialHours.Add(hour);
                    }

                    try
                    {
                        await CountMinutesAsync(db, snapshot, partialHours, range, buckets, partitionError, cancellationToken).ConfigureAwait(false);
                    }
                    catch (Exception ex) when (IsRefusal(ex))
                    {
                        // A user who may not read the minute counts (HMGET) reads the entries instead.
                        byReading = true;
                        Array.Clear(buckets, 0, buckets.Length);
                        await ReadAsync(db, snapshot, range.Since, range.Until, range, buckets, partitionError, cancellationToken).ConfigureAwait(false);
                    }
                }
            }
            catch (Exception ex) when (!(ex is OperationCanceledException) && PartitionError.FromReadFailure(snapshot.Partition, ex) is { } error)
            {
                partitionError?.Invoke(error);
                return null;
            }

            return new PartitionCounts(snapshot.Partition, buckets, byReading);
        }

        /// <summary>The hours the hour counts cannot answer, from their minutes (60 fields each, one HMGET per hour, pipelined).</summary>
        private static async Task CountMinutesAsync(IDatabase db, CountSnapshot snapshot, List<long> hours, CountRange range, long[] buckets, Action<PartitionError>? partitionError, CancellationToken cancellationToken)
        {
            const long MinutesPerHour = StorageFormat.HourCountsBucketMilliseconds / StorageFormat.CountsBucketMilliseconds;
            var reads = hours.Select(hour => EventTimeCounts.MinutesOf(db, snapshot.Partition, hour)).ToList();
            for (var h = 0; h < hours.Count; h++)
            {
                var minutes = await reads[h].WithCancellation(cancellationToken).ConfigureAwait(false);
                for (var m = 0; m < minutes.Length; m++)
                {
                    if (minutes[m].IsNull) continue;
                    var start = (hours[h] * MinutesPerHour + m) * StorageFormat.CountsBucketMilliseconds;
                    var end = start + StorageFormat.CountsBucketMilliseconds;
                    if (end <= range.Since || start >= range.Until) continue;
                    if (start >= range.Since && end <= range.Until) buckets[range.BucketOf(start)] += (long)minutes[m];
                    else await ReadAsync(db, snapshot, Math.Max(start, range.Since), Math.Min(end, range.Until), range, buckets, partitionError, cancellationToken).ConfigureAwait(false);
                }
            }
        }

        private static bool IsMultipleOf(TimeSpan interval, long milliseconds) =>
            interval.Ticks % (milliseconds * TimeSpan.TicksPerMillisecond) == 0;

        /// <summary>Counts the entries of [from, to) by reading them: version 1 by their IDs, version 2 by their event times.</summary>
        private static Task ReadAsync(IDatabase db, CountSnapshot snapshot, long from, long to, CountRange range, long[] buckets, Action<PartitionError>? partitionError, CancellationToken cancellationToken) =>
            snapshot.ByEventTime
                ? EventTimeCounts.ReadEntriesAsync(db, snapshot.Partition, from, to, range, buckets, partitionError, cancellationToken)
                : ReadIdsAsync(db, snapshot.Partition, from, to, range, buckets, cancellationToken);

        /// <summary>Counts the entries of [from, to) (ID milliseconds) by reading their IDs, page by page.</summary>
        private static async Task ReadIdsAsync(IDatabase db, Partition partition, long from, long to, CountRange range, long[] buckets, CancellationToken cancellationToken)
        {
            if (from >= to) return;
            RedisValue low = from.ToString(CultureInfo.InvariantCulture);
            RedisValue high = "(" + to.ToString(CultureInfo.InvariantCulture);
            while (true)
            {
                var page = await db.StreamRangeAsync(partition.StreamKey, low, high, ReadPageSize).WithCancellation(cancellationToken).ConfigureAwait(false);
                StreamId last = default;
                foreach (var entry in page)
                {
                    if (!StreamId.TryParse(entry.Id, out last)) continue;
                    buckets[range.BucketOf(last.Milliseconds)]++;
                }

                if (page.Length < ReadPageSize) return;
                low = "(" + last;
            }
        }

        private static DateTime? Oldest(IEnumerable<CountSnapshot> snapshots) => snapshots.Min(s => s.Oldest);

        /// <summary>Just after the newest entry: the range's end is exclusive.</summary>
        private static DateTime? Newest(IEnumerable<CountSnapshot> snapshots) => snapshots.Max(s => s.Newest)?.AddMilliseconds(1);

        private static DateTime Max(DateTime a, DateTime b) => a > b ? a : b;

        private static DateTime AlignDown(DateTime utc, TimeSpan interval)
        {
            var sinceEpoch = utc.Ticks - UnixEpochTicks;
            var aligned = sinceEpoch - (((sinceEpoch % interval.Ticks) + interval.Ticks) % interval.Ticks);
            return new DateTime(UnixEpochTicks + aligned, DateTimeKind.Utc);
        }
    }
}
