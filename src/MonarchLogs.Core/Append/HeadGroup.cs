using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using MonarchLogs.Core.Format;
using MonarchLogs.Core.Format.Blocks;
using StackExchange.Redis;

namespace MonarchLogs.Core.Append
{
    /// <summary>
    /// Head blocks in a row that one compaction block replaces (<see cref="HeadCompactor"/>): the
    /// head is read from its oldest block, second copies of a (w, seq) left out (still replaced),
    /// and cut in order by the bounds of a block (<see cref="BlockCut"/>, by the bytes of its JSON
    /// lines), a head block never split. The blocks are kept as stored: the compaction joins their
    /// JSON lines as they are, and decodes them only when it must (<see cref="BlockEncoder.TryConcatenate"/>).
    /// </summary>
    internal sealed class HeadGroup
    {
        /// <summary>Head blocks read per XRANGE.</summary>
        private const int PageBlocks = 64;

        /// <summary>The most entries one compaction moves; the rest waits for the next.</summary>
        private const int MostEntries = 4 * BlockPositions.MaxBlockEntries;

        private readonly List<StoredBlock> _blocks = new List<StoredBlock>();

        private HeadGroup(StreamId first) => First = first;

        public StreamId First { get; }

        public StreamId Last { get; private set; }

        public int HeadBlocks { get; private set; }

        /// <summary>Entries in the group's blocks (second copies left out).</summary>
        public int Count { get; private set; }

        public BlockCut Cut;

        /// <summary>The group's blocks as stored, when every one is a block (not a version 1 entry).</summary>
        public List<EncodedBlock>? Encoded
        {
            get
            {
                var encoded = new List<EncodedBlock>(_blocks.Count);
                foreach (var block in _blocks)
                {
                    if (block.Encoded is null) return null;
                    encoded.Add(block.Encoded);
                }

                return encoded;
            }
        }

        /// <summary>The group's entries, decoded.</summary>
        /// <exception cref="MonarchLogsException"><c>InvalidBlock</c> for a block that does not read.</exception>
        public List<MonarchLogEntry> Decode(Partition partition, BlockDecoder decoder)
        {
            var entries = new List<MonarchLogEntry>(Count);
            foreach (var block in _blocks) entries.AddRange(block.Decode(partition, decoder));
            return entries;
        }

        private void Add(StreamId id, StoredBlock? block, long bytes)
        {
            Last = id;
            HeadBlocks++;
            if (block is null) return;
            _blocks.Add(block);
            Count += block.Header.Count;
            Cut.Add(block.Header.Count, bytes, block.Header.FirstTicks, block.Header.LastTicks);
        }

        /// <summary>The head's oldest blocks, without second copies of a (w, seq), cut into the groups each compaction block replaces, in head order.</summary>
        public static async Task<List<HeadGroup>> ReadAsync(IDatabase db, Partition partition, CancellationToken cancellationToken)
        {
            var groups = new List<HeadGroup>();
            var seen = new HashSet<(string, long)>();
            var entries = 0;
            HeadGroup? current = null;
            var from = "-";
            while (entries < MostEntries)
            {
                var page = await db.StreamRangeAsync(partition.HeadKey, from, "+", PageBlocks).WithCancellation(cancellationToken).ConfigureAwait(false);
                foreach (var stream in page)
                {
                    var stored = StoredBlock.Read(partition, stream);
                    StreamId.TryParse(stream.Id, out var id);
                    var duplicate = stored.HasWriter && !seen.Add((stored.Header.WriterId, stored.Header.Sequence));
                    var count = duplicate ? 0 : stored.Header.Count;
                    var bytes = duplicate ? 0 : stored.Encoded is null ? stored.Decode(partition, null!).Sum(BlockCut.SizeOf) : stored.ContentBytes;
                    if (current is null || (count > 0 && current.Count > 0 && !current.Cut.Fits(count, bytes, stored.Header.FirstTicks, stored.Header.LastTicks)))
                    {
                        if (entries >= MostEntries) break;
                        current = new HeadGroup(id);
                        groups.Add(current);
                    }

                    current.Add(id, duplicate ? null : stored, bytes);
                    entries += count;
                }

                if (page.Length < PageBlocks || entries >= MostEntries) break;
                from = "(" + page[page.Length - 1].Id;
            }

            // A group starts with a block that has entries: a second copy joins the group before it.
            return groups.Where(group => group.Count > 0).ToList();
        }
    }
}
