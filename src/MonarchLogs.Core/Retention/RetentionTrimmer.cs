using System;
using System.Threading;
using System.Threading.Tasks;
using MonarchLogs.Core.Format;
using StackExchange.Redis;

namespace MonarchLogs.Core.Retention
{
    /// <summary>
    /// Trims partitions by stream ID. Approximate trims with LIMIT remove whole stream nodes, at
    /// most <see cref="EntriesPerCommand"/> entries per command, so Valkey never stalls on a big
    /// removal; one exact trim then takes the few expired entries left in the first node.
    /// </summary>
    internal static class RetentionTrimmer
    {
        public const int EntriesPerCommand = 1000;
        private const int CountPageSize = 1000;

        public static async Task<RetentionPreview> PreviewAsync(IDatabase db, Partition partition, DateTime cutoffUtc, CancellationToken cancellationToken)
        {
            var key = (RedisKey)partition.StreamKey;
            var cutoff = StreamId.FromTime(cutoffUtc);
            var lengthTask = db.StreamLengthAsync(key);
            var memoryTask = MemoryUsageAsync(db, key);
            var length = await lengthTask.WithCancellation(cancellationToken).ConfigureAwait(false);
            var memory = await memoryTask.WithCancellation(cancellationToken).ConfigureAwait(false);

            // Stream entries cannot be counted by ID range on the server; count the IDs page by page.
            long expired = 0;
            DateTime? oldest = null, newest = null;
            RedisValue low = "-";
            var high = (RedisValue)("(" + cutoff);
            while (true)
            {
                var page = await db.StreamRangeAsync(key, low, high, CountPageSize).WithCancellation(cancellationToken).ConfigureAwait(false);
                if (page.Length == 0) break;
                StreamId.TryParse(page[0].Id, out var first);
                StreamId.TryParse(page[page.Length - 1].Id, out var last);
                oldest ??= StreamId.ToUtcTime(first.Milliseconds);
                newest = StreamId.ToUtcTime(last.Milliseconds);
                expired += page.Length;
                if (page.Length < CountPageSize) break;
                low = "(" + last;
            }

            return new RetentionPreview
            {
                Partition = partition,
                ExpiredEntries = expired,
                TotalEntries = length,
                Oldest = oldest,
                Newest = newest,
                EstimatedBytes = length == 0 ? 0 : (long)(memory * ((double)expired / length)),
            };
        }

        public static Task<RetentionResult> TrimAsync(IDatabase db, Partition partition, DateTime cutoffUtc, CancellationToken cancellationToken) =>
            TrimAsync(db, partition, StreamId.FromTime(cutoffUtc), cancellationToken);

        /// <summary>
        /// Removes the entries with an ID below <paramref name="keepFrom"/>, and no other: the
        /// approximate steps take only whole stream nodes below it, the exact one the rest.
        /// </summary>
        public static async Task<RetentionResult> TrimAsync(IDatabase db, Partition partition, StreamId keepFrom, CancellationToken cancellationToken)
        {
            var key = (RedisKey)partition.StreamKey;
            var before = await MemoryUsageAsync(db, key).WithCancellation(cancellationToken).ConfigureAwait(false);
            var (removed, commands) = await TrimBelowAsync(db, key, keepFrom, cancellationToken).ConfigureAwait(false);
            await Statistics.CountsTrimmer.RemoveBeforeAsync(db, partition, keepFrom, cancellationToken).ConfigureAwait(false);
            var after = await MemoryUsageAsync(db, key).WithCancellation(cancellationToken).ConfigureAwait(false);
            return new RetentionResult
            {
                Partition = partition,
                RemovedEntries = removed,
                BytesReclaimed = Math.Max(0, before - after),
                TrimCommands = commands,
            };
        }

        /// <summary>
        /// Removes the stream entries with an ID below <paramref name="keepFrom"/> in bounded
        /// steps: approximate trims that take whole nodes below it, then one exact trim. Answers
        /// the entries removed and the commands sent.
        /// </summary>
        internal static async Task<(long Removed, int Commands)> TrimBelowAsync(IDatabase db, RedisKey key, StreamId keepFrom, CancellationToken cancellationToken)
        {
            var minId = keepFrom.ToString();
            long removed = 0;
            var commands = 0;
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var result = await db.ExecuteAsync("XTRIM", key, "MINID", "~", minId, "LIMIT", EntriesPerCommand).WithCancellation(cancellationToken).ConfigureAwait(false);
                commands++;
                var count = (long)result;
                removed += count;
                if (count == 0) break;
            }

            var exact = await db.ExecuteAsync("XTRIM", key, "MINID", minId).WithCancellation(cancellationToken).ConfigureAwait(false);
            return (removed + (long)exact, commands + 1);
        }

        internal static async Task<long> MemoryUsageAsync(IDatabase db, RedisKey key)
        {
            var result = await db.ExecuteAsync("MEMORY", (RedisValue)"USAGE", key).ConfigureAwait(false);
            return result.IsNull ? 0 : (long)result;
        }
    }
}
