using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using MonarchLogs.Core.Format;
using MonarchLogs.Core.Format.Blocks;
using StackExchange.Redis;

namespace MonarchLogs.Core.Retention
{
    /// <summary>
    /// The blocks of a format 2 partition that retention takes away at a cutoff, read from their
    /// headers before anything is removed (docs/storage-format.md, "Retention in version 2"): the
    /// stream's blocks with an ID before cutoff − S whose entries are all older than the cutoff
    /// (t1 before it), and the late blocks whose t1 is before the cutoff; nothing of the head.
    /// A block that cannot be read is kept (it cannot be counted), and so is a block whose
    /// entries reach the cutoff, whatever its ID. Removing then takes exactly these blocks.
    /// </summary>
    internal sealed class BlockRetentionPlan
    {
        private const int LatePage = 100;
        private bool _runEnded;

        private BlockRetentionPlan(long keepTicks) => KeepTicks = keepTicks;

        /// <summary>The cutoff in Unix ticks: a block goes when its newest entry is older.</summary>
        public long KeepTicks { get; }

        /// <summary>The last stream ID read below cutoff − S; null when there was none. Blocks after it are never in the plan's stream part.</summary>
        public StreamId? ScannedLast { get; private set; }

        /// <summary>The last block of the expired run at the start of the stream: a trim up to it takes the run and nothing else.</summary>
        public StreamId? RunLast { get; private set; }

        /// <summary>The blocks of the run.</summary>
        public long RunBlocks { get; private set; }

        /// <summary>The entries of the run.</summary>
        public long RunEntries { get; private set; }

        /// <summary>The run's blocks that are not on time (listed in the late set too).</summary>
        public List<PlannedBlock> LateInRun { get; } = new List<PlannedBlock>();

        /// <summary>Expired blocks outside the run: after a block kept, or late blocks later than <see cref="ScannedLast"/>; deleted one by one.</summary>
        public List<PlannedBlock> Loose { get; } = new List<PlannedBlock>();

        /// <summary>Members of the late set whose block is gone: removed from the set with the others.</summary>
        public List<StreamId> StaleLate { get; } = new List<StreamId>();

        /// <summary>Blocks to remove.</summary>
        public long Blocks { get; private set; }

        /// <summary>Entries to remove: the sum of the blocks' n.</summary>
        public long Entries { get; private set; }

        /// <summary>The oldest event time of an entry to remove, in Unix ticks.</summary>
        public long? OldestTicks { get; private set; }

        /// <summary>The newest event time of an entry to remove, in Unix ticks.</summary>
        public long? NewestTicks { get; private set; }

        /// <summary>
        /// Reads the headers of the blocks that go at <paramref name="keepTicks"/>. Given
        /// <paramref name="within"/>, only blocks of that plan are taken (an archive that stopped
        /// at a day removes no block it did not archive, nor one that came since).
        /// </summary>
        public static async Task<BlockRetentionPlan> ReadAsync(IDatabase db, Partition partition, long keepTicks, BlockRetentionPlan? within, CancellationToken cancellationToken)
        {
            var plan = new BlockRetentionPlan(keepTicks);
            var cutoffMilliseconds = FloorMilliseconds(keepTicks);
            var boundMilliseconds = cutoffMilliseconds - (long)BlockPositions.Lead.TotalMilliseconds;
            if (boundMilliseconds > 0 && (within is null || within.ScannedLast is not null))
            {
                RedisValue high = within?.ScannedLast is { } last && last.CompareTo(new StreamId(boundMilliseconds, 0)) < 0 ? last.ToString() : "(" + BlockRange.At(boundMilliseconds);
                await foreach (var entry in BlockRange.ReadAsync(db, partition.StreamKey, "-", high, cancellationToken).ConfigureAwait(false))
                {
                    plan.TakeStreamBlock(partition, entry);
                }
            }

            await plan.ReadLateAsync(db, partition, cutoffMilliseconds, within, cancellationToken).ConfigureAwait(false);
            return plan;
        }

        /// <summary>Every planned block read one by one rather than with a range of on-time blocks: not on time, or after <see cref="ScannedLast"/>.</summary>
        public IEnumerable<PlannedBlock> ReadAlone => LateInRun.Concat(Loose.Where(b => !b.OnTime || ScannedLast is not { } last || b.Id.CompareTo(last) > 0));

        private void TakeStreamBlock(Partition partition, StreamEntry entry)
        {
            var block = BlockRange.TryRead(partition, entry);
            if (block is not null) ScannedLast = block.Id;
            else if (StreamId.TryParse(entry.Id, out var unread)) ScannedLast = unread;
            if (block is null || block.Header.LastTicks >= KeepTicks)
            {
                // Kept: the run of expired blocks at the start of the stream ends here.
                _runEnded = true;
                return;
            }

            var planned = PlannedBlock.Of(block);
            Take(planned);
            if (!_runEnded)
            {
                RunLast = planned.Id;
                RunBlocks++;
                RunEntries += planned.Count;
                if (!planned.OnTime) LateInRun.Add(planned);
            }
            else
            {
                Loose.Add(planned);
            }
        }

        /// <summary>The late blocks whose t1 is before the cutoff (their t0, the score, is then at most the cutoff's millisecond).</summary>
        private async Task ReadLateAsync(IDatabase db, Partition partition, long cutoffMilliseconds, BlockRetentionPlan? within, CancellationToken cancellationToken)
        {
            var allowed = within is null ? null : new HashSet<StreamId>(within.Loose.Select(b => b.Id));
            for (long skip = 0; ; skip += LatePage)
            {
                var members = await db.SortedSetRangeByScoreAsync(partition.LateKey, double.NegativeInfinity, cutoffMilliseconds, Exclude.None, Order.Ascending, skip, LatePage)
                    .WithCancellation(cancellationToken).ConfigureAwait(false);
                var ids = new List<StreamId>(members.Length);
                foreach (var member in members)
                {
                    // A member inside the range read above was decided there.
                    if (!StreamId.TryParse(member, out var id) || (ScannedLast is { } last && id.CompareTo(last) <= 0)) continue;
                    if (allowed is null || allowed.Contains(id)) ids.Add(id);
                }

                var entries = await BlockRange.ReadEachAsync(db, partition.StreamKey, ids, cancellationToken).ConfigureAwait(false);
                for (var i = 0; i < ids.Count; i++)
                {
                    if (entries[i] is not { } entry)
                    {
                        StaleLate.Add(ids[i]);
                        continue;
                    }

                    var block = BlockRange.TryRead(partition, entry);
                    if (block is null || block.Header.LastTicks >= KeepTicks) continue;
                    var planned = PlannedBlock.Of(block);
                    Take(planned);
                    Loose.Add(planned);
                }

                if (members.Length < LatePage) return;
            }
        }

        private void Take(PlannedBlock block)
        {
            Blocks++;
            Entries += block.Count;
            OldestTicks = OldestTicks is { } oldest ? Math.Min(oldest, block.FirstTicks) : block.FirstTicks;
            NewestTicks = NewestTicks is { } newest ? Math.Max(newest, block.LastTicks) : block.LastTicks;
        }

        private static long FloorMilliseconds(long unixTicks) =>
            unixTicks >= 0 ? unixTicks / TimeSpan.TicksPerMillisecond : -((-unixTicks + TimeSpan.TicksPerMillisecond - 1) / TimeSpan.TicksPerMillisecond);
    }

    /// <summary>What a plan keeps of a block to remove: its ID, event time span and entry count.</summary>
    internal readonly struct PlannedBlock
    {
        private PlannedBlock(StreamId id, long firstTicks, long lastTicks, int count)
        {
            Id = id;
            FirstTicks = firstTicks;
            LastTicks = lastTicks;
            Count = count;
        }

        public StreamId Id { get; }

        public long FirstTicks { get; }

        public long LastTicks { get; }

        public int Count { get; }

        /// <summary>Whether its entries lie within [ID − L, ID + S]: a range of stream IDs around a time finds it.</summary>
        public bool OnTime => BlockPositions.IsOnTime(Id.Milliseconds, FirstTicks, LastTicks);

        public static PlannedBlock Of(StoredBlock block) => new PlannedBlock(block.Id, block.Header.FirstTicks, block.Header.LastTicks, block.Header.Count);
    }
}
