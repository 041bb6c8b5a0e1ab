using MonarchLogs.Core;
using MonarchLogs.Core.Format;
using MonarchLogs.Core.Format.Blocks;
using ZstdSharp;

namespace MonarchLogs.Benchmarks.Blocks;

/// <summary>One way to store a block's entries: its payload and the way back.</summary>
internal sealed class BlockCandidate : IDisposable
{
    private readonly Func<IReadOnlyList<MonarchLogEntry>, byte[]> _encode;
    private readonly Func<byte[], int, Partition, List<MonarchLogEntry>> _decode;
    private readonly IDisposable? _resources;

    public BlockCandidate(string name, Func<IReadOnlyList<MonarchLogEntry>, byte[]> encode, Func<byte[], int, Partition, List<MonarchLogEntry>> decode, IDisposable? resources = null)
    {
        Name = name;
        _encode = encode;
        _decode = decode;
        _resources = resources;
    }

    public string Name { get; }

    public byte[] Encode(IReadOnlyList<MonarchLogEntry> entries) => _encode(entries);

    public List<MonarchLogEntry> Decode(byte[] payload, int count, Partition partition) => _decode(payload, count, partition);

    public void Dispose() => _resources?.Dispose();
}

/// <summary>
/// The candidates: Core's JSON lines (row-wise) as they are or in zstd at a level, the
/// column-wise layout in zstd, and JSON lines in zstd with a trained dictionary.
/// </summary>
internal static class BlockCandidates
{
    public static BlockCandidate Rows(BlockCodec codec, int level = BlockEncoder.DefaultZstdLevel)
    {
        var zstd = new ZstdCompression();
        var lines = new MemoryStream();
        return new BlockCandidate(
            codec == BlockCodec.JsonLines ? "rows, jsonl (uncompressed)" : $"rows, zstd {level}",
            entries =>
            {
                lines.SetLength(0);
                JsonLinesPayload.Write(entries, lines);
                var span = new ReadOnlySpan<byte>(lines.GetBuffer(), 0, (int)lines.Length);
                return codec == BlockCodec.Zstd ? zstd.Compress(span, level) : span.ToArray();
            },
            (payload, count, partition) => JsonLinesPayload.Read(codec == BlockCodec.Zstd ? zstd.Decompress(payload) : payload, count, partition),
            zstd);
    }

    public static BlockCandidate Columns(int level)
    {
        var compressor = new Compressor(level);
        var decompressor = new Decompressor();
        return new BlockCandidate(
            $"columns, zstd {level}",
            entries => compressor.Wrap(ColumnPayload.Encode(entries)).ToArray(),
            (payload, count, partition) => ColumnPayload.Decode(decompressor.Unwrap(payload), count, partition),
            new Both(compressor, decompressor));
    }

    /// <summary>JSON lines in zstd with a dictionary trained on other entries (each entry's line one sample).</summary>
    public static BlockCandidate RowsWithDictionary(byte[] dictionary, int level = BlockEncoder.DefaultZstdLevel)
    {
        var compressor = new Compressor(level);
        compressor.LoadDictionary(dictionary);
        var decompressor = new Decompressor();
        decompressor.LoadDictionary(dictionary);
        var lines = new MemoryStream();
        return new BlockCandidate(
            $"rows, zstd {level} + {dictionary.Length / 1024} KB dictionary",
            entries =>
            {
                lines.SetLength(0);
                JsonLinesPayload.Write(entries, lines);
                return compressor.Wrap(new ReadOnlySpan<byte>(lines.GetBuffer(), 0, (int)lines.Length)).ToArray();
            },
            (payload, count, partition) => JsonLinesPayload.Read(decompressor.Unwrap(payload), count, partition),
            new Both(compressor, decompressor));
    }

    /// <summary>A zstd dictionary of <paramref name="bytes"/> trained on the entries' JSON lines.</summary>
    public static byte[] TrainDictionary(IEnumerable<MonarchLogEntry> entries, int bytes)
    {
        var samples = new List<byte[]>();
        var line = new MemoryStream();
        foreach (var entry in entries)
        {
            line.SetLength(0);
            JsonLinesPayload.Write(new[] { entry }, line);
            samples.Add(line.ToArray());
        }

        return DictBuilder.TrainFromBuffer(samples, bytes);
    }

    private sealed class Both(IDisposable first, IDisposable second) : IDisposable
    {
        public void Dispose()
        {
            first.Dispose();
            second.Dispose();
        }
    }
}
