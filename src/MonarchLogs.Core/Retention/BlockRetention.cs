using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using MonarchLogs.Core.Format;
using MonarchLogs.Core.Format.Blocks;
using StackExchange.Redis;

namespace MonarchLogs.Core.Retention
{
    /// <summary>
    /// Retention of a format 2 partition (docs/storage-format.md, "Retention in version 2"): the
    /// expired blocks' headers are read and their n summed first (<see cref="BlockRetentionPlan"/>),
    /// then exactly those blocks go: the run at the start of the stream by trims up to its last
    /// block, in bounded steps as format 1 trims, the others one XDEL each, and the late blocks
    /// leave the late set. The head is never touched. Entries older than the cutoff in a block
    /// that spans it stay, and are read and counted, until the whole block expires.
    /// </summary>
    internal static class BlockRetention
    {
        private const int DeletesPerRoundTrip = 100;

        public static async Task<RetentionPreview> PreviewAsync(IDatabase db, Partition partition, DateTime cutoffUtc, CancellationToken cancellationToken)
        {
            var key = (RedisKey)partition.StreamKey;
            var plan = await BlockRetentionPlan.ReadAsync(db, partition, BlockHeader.ToUnixTicks(cutoffUtc), within: null, cancellationToken).ConfigureAwait(false);
            var lengthTask = db.StreamLengthAsync(key);
            var memoryTask = RetentionTrimmer.MemoryUsageAsync(db, key);
            var hoursTask = db.HashGetAllAsync(partition.HourCountsKey);
            var blocks = await lengthTask.WithCancellation(cancellationToken).ConfigureAwait(false);
            var memory = await memoryTask.WithCancellation(cancellationToken).ConfigureAwait(false);
            long counted = 0;
            foreach (var hour in await hoursTask.WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                if (long.TryParse((string?)hour.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var count)) counted += count;
            }

            return new RetentionPreview
            {
                Partition = partition,
                ExpiredEntries = plan.Entries,
                // Blocks hold many entries each: the partition's entries are what its counts say.
                TotalEntries = Math.Max(counted, plan.Entries),
                Oldest = plan.OldestTicks is { } oldest ? BlockHeader.FromUnixTicks(oldest) : null,
                Newest = plan.NewestTicks is { } newest ? BlockHeader.FromUnixTicks(newest) : null,
                EstimatedBytes = blocks == 0 ? 0 : (long)(memory * Math.Min(1, (double)plan.Blocks / blocks)),
            };
        }

        public static async Task<RetentionResult> RemoveAsync(IDatabase db, Partition partition, DateTime cutoffUtc, CancellationToken cancellationToken)
        {
            var plan = await BlockRetentionPlan.ReadAsync(db, partition, BlockHeader.ToUnixTicks(cutoffUtc), within: null, cancellationToken).ConfigureAwait(false);
            return await RemoveAsync(db, partition, plan, cancellationToken).ConfigureAwait(false);
        }

        /// <summary>Removes the blocks of <paramref name="plan"/> and no other, then trims the counts at its cutoff.</summary>
        public static async Task<RetentionResult> RemoveAsync(IDatabase db, Partition partition, BlockRetentionPlan plan, CancellationToken cancellationToken)
        {
            var key = (RedisKey)partition.StreamKey;
            var before = await RetentionTrimmer.MemoryUsageAsync(db, key).WithCancellation(cancellationToken).ConfigureAwait(false);
            long removed = 0;
            var commands = 0;
            if (plan.RunLast is { } runLast)
            {
                // Every ID up to the run's last block was read (IDs only grow): the trim takes the run,
                // counted, and nothing else. (Two runs at once on one partition may both count a block of it.)
                var trimmed = await RetentionTrimmer.TrimBelowAsync(db, key, runLast.Next(), cancellationToken).ConfigureAwait(false);
                commands += trimmed.Commands;
                removed += plan.RunEntries;
            }

            for (var start = 0; start < plan.Loose.Count; start += DeletesPerRoundTrip)
            {
                var batch = plan.Loose.GetRange(start, Math.Min(DeletesPerRoundTrip, plan.Loose.Count - start));
                var deletes = batch.Select(b => db.StreamDeleteAsync(key, new RedisValue[] { b.Id.ToString() })).ToArray();
                commands += deletes.Length;
                for (var i = 0; i < deletes.Length; i++)
                {
                    // One XDEL per block: a block another run removed meanwhile is not counted here.
                    if (await deletes[i].WithCancellation(cancellationToken).ConfigureAwait(false) == 1) removed += batch[i].Count;
                }
            }

            // Removing a member the late set does not hold (an on-time loose block) does nothing.
            var late = plan.LateInRun.Concat(plan.Loose).Select(b => b.Id).Concat(plan.StaleLate).ToList();
            for (var start = 0; start < late.Count; start += DeletesPerRoundTrip)
            {
                var members = late.Skip(start).Take(DeletesPerRoundTrip).Select(id => (RedisValue)id.ToString()).ToArray();
                await db.SortedSetRemoveAsync(partition.LateKey, members).WithCancellation(cancellationToken).ConfigureAwait(false);
            }

            await BlockCountsTrimmer.RemoveBeforeAsync(db, partition, plan.KeepTicks, cancellationToken).ConfigureAwait(false);
            var after = await RetentionTrimmer.MemoryUsageAsync(db, key).WithCancellation(cancellationToken).ConfigureAwait(false);
            return new RetentionResult
            {
                Partition = partition,
                RemovedEntries = removed,
                BytesReclaimed = Math.Max(0, before - after),
                TrimCommands = commands,
            };
        }
    }
}
