using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using MonarchLogs.Core.Format;
using MonarchLogs.Core.Format.Blocks;

namespace MonarchLogs.Core.Append
{
    /// <summary>One block an append sends: a partition's entries of one batch, for its stream or its head.</summary>
    internal sealed class PlannedBlock
    {
        public PlannedBlock(Partition partition, bool toHead, List<int> indexes, EncodedBlock block)
        {
            Partition = partition;
            ToHead = toHead;
            Indexes = indexes;
            Block = block;
        }

        public Partition Partition { get; }

        /// <summary>Whether the block goes to the partition's head (a small batch) rather than its stream.</summary>
        public bool ToHead { get; }

        /// <summary>The batch indexes of its entries, in batch order.</summary>
        public List<int> Indexes { get; }

        /// <summary>The block as encoded the first time, with its (w, seq): a retry sends the very same.</summary>
        public EncodedBlock Block { get; }
    }

    /// <summary>
    /// Cuts a batch into blocks: a partition's unsettled entries of the batch, in batch order, are
    /// blocks of its stream from <see cref="BlockPositions.DirectBlockEntries"/> on, else blocks of
    /// its head (one, unless they exceed a block's bounds, <see cref="BlockCut"/>). The blocks are
    /// made once per batch and kept with it, so a retry (after a lost reply) sends the blocks of the
    /// first attempt with their (w, seq), and readers can drop a block stored twice. A large batch
    /// (an import's) has its blocks encoded in parallel, an encoder per thread, their seq in order.
    /// </summary>
    internal sealed class BlockPlanner
    {
        private readonly StorageFormat _format;
        private readonly WriterIdentity _identity;
        private readonly string _host;
        /// <summary>Below this many entries a batch's blocks are encoded on the caller's thread.</summary>
        private const int ParallelEntries = 2048;

        /// <summary>
        /// Whether making the blocks of <paramref name="batch"/> is worth a thread of its own: a large
        /// batch not yet made into blocks. Its caller (a writer) then gathers its next batch meanwhile.
        /// </summary>
        public static bool EncodesAside(AppendBatch batch) => batch.Blocks is null && batch.Count >= ParallelEntries;

        private static readonly ThreadLocal<BlockEncoder> Encoders = new ThreadLocal<BlockEncoder>(() => new BlockEncoder());

        /// <summary>
        /// Head blocks have no Bloom filter: a reader reads the whole head, and a head block lives
        /// only until its compaction, whose block has one. Gathering the tokens was most of a
        /// small block's encoding time, and its filter most of its header.
        /// </summary>
        private static readonly ThreadLocal<BlockEncoder> HeadEncoders = new ThreadLocal<BlockEncoder>(() => new BlockEncoder(falsePositiveRate: 0));

        public BlockPlanner(StorageFormat format, WriterIdentity identity, string host)
        {
            _format = format;
            _identity = identity;
            _host = host;
        }

        /// <summary>The blocks of <paramref name="batch"/> not yet settled; called by one append at a time.</summary>
        public List<PlannedBlock> Plan(AppendBatch batch)
        {
            var planned = batch.Blocks;
            if (planned is null)
            {
                batch.Blocks = planned = Cut(batch);
                batch.Encoded?.Invoke();
            }

            var pending = new List<PlannedBlock>(planned.Count);
            foreach (var block in planned)
            {
                // A block settles as a whole (stored, or its partition given up).
                if (!batch.IsSettled(block.Indexes[0])) pending.Add(block);
            }

            return pending;
        }

        private List<PlannedBlock> Cut(AppendBatch batch)
        {
            var byPartition = new Dictionary<string, (Partition Partition, List<int> Indexes)>(StringComparer.Ordinal);
            var order = new List<string>();
            for (var i = 0; i < batch.Count; i++)
            {
                if (batch.IsSettled(i)) continue;
                var entry = batch.Entries[i];
                var partition = _format.GetPartition(entry.Service, entry.Level);
                if (!byPartition.TryGetValue(partition.StreamKey, out var run))
                {
                    run = (partition, new List<int>());
                    byPartition.Add(partition.StreamKey, run);
                    order.Add(partition.StreamKey);
                }

                run.Indexes.Add(i);
            }

            var cuts = new List<(Partition Partition, bool ToHead, List<int> Indexes)>();
            foreach (var key in order)
            {
                var (partition, indexes) = byPartition[key];
                var toHead = indexes.Count < BlockPositions.DirectBlockEntries;
                var cut = new BlockCut();
                var current = new List<int>();
                foreach (var index in indexes)
                {
                    var entry = batch.Entries[index];
                    var ticks = BlockHeader.ToUnixTicks(entry.Timestamp);
                    var size = BlockCut.SizeOf(entry);
                    if (!cut.Fits(1, size, ticks, ticks))
                    {
                        cuts.Add((partition, toHead, current));
                        current = new List<int>();
                        cut = new BlockCut();
                    }

                    cut.Add(1, size, ticks, ticks);
                    current.Add(index);
                }

                if (current.Count > 0) cuts.Add((partition, toHead, current));
            }

            var sequences = new long[cuts.Count];
            for (var b = 0; b < cuts.Count; b++) sequences[b] = _identity.Next();
            var blocks = new PlannedBlock[cuts.Count];
            if (batch.Count < ParallelEntries || cuts.Count < 2)
            {
                for (var b = 0; b < cuts.Count; b++) blocks[b] = Encode(batch, cuts[b], sequences[b]);
            }
            else
            {
                Parallel.For(0, cuts.Count, b => blocks[b] = Encode(batch, cuts[b], sequences[b]));
            }

            return new List<PlannedBlock>(blocks);
        }

        private PlannedBlock Encode(AppendBatch batch, (Partition Partition, bool ToHead, List<int> Indexes) cut, long sequence)
        {
            var entries = new MonarchLogEntry[cut.Indexes.Count];
            for (var k = 0; k < entries.Length; k++) entries[k] = batch.Entries[cut.Indexes[k]];
            var encoder = (cut.ToHead ? HeadEncoders : Encoders).Value!;
            return new PlannedBlock(cut.Partition, cut.ToHead, cut.Indexes, encoder.Encode(entries, _identity.Id, sequence, _host));
        }
    }
}
