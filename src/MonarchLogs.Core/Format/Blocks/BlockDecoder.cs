using System;
using System.Buffers;
using System.Collections.Generic;

namespace MonarchLogs.Core.Format.Blocks
{
    /// <summary>
    /// Reads blocks: the header's skip decisions (time span, Bloom filter), and the payload back
    /// into entries. One instance per thread: it reuses its zstd context.
    /// </summary>
    internal sealed class BlockDecoder : IDisposable
    {
        private readonly ZstdCompression _zstd = new ZstdCompression();

        /// <summary>Whether the block may hold entries of the half-open event time range [since, until), in Unix ticks.</summary>
        public static bool Overlaps(BlockHeader header, long sinceTicks, long untilTicks) =>
            header.LastTicks >= sinceTicks && header.FirstTicks < untilTicks;

        /// <summary>False when the block certainly holds no entry with the token (<see cref="BlockTokens"/>); true when it may, or has no filter.</summary>
        public static bool MayHold(BlockHeader header, string token) => header.Bloom?.MayContain(token) ?? true;

        /// <summary>The block's entries, in stored order, as entries of <paramref name="partition"/> (without an <see cref="MonarchLogEntry.Id"/>).</summary>
        /// <exception cref="MonarchLogsException"><c>InvalidBlock</c> for a payload that does not read or does not agree with its header.</exception>
        public List<MonarchLogEntry> Decode(EncodedBlock block, Partition partition)
        {
            var header = block.Header;
            var lines = header.Codec == BlockCodec.Zstd ? _zstd.Decompress(block.Payload.Span) : block.Payload.Span;
            var entries = JsonLinesPayload.Read(lines, header.Count, partition);
            foreach (var entry in entries) CheckTime(header, BlockHeader.ToUnixTicks(entry.Timestamp));
            return entries;
        }

        /// <summary>The block's payload lines, checked as <see cref="Decode"/> checks its entries, without making entries of them.</summary>
        /// <exception cref="MonarchLogsException"><c>InvalidBlock</c>, as <see cref="Decode"/>.</exception>
        /// <remarks>
        /// The lines keep the payload after the next block is decoded (the decompressor's buffer is
        /// reused), in a buffer rented from the shared pool: see <see cref="PayloadLines.Hold"/>.
        /// </remarks>
        public PayloadLines DecodeLines(EncodedBlock block)
        {
            var content = block.Header.Codec == BlockCodec.Zstd ? _zstd.Decompress(block.Payload.Span) : block.Payload.Span;
            var payload = ArrayPool<byte>.Shared.Rent(Math.Max(1, content.Length));
            content.CopyTo(payload);
            PayloadLines lines;
            try
            {
                lines = PayloadLines.Read(payload, content.Length, pooled: true, block.Header.Count);
                for (var i = 0; i < lines.Count; i++) CheckTime(block.Header, lines.TicksOf(i));
            }
            catch
            {
                ArrayPool<byte>.Shared.Return(payload);
                throw;
            }

            return lines;
        }

        private static void CheckTime(BlockHeader header, long ticks)
        {
            if (ticks < header.FirstTicks || ticks > header.LastTicks)
            {
                throw BlockErrors.Invalid($"an entry's event time {ticks} lies outside the block's t0 = {header.FirstTicks} to t1 = {header.LastTicks}");
            }
        }

        public void Dispose() => _zstd.Dispose();
    }
}
