using System;
using System.Collections.Generic;
using System.IO;
using System.Runtime.CompilerServices;

namespace MonarchLogs.Core.Format.Blocks
{
    /// <summary>
    /// Makes one block of entries of one partition: the header a reader can act on without
    /// opening the block (count, event time span, entries per minute, Bloom filter of the
    /// entries' tokens) and the payload (the JSON lines, compressed by the codec). One instance
    /// per thread: it reuses its buffers.
    /// </summary>
    internal sealed class BlockEncoder : IDisposable
    {
        /// <summary>The zstd level the measurements chose (docs/design/storage-format-2.md).</summary>
        public const int DefaultZstdLevel = 1;

        /// <summary>The Bloom filters' false-positive rate per block the measurements chose.</summary>
        public const double DefaultFalsePositiveRate = 0.01;

        private readonly BlockCodec _codec;
        private readonly int _zstdLevel;
        private readonly double _falsePositiveRate;
        private readonly MemoryStream _lines = new MemoryStream(64 * 1024);
        private readonly TokenSet _tokens = new TokenSet();
        private readonly List<long> _ticks = new List<long>();
        private readonly TokenHasher _hasher = new TokenHasher();
        private readonly ZstdCompression _zstd = new ZstdCompression();

        /// <param name="codec">How the payload is stored.</param>
        /// <param name="zstdLevel">The zstd level, for <see cref="BlockCodec.Zstd"/>.</param>
        /// <param name="falsePositiveRate">The Bloom filter's false-positive rate; 0 for a block without one.</param>
        public BlockEncoder(BlockCodec codec = BlockCodec.Zstd, int zstdLevel = DefaultZstdLevel, double falsePositiveRate = DefaultFalsePositiveRate)
        {
            if (falsePositiveRate < 0 || falsePositiveRate >= 1) throw new ArgumentOutOfRangeException(nameof(falsePositiveRate), "The false-positive rate must be 0 (no filter) or between 0 and 1.");
            _codec = codec;
            _zstdLevel = zstdLevel;
            _falsePositiveRate = falsePositiveRate;
        }

        /// <summary>
        /// The block of <paramref name="entries"/> (of one partition, in the order given), by
        /// <paramref name="writerId"/> as its block <paramref name="sequence"/>; an entry without a
        /// host is stored with <paramref name="defaultHost"/> (the writer's machine).
        /// </summary>
        public EncodedBlock Encode(IReadOnlyList<MonarchLogEntry> entries, string writerId, long sequence, string defaultHost = "")
        {
            if (entries is null) throw new ArgumentNullException(nameof(entries));
            if (entries.Count < 1 || entries.Count > BlockHeader.MaxCount) throw new ArgumentException($"A block holds 1 to {BlockHeader.MaxCount} entries; got {entries.Count}.", nameof(entries));
            if (writerId is null || writerId.Length > BlockFields.MaxWriterIdLength) throw new ArgumentException($"A writer id is 0 to {BlockFields.MaxWriterIdLength} characters.", nameof(writerId));
            if (sequence < 0) throw new ArgumentOutOfRangeException(nameof(sequence), "A block sequence is not negative.");

            _ticks.Clear();
            _tokens.Clear();
            MonarchLogEntry? previous = null;
            foreach (var entry in entries)
            {
                _ticks.Add(BlockHeader.ToUnixTicks(entry.Timestamp));
                if (_falsePositiveRate > 0) BlockTokens.Collect(entry, previous, _hasher, _tokens);
                previous = entry;
            }

            _lines.SetLength(0);
            JsonLinesPayload.Write(entries, _lines, defaultHost ?? string.Empty);
            return Finish(writerId, sequence);
        }

        /// <summary>
        /// One block of the entries of <paramref name="blocks"/> (of one partition, in the order
        /// given), made from their JSON lines as they are, without decoding them into entries: what a
        /// head's compaction does with the head blocks a writer wrote. Null when a block's lines are
        /// not as a writer writes them (<see cref="JsonLinesScan"/>): then decode them and
        /// <see cref="Encode"/> the entries.
        /// </summary>
        /// <exception cref="MonarchLogsException"><c>InvalidBlock</c> for a zstd payload that does not read.</exception>
        [MethodImpl(HotPath.Options)]
        public EncodedBlock? TryConcatenate(IReadOnlyList<EncodedBlock> blocks, string writerId, long sequence)
        {
            if (blocks is null) throw new ArgumentNullException(nameof(blocks));
            _ticks.Clear();
            _tokens.Clear();
            _lines.SetLength(0);
            foreach (var block in blocks)
            {
                var header = block.Header;
                var lines = header.Codec == BlockCodec.Zstd ? _zstd.Decompress(block.Payload.Span) : block.Payload.Span;
                var start = _ticks.Count;
                if (!JsonLinesScan.TryScan(lines, header.Count, _hasher, _falsePositiveRate > 0 ? _tokens : null, _ticks)) return null;
                for (var i = start; i < _ticks.Count; i++)
                {
                    // The decoder refuses a block whose entries lie outside its header's times.
                    if (_ticks[i] < header.FirstTicks || _ticks[i] > header.LastTicks) return null;
                }

#if NETSTANDARD2_0
                _lines.Write(lines.ToArray(), 0, lines.Length);
#else
                _lines.Write(lines);
#endif
                if (lines.Length > 0 && lines[lines.Length - 1] != (byte)'\n') _lines.WriteByte((byte)'\n');
            }

            if (_ticks.Count < 1 || _ticks.Count > BlockHeader.MaxCount) return null;
            return Finish(writerId, sequence);
        }

        /// <summary>The block of the event times in <see cref="_ticks"/>, the tokens in <see cref="_tokens"/> and the JSON lines in <see cref="_lines"/>.</summary>
        [MethodImpl(HotPath.Options)]
        private EncodedBlock Finish(string writerId, long sequence)
        {
            long first = long.MaxValue, last = long.MinValue;
            var minutes = new SortedDictionary<long, int>();
            long runMinute = 0;
            var run = 0;
            foreach (var ticks in _ticks)
            {
                first = Math.Min(first, ticks);
                last = Math.Max(last, ticks);

                // Entries come mostly in time order: a run of one minute is counted, then added once.
                var minute = BlockHeader.MinuteOf(ticks);
                if (run > 0 && minute != runMinute)
                {
                    minutes[runMinute] = minutes.TryGetValue(runMinute, out var counted) ? counted + run : run;
                    run = 0;
                }

                runMinute = minute;
                run++;
            }

            if (run > 0) minutes[runMinute] = minutes.TryGetValue(runMinute, out var total) ? total + run : run;

            BloomFilter? bloom = null;
            if (_falsePositiveRate > 0)
            {
                bloom = BloomFilter.ForTokens(_tokens.Count, _falsePositiveRate);
                foreach (var token in _tokens.Items) bloom.AddHash(token);
            }

            var lines = new ReadOnlySpan<byte>(_lines.GetBuffer(), 0, (int)_lines.Length);
            var payload = _codec == BlockCodec.Zstd ? _zstd.Compress(lines, _zstdLevel) : lines.ToArray();

            var minuteCounts = new List<MinuteCount>(minutes.Count);
            foreach (var pair in minutes) minuteCounts.Add(new MinuteCount(pair.Key, pair.Value));
            return new EncodedBlock(
                new BlockHeader
                {
                    Count = _ticks.Count,
                    FirstTicks = first,
                    LastTicks = last,
                    WriterId = writerId,
                    Sequence = sequence,
                    Codec = _codec,
                    MinuteCounts = minuteCounts,
                    Bloom = bloom,
                },
                payload);
        }

        /// <summary>The distinct tokens of the last block encoded (its Bloom filter holds them).</summary>
        public int LastTokenCount => _tokens.Count;

        public void Dispose() => _zstd.Dispose();
    }
}
