using System;
using System.Collections.Generic;
using System.IO;

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
        private readonly HashSet<ulong> _tokens = new HashSet<ulong>();
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

            long first = long.MaxValue, last = long.MinValue;
            var minutes = new SortedDictionary<long, int>();
            _tokens.Clear();
            MonarchLogEntry? previous = null;
            foreach (var entry in entries)
            {
                var ticks = BlockHeader.ToUnixTicks(entry.Timestamp);
                first = Math.Min(first, ticks);
                last = Math.Max(last, ticks);
                var minute = BlockHeader.MinuteOf(ticks);
                minutes[minute] = minutes.TryGetValue(minute, out var count) ? count + 1 : 1;
                if (_falsePositiveRate > 0) BlockTokens.Collect(entry, previous, _hasher, _tokens);
                previous = entry;
            }

            BloomFilter? bloom = null;
            if (_falsePositiveRate > 0)
            {
                bloom = BloomFilter.ForTokens(_tokens.Count, _falsePositiveRate);
                foreach (var token in _tokens) bloom.AddHash(token);
            }

            _lines.SetLength(0);
            JsonLinesPayload.Write(entries, _lines, defaultHost ?? string.Empty);
            var lines = new ReadOnlySpan<byte>(_lines.GetBuffer(), 0, (int)_lines.Length);
            var payload = _codec == BlockCodec.Zstd ? _zstd.Compress(lines, _zstdLevel) : lines.ToArray();

            var minuteCounts = new List<MinuteCount>(minutes.Count);
            foreach (var pair in minutes) minuteCounts.Add(new MinuteCount(pair.Key, pair.Value));
            return new EncodedBlock(
                new BlockHeader
                {
                    Count = entries.Count,
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
