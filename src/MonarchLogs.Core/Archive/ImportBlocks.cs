using System;
using System.Collections.Generic;
using System.IO;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using MonarchLogs.Core.Append;
using MonarchLogs.Core.Format;
using MonarchLogs.Core.Format.Blocks;

namespace MonarchLogs.Core.Archive
{
    /// <summary>
    /// Makes an import batch's blocks from the entries' payload lines: a partition's lines, in
    /// batch order, cut by the block bounds (<see cref="BlockCut"/>), each block made of its lines
    /// as they are (<see cref="BlockEncoder.TryConcatenate"/>: their times and tokens read from the
    /// lines, as a head's compaction does), in parallel, their seq in order. An entry read the
    /// entry's way gets the payload line a writer writes for it. Every block goes to the stream.
    /// </summary>
    internal static class ImportBlocks
    {
        private static readonly ThreadLocal<BlockEncoder> Encoders = new ThreadLocal<BlockEncoder>(() => new BlockEncoder());

        /// <summary>The blocks of <paramref name="lines"/> (entries of the file), as a batch the appender sends as they are.</summary>
        [MethodImpl(HotPath.Options)]
        public static AppendBatch Make(IReadOnlyList<ParsedLine> lines, StorageFormat format, WriterIdentity writer)
        {
            var byPartition = new Dictionary<string, (Partition Partition, List<int> Indexes)>(StringComparer.Ordinal);
            var order = new List<string>();
            for (var i = 0; i < lines.Count; i++)
            {
                var partition = lines[i].PartitionIn(format);
                if (!byPartition.TryGetValue(partition.StreamKey, out var run))
                {
                    run = (partition, new List<int>());
                    byPartition.Add(partition.StreamKey, run);
                    order.Add(partition.StreamKey);
                }

                run.Indexes.Add(i);
            }

            var payloads = new byte[lines.Count][];
            using (var single = new MemoryStream())
            {
                for (var i = 0; i < lines.Count; i++)
                {
                    if (lines[i].Payload is { } payload)
                    {
                        payloads[i] = payload;
                        continue;
                    }

                    // A writer's line for the entry, without its line end.
                    single.SetLength(0);
                    JsonLinesPayload.Write(new[] { lines[i].Entry! }, single);
                    var length = (int)single.Length;
                    while (length > 0 && single.GetBuffer()[length - 1] == (byte)'\n') length--;
                    payloads[i] = new ReadOnlySpan<byte>(single.GetBuffer(), 0, length).ToArray();
                }
            }

            var cuts = new List<(Partition Partition, List<int> Indexes)>();
            foreach (var key in order)
            {
                var (partition, indexes) = byPartition[key];
                var cut = new BlockCut();
                var current = new List<int>();
                foreach (var index in indexes)
                {
                    var ticks = lines[index].UnixTicks;
                    if (!cut.Fits(1, payloads[index].Length, ticks, ticks))
                    {
                        cuts.Add((partition, current));
                        current = new List<int>();
                        cut = new BlockCut();
                    }

                    cut.Add(1, payloads[index].Length, ticks, ticks);
                    current.Add(index);
                }

                if (current.Count > 0) cuts.Add((partition, current));
            }

            var sequences = new long[cuts.Count];
            for (var b = 0; b < cuts.Count; b++) sequences[b] = writer.Next();
            var blocks = new PlannedBlock[cuts.Count];
            Parallel.For(0, cuts.Count, b => blocks[b] = Encode(cuts[b].Partition, cuts[b].Indexes, payloads, lines, writer.Id, sequences[b]));
            return new AppendBatch(lines.Count, new List<PlannedBlock>(blocks)) { AtEventTime = true };
        }

        [MethodImpl(HotPath.Options)]
        private static PlannedBlock Encode(Partition partition, List<int> indexes, byte[][] payloads, IReadOnlyList<ParsedLine> lines, string writerId, long sequence)
        {
            var size = 0;
            long first = long.MaxValue, last = long.MinValue;
            foreach (var index in indexes)
            {
                size += payloads[index].Length + 1;
                first = Math.Min(first, lines[index].UnixTicks);
                last = Math.Max(last, lines[index].UnixTicks);
            }

            var joined = new byte[size];
            var at = 0;
            foreach (var index in indexes)
            {
                Buffer.BlockCopy(payloads[index], 0, joined, at, payloads[index].Length);
                at += payloads[index].Length;
                joined[at++] = (byte)'\n';
            }

            var lineBlock = new EncodedBlock(new BlockHeader { Count = indexes.Count, FirstTicks = first, LastTicks = last, Codec = BlockCodec.JsonLines }, joined);
            var encoder = Encoders.Value!;
            var block = encoder.TryConcatenate(new[] { lineBlock }, writerId, sequence)
                ?? encoder.Encode(JsonLinesPayload.Read(joined, indexes.Count, partition), writerId, sequence);
            return new PlannedBlock(partition, toHead: false, indexes, block);
        }
    }
}
