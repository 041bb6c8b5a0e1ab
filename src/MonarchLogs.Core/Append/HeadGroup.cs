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
    /// head is read from its oldest block, decoded, second copies of a (w, seq) dropped (still
    /// replaced), and cut in order by the bounds of a block (<see cref="BlockCut"/>), a head block never split.
    /// </summary>
    internal sealed class HeadGroup
    {
        /// <summary>Head blocks read per XRANGE.</summary>
        private const int PageBlocks = 64;

        /// <summary>The most entries one compaction moves; the rest waits for the next.</summary>
        private const int MostEntries = 4 * BlockPositions.MaxBlockEntries;

        private HeadGroup(StreamId first) => First = first;

        public StreamId First { get; }

        public StreamId Last { get; private set; }

        public int HeadBlocks { get; private set; }

        public List<MonarchLogEntry> Entries { get; } = new List<MonarchLogEntry>();

        public BlockCut Cut;

        public void Add(StreamId id, List<MonarchLogEntry> entries, long bytes, BlockHeader header)
        {
            Last = id;
            HeadBlocks++;
            if (entries.Count == 0) return;
            Entries.AddRange(entries);
            Cut.Add(entries.Count, bytes, header.FirstTicks, header.LastTicks);
        }

        /// <summary>The head's oldest blocks, decoded, without second copies of a (w, seq), cut into the groups each compaction block replaces, in head order.</summary>
        public static async Task<List<HeadGroup>> ReadAsync(IDatabase db, Partition partition, CancellationToken cancellationToken)
        {
            var groups = new List<HeadGroup>();
            var seen = new HashSet<(string, long)>();
            var entries = 0;
            using var decoder = new BlockDecoder();
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
                    var decoded = duplicate ? new List<MonarchLogEntry>() : stored.Decode(partition, decoder);
                    var bytes = decoded.Sum(BlockCut.SizeOf);
                    if (current is null || (decoded.Count > 0 && current.Entries.Count > 0 && !current.Cut.Fits(decoded.Count, bytes, stored.Header.FirstTicks, stored.Header.LastTicks)))
                    {
                        if (entries >= MostEntries) break;
                        current = new HeadGroup(id);
                        groups.Add(current);
                    }

                    current.Add(id, decoded, bytes, stored.Header);
                    entries += decoded.Count;
                }

                if (page.Length < PageBlocks || entries >= MostEntries) break;
                from = "(" + page[page.Length - 1].Id;
            }

            // A group starts with a block that has entries: a second copy joins the group before it.
            return groups.Where(group => group.Entries.Count > 0).ToList();
        }
    }
}
