using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using MonarchLogs.Core.Format;
using MonarchLogs.Core.Format.Blocks;
using MonarchLogs.Core.Query;
using StackExchange.Redis;

namespace MonarchLogs.Core.Tail
{
    /// <summary>
    /// The live tail of a version 2 store: it reads each partition's stream and head by ID, shows
    /// the entries of every new block, and skips compaction blocks, whose entries it showed from the
    /// head (all but those of head blocks compacted before it read them: <see cref="HeadLedger"/>),
    /// and the upgrade's blocks, whose entries were in the stream before as entries of format 1.
    /// A block that does not read is reported as its partition's error, and the tail goes on.
    /// </summary>
    internal sealed class BlockTailReader : IDisposable
    {
        private readonly BlockDecoder _decoder = new BlockDecoder();
        private readonly Action<PartitionError>? _partitionError;

        public BlockTailReader(Action<PartitionError>? partitionError) => _partitionError = partitionError;

        /// <summary>
        /// Starts partitions: at <paramref name="atEnd"/>, after the last block of the stream and of
        /// the head; else after <paramref name="from"/> in both. The head blocks before that are
        /// read so that their entries, once compacted, do not show. The head is read before the
        /// stream: a compaction in between then adds a block the tail never reads.
        /// </summary>
        /// <returns>Each partition's position, or its error (a key the server refuses).</returns>
        public async Task<List<(Partition Partition, TailPosition? Position, PartitionError? Error)>> StartAsync(IDatabase db, IReadOnlyList<Partition> partitions, bool atEnd, StreamId from, CancellationToken cancellationToken)
        {
            var reads = new List<(Task<StreamEntry[]> Head, Task<StreamEntry[]>? Top)>(partitions.Count);
            foreach (var partition in partitions)
            {
                var head = db.StreamRangeAsync(partition.HeadKey, "-", atEnd ? "+" : from.ToString());
                reads.Add((head, atEnd ? db.StreamRangeAsync(partition.StreamKey, "-", "+", 1, Order.Descending) : null));
            }

            var started = new List<(Partition, TailPosition?, PartitionError?)>(partitions.Count);
            for (var i = 0; i < partitions.Count; i++)
            {
                var partition = partitions[i];
                StreamEntry[] head, top;
                try
                {
                    var (headRead, topRead) = reads[i];
                    await (topRead is null ? (Task)headRead : Task.WhenAll(headRead, topRead)).WithCancellation(cancellationToken).ConfigureAwait(false);
                    head = headRead.Result;
                    top = topRead?.Result ?? Array.Empty<StreamEntry>();
                }
                catch (Exception ex) when (PartitionError.FromReadFailure(partition, ex) is { } failure)
                {
                    started.Add((partition, null, failure));
                    continue;
                }

                var position = new TailPosition(partition, atEnd ? LastId(top) : from) { HeadLast = atEnd ? LastId(head) : from };
                foreach (var entry in head)
                {
                    // Only to recognise these entries in a compaction block: a block that does not read is reported when the tail reads past it, not here.
                    if (Read(partition, entry, report: false) is { } block && !position.Repeats.IsRepeat(block) && Decode(partition, block, report: false) is { } entries)
                    {
                        position.Head.AddBlock(Positions(entries));
                    }
                }

                started.Add((partition, position, null));
            }

            return started;
        }

        /// <summary>The entries of what one read returned of a partition's stream and head, in the order read; moves the position past them.</summary>
        public void Take(TailPosition position, StreamEntry[] stream, StreamEntry[] head, List<MonarchLogEntry> entries)
        {
            var partition = position.Partition;
            foreach (var streamEntry in stream)
            {
                if (!StreamId.TryParse(streamEntry.Id, out var id) || id.CompareTo(position.Last) <= 0) continue;
                position.Last = id;
                if (Read(partition, streamEntry, report: true) is not { } block) continue;
                if (block.IsCompaction && !block.IsFromHead)
                {
                    // The upgrade's blocks hold entries of format 1 that were in the stream already.
                    continue;
                }

                if (block.IsFromHead)
                {
                    foreach (var entry in Decode(partition, block, report: true) ?? new List<MonarchLogEntry>())
                    {
                        if (!position.Head.TryTake(LogEntryId.Parse(entry.Id!).Position)) entries.Add(entry);
                    }
                }
                else if (!position.Repeats.IsRepeat(block) && Decode(partition, block, report: true) is { } decoded)
                {
                    entries.AddRange(decoded);
                }
            }

            foreach (var headEntry in head)
            {
                if (!StreamId.TryParse(headEntry.Id, out var id) || id.CompareTo(position.HeadLast) <= 0) continue;
                position.HeadLast = id;
                if (Read(partition, headEntry, report: true) is not { } block || position.Repeats.IsRepeat(block)) continue;
                if (Decode(partition, block, report: true) is not { } decoded) continue;
                position.Head.AddBlock(Positions(decoded));
                entries.AddRange(decoded);
            }
        }

        private StoredBlock? Read(Partition partition, StreamEntry entry, bool report)
        {
            try
            {
                return StoredBlock.Read(partition, entry);
            }
            catch (MonarchLogsException ex)
            {
                if (report) Report(partition, entry.Id.ToString(), ex);
                return null;
            }
        }

        private List<MonarchLogEntry>? Decode(Partition partition, StoredBlock block, bool report)
        {
            try
            {
                return block.Decode(partition, _decoder);
            }
            catch (MonarchLogsException ex)
            {
                if (report) Report(partition, block.Id.ToString(), ex);
                return null;
            }
        }

        private void Report(Partition partition, string blockId, MonarchLogsException error) =>
            _partitionError?.Invoke(new PartitionError(partition.StreamKey, partition,
                new MonarchLogsException(error.ErrorId, error.Kind, $"{error.Message} The live tail passes over the block {blockId} of {partition} and goes on.", error)));

        private static List<StreamId> Positions(List<MonarchLogEntry> entries) => entries.Select(e => LogEntryId.Parse(e.Id!).Position).ToList();

        private static StreamId LastId(StreamEntry[] entries) =>
            entries.Length > 0 && StreamId.TryParse(entries[entries.Length - 1].Id, out var id) ? id : new StreamId(0, 0);

        public void Dispose() => _decoder.Dispose();
    }
}
