using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using MonarchLogs.Core.Format;
using MonarchLogs.Core.Format.Blocks;
using StackExchange.Redis;
using DayFile = MonarchLogs.Core.Retention.RetentionArchiver.DayFile;

namespace MonarchLogs.Core.Retention
{
    /// <summary>
    /// Archives the blocks a format 2 partition's retention takes away before removing them: their
    /// entries go to one gzip JSON Lines file per UTC day of their event time, in the archive
    /// format of format 1 (the same fields, read by the same import), each checked as format 1's
    /// are. Days go oldest first; a day's entries come from the on-time blocks whose IDs lie
    /// within [day − S, day's end + L) and from the other blocks of the plan that overlap it, in
    /// block order. Only the blocks of the plan read before writing are then removed, so a block
    /// that arrives meanwhile is never removed unarchived. A day that cannot be written or
    /// checked stops the archive there: only the blocks whose entries all lie before that day go.
    /// </summary>
    internal static class BlockRetentionArchiver
    {
        private static readonly long LeadMilliseconds = (long)BlockPositions.Lead.TotalMilliseconds;
        private static readonly long LagMilliseconds = (long)BlockPositions.Lag.TotalMilliseconds;

        public static async Task<RetentionArchiveResult> ArchiveAndTrimAsync(IDatabase db, StorageFormat format, Partition partition, DateTime cutoffUtc, string folder, CancellationToken cancellationToken)
        {
            var keepTicks = BlockHeader.ToUnixTicks(cutoffUtc);
            var plan = await BlockRetentionPlan.ReadAsync(db, partition, keepTicks, within: null, cancellationToken).ConfigureAwait(false);
            var readAlone = plan.ReadAlone.ToList();
            var files = new List<ArchiveFileInfo>();
            MonarchLogsException? failure = null;
            long archived = 0;
            long? failedDay = null;
            using (var decoder = new BlockDecoder())
            {
                for (var day = plan.OldestTicks is { } oldest ? DayOf(oldest) : (long?)null; day is { } start; day = await NextDayAsync(db, partition, plan, readAlone, start + TimeSpan.TicksPerDay, cancellationToken).ConfigureAwait(false))
                {
                    var target = new DayTarget(format, partition, cutoffUtc, folder, start);
                    try
                    {
                        await WriteDayAsync(db, partition, plan, readAlone, target, decoder, cancellationToken).ConfigureAwait(false);
                        if (target.File is { } file)
                        {
                            var entries = file.Writer.Entries;
                            target.File = null;
                            if (RetentionArchiver.Finish(file, files, ref failure)) archived += entries;
                        }
                    }
                    catch (DayFailedException ex)
                    {
                        failure = ex.Failure;
                    }
                    finally
                    {
                        // A day not finished (a failure, a stop) leaves no file behind.
                        if (target.File is not null) RetentionArchiver.Discard(target.File);
                    }

                    if (failure is not null)
                    {
                        failedDay = start;
                        break;
                    }
                }
            }

            var removePlan = failedDay is { } failed
                ? await BlockRetentionPlan.ReadAsync(db, partition, Math.Min(keepTicks, failed), within: plan, cancellationToken).ConfigureAwait(false)
                : plan;
            var removed = removePlan.Blocks == 0 ? null : await BlockRetention.RemoveAsync(db, partition, removePlan, cancellationToken).ConfigureAwait(false);
            return new RetentionArchiveResult
            {
                Partition = partition,
                ArchivedEntries = archived,
                RemovedEntries = removed?.RemovedEntries ?? 0,
                BytesReclaimed = removed?.BytesReclaimed ?? 0,
                TrimCommands = removed?.TrimCommands ?? 0,
                Files = files,
                Failure = failure,
            };
        }

        /// <summary>Writes the plan's entries of the target's day; opens its file at the first.</summary>
        private static async Task WriteDayAsync(IDatabase db, Partition partition, BlockRetentionPlan plan, List<PlannedBlock> readAlone, DayTarget target, BlockDecoder decoder, CancellationToken cancellationToken)
        {
            if (plan.ScannedLast is { } last)
            {
                var bound = new StreamId(target.End / TimeSpan.TicksPerMillisecond + LagMilliseconds, 0);
                RedisValue high = last.CompareTo(bound) < 0 ? last.ToString() : "(" + bound;
                var low = BlockRange.At(target.Start / TimeSpan.TicksPerMillisecond - LeadMilliseconds);
                await foreach (var entry in BlockRange.ReadAsync(db, partition.StreamKey, low, high, cancellationToken).ConfigureAwait(false))
                {
                    var block = BlockRange.TryRead(partition, entry);
                    // Blocks kept, and blocks read alone below, are not this range's to write.
                    if (block is null || block.Header.LastTicks >= plan.KeepTicks || !PlannedBlock.Of(block).OnTime) continue;
                    Write(partition, block, target, decoder);
                }
            }

            var overlapping = readAlone.Where(b => b.LastTicks >= target.Start && b.FirstTicks < target.End).Select(b => b.Id).ToList();
            foreach (var entry in await BlockRange.ReadEachAsync(db, partition.StreamKey, overlapping, cancellationToken).ConfigureAwait(false))
            {
                if (entry is { } found && BlockRange.TryRead(partition, found) is { } block) Write(partition, block, target, decoder);
            }
        }

        /// <summary>Writes the block's entries of the target's day.</summary>
        private static void Write(Partition partition, StoredBlock block, DayTarget target, BlockDecoder decoder)
        {
            if (!BlockDecoder.Overlaps(block.Header, target.Start, target.End)) return;
            List<MonarchLogEntry> entries;
            try
            {
                entries = block.Decode(partition, decoder);
            }
            catch (MonarchLogsException ex)
            {
                throw new DayFailedException(new MonarchLogsException(ex.ErrorId, ex.Kind,
                    $"The block {block.Id} of {partition} cannot be archived: {ex.Message} Nothing of {target.Date:yyyy-MM-dd} or later was removed.", ex));
            }

            foreach (var entry in entries)
            {
                var ticks = BlockHeader.ToUnixTicks(entry.Timestamp);
                if (ticks >= target.Start && ticks < target.End) target.Write(entry);
            }
        }

        /// <summary>The first day from <paramref name="from"/> on that may hold entries of the plan; null when none does.</summary>
        private static async Task<long?> NextDayAsync(IDatabase db, Partition partition, BlockRetentionPlan plan, List<PlannedBlock> readAlone, long from, CancellationToken cancellationToken)
        {
            long? next = null;
            foreach (var block in readAlone)
            {
                if (block.LastTicks >= from) next = Math.Min(next ?? long.MaxValue, Math.Max(from, block.FirstTicks));
            }

            if (plan.ScannedLast is { } last)
            {
                // An on-time block before from − S holds no entry from `from` on; one after holds none older than its ID − L.
                var low = BlockRange.At(from / TimeSpan.TicksPerMillisecond - LeadMilliseconds);
                var first = await db.StreamRangeAsync(partition.StreamKey, low, last.ToString(), 1).WithCancellation(cancellationToken).ConfigureAwait(false);
                if (first.Length == 1 && StreamId.TryParse(first[0].Id, out var id))
                {
                    next = Math.Min(next ?? long.MaxValue, Math.Max(from, (id.Milliseconds - LagMilliseconds) * TimeSpan.TicksPerMillisecond));
                }
            }

            return next is { } ticks ? DayOf(ticks) : null;
        }

        private static long DayOf(long unixTicks) =>
            (unixTicks >= 0 ? unixTicks / TimeSpan.TicksPerDay : -((-unixTicks + TimeSpan.TicksPerDay - 1) / TimeSpan.TicksPerDay)) * TimeSpan.TicksPerDay;

        /// <summary>A day that cannot be archived, and why.</summary>
        private sealed class DayFailedException : Exception
        {
            public DayFailedException(MonarchLogsException failure)
                : base(failure.Message, failure) => Failure = failure;

            public MonarchLogsException Failure { get; }
        }

        /// <summary>One day's archive file, opened at its first entry.</summary>
        private sealed class DayTarget
        {
            private readonly StorageFormat _format;
            private readonly Partition _partition;
            private readonly DateTime _cutoffUtc;
            private readonly string _folder;

            public DayTarget(StorageFormat format, Partition partition, DateTime cutoffUtc, string folder, long start)
            {
                _format = format;
                _partition = partition;
                _cutoffUtc = cutoffUtc;
                _folder = folder;
                Start = start;
            }

            /// <summary>The day's start and end, Unix ticks.</summary>
            public long Start { get; }

            public long End => Start + TimeSpan.TicksPerDay;

            public DateTime Date => BlockHeader.FromUnixTicks(Start);

            /// <summary>The file being written; null before the first entry and once handed over.</summary>
            public DayFile? File { get; set; }

            public void Write(MonarchLogEntry entry)
            {
                if (File is null)
                {
                    MonarchLogsException? failure = null;
                    if (!RetentionArchiver.Open(_format, _partition, _cutoffUtc, _folder, Date, out var opened, ref failure)) throw new DayFailedException(failure!);
                    File = opened;
                }

                try
                {
                    File!.Writer.Write(entry);
                    File.FirstEntryId ??= entry.Id;
                }
                catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
                {
                    throw new DayFailedException(RetentionArchiver.WriteFailed(File!.PartialPath, ex));
                }
            }
        }
    }
}
