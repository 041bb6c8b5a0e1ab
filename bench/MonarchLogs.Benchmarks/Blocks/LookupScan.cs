using System.Diagnostics;
using MonarchLogs.Benchmarks.Infrastructure;
using MonarchLogs.Core;
using MonarchLogs.Core.Format;
using MonarchLogs.Core.Format.Blocks;
using StackExchange.Redis;

namespace MonarchLogs.Benchmarks.Blocks;

/// <summary>
/// A day of entries stored as blocks, read the ways the readers will: every block (what an
/// export does), every header alone (from a stream of headers beside the blocks), and lookups
/// that open only the blocks whose Bloom filter may hold the token. The server's slow log
/// counts the commands that took longer than 1 ms and 5 ms.
/// </summary>
internal sealed class LookupScan
{
    /// <summary>Blocks per XRANGE of block entries: about 400 KB per reply at 50 KB per block.</summary>
    public const int BlocksPerRead = 8;

    /// <summary>Headers per XRANGE of the header stream: about 130 KB per reply.</summary>
    public const int HeadersPerRead = 200;

    private readonly BlockValkey _valkey;
    private readonly List<(Partition Partition, string Key)> _partitions = new();

    public LookupScan(BlockValkey valkey)
    {
        _valkey = valkey;
    }

    public int Blocks { get; private set; }

    public long Entries { get; private set; }

    public long PayloadBytes { get; private set; }

    public long HeaderBytes { get; private set; }

    /// <summary>
    /// Cuts the entries (in time order, of any partition) into blocks as a writer would, and
    /// writes each block to its partition's stream and its header (every field but data) to the
    /// stream beside it. <paramref name="observe"/> sees every entry (to pick the lookups' targets).
    /// </summary>
    public async Task FillAsync(IEnumerable<MonarchLogEntry> entries, int maxEntries, TimeSpan maxSpan, Action<MonarchLogEntry> observe)
    {
        using var encoder = new BlockEncoder();
        var held = new Dictionary<(string, MonarchLogLevel), (string Key, List<MonarchLogEntry> Block, long Sequence)>();
        var pending = new List<Task>();
        void Write(string key, List<MonarchLogEntry> block, long sequence)
        {
            var encoded = encoder.Encode(block, "bench", sequence);
            pending.Add(_valkey.Database.StreamAddAsync(key, BlockFields.ToStreamFields(encoded), BlockValkey.IdOf(encoded)));
            pending.Add(_valkey.Database.StreamAddAsync(key + ":h", HeaderOnly(encoded), BlockValkey.IdOf(encoded)));
            Blocks++;
            Entries += block.Count;
            PayloadBytes += encoded.Payload.Length;
            HeaderBytes += HeaderOnly(encoded).Sum(f => (long)((ReadOnlyMemory<byte>)f.Value).Length + f.Name.ToString().Length);
        }

        foreach (var entry in entries)
        {
            observe(entry);
            if (!held.TryGetValue((entry.Service, entry.Level), out var partition))
            {
                var key = _valkey.StreamKey(entry);
                _partitions.Add((_valkey.PartitionOf(entry), key));
                partition = (key, new List<MonarchLogEntry>(), 0);
            }

            if (partition.Block.Count > 0 && BlockCuts.Closes(partition.Block, entry, maxEntries, maxSpan))
            {
                Write(partition.Key, partition.Block, ++partition.Sequence);
                partition.Block = new List<MonarchLogEntry>();
            }

            partition.Block.Add(entry);
            held[(entry.Service, entry.Level)] = partition;
            if (pending.Count >= 64)
            {
                await Task.WhenAll(pending);
                pending.Clear();
            }
        }

        foreach (var partition in held.Values) Write(partition.Key, partition.Block, partition.Sequence + 1);
        await Task.WhenAll(pending);
    }

    /// <summary>A header entry: the block's fields without its data, with the same stream ID.</summary>
    private static NameValueEntry[] HeaderOnly(EncodedBlock block) => BlockFields.ToStreamFields(block).Where(f => f.Name != BlockFields.Data).ToArray();

    public sealed record ReadResult(double Ms, long Entries, int BlocksOpened, long BytesRead, long SlowOver1Ms, long SlowOver5Ms, long SlowestMicroseconds, string SlowestCommand);

    /// <summary>Reads and decodes every block of every partition, the partitions side by side.</summary>
    public Task<ReadResult> ReadEverythingAsync() => MeasureAsync(async () =>
    {
        var results = await Task.WhenAll(_partitions.Select(p => Task.Run(async () =>
        {
            using var decoder = new BlockDecoder();
            long entries = 0, bytes = 0;
            var opened = 0;
            await foreach (var stored in RangeAsync(p.Key, BlocksPerRead))
            {
                var block = BlockFields.Parse(stored.Values);
                bytes += block.Payload.Length;
                entries += decoder.Decode(block, p.Partition).Count;
                opened++;
            }

            return (entries, opened, bytes);
        })));
        return (results.Sum(r => r.entries), results.Sum(r => r.opened), results.Sum(r => r.bytes));
    });

    /// <summary>
    /// The entries with <paramref name="token"/> that <paramref name="matches"/>: the headers read
    /// from the header streams (or, without them, the block entries themselves), and only the
    /// blocks whose Bloom filter may hold the token fetched and opened.
    /// </summary>
    public Task<ReadResult> LookupAsync(string token, Func<MonarchLogEntry, bool> matches, bool headerStreams) => MeasureAsync(async () =>
    {
        var results = await Task.WhenAll(_partitions.Select(p => Task.Run(async () =>
        {
            using var decoder = new BlockDecoder();
            long found = 0, bytes = 0;
            var opened = 0;
            var key = headerStreams ? p.Key + ":h" : p.Key;
            await foreach (var stored in RangeAsync(key, headerStreams ? HeadersPerRead : BlocksPerRead))
            {
                var header = BlockFields.Parse(headerStreams ? stored.Values.Append(new NameValueEntry(BlockFields.Data, RedisValue.EmptyString)).ToArray() : stored.Values);
                if (!BlockDecoder.MayHold(header.Header, token)) continue;
                var block = header;
                if (headerStreams)
                {
                    var full = await _valkey.Database.StreamRangeAsync(p.Key, stored.Id, stored.Id);
                    block = BlockFields.Parse(full[0].Values);
                }

                bytes += block.Payload.Length;
                opened++;
                found += decoder.Decode(block, p.Partition).Count(matches);
            }

            return (found, opened, bytes);
        })));
        return (results.Sum(r => r.found), results.Sum(r => r.opened), results.Sum(r => r.bytes));
    });

    private async IAsyncEnumerable<StreamEntry> RangeAsync(string key, int count)
    {
        RedisValue from = "-";
        while (true)
        {
            var batch = await _valkey.Database.StreamRangeAsync(key, from, "+", count);
            foreach (var entry in batch) yield return entry;
            if (batch.Length < count) yield break;
            from = "(" + batch[^1].Id;
        }
    }

    private async Task<ReadResult> MeasureAsync(Func<Task<(long Entries, int Opened, long Bytes)>> read)
    {
        var db = _valkey.Database;
        await db.ExecuteAsync("CONFIG", "SET", "slowlog-log-slower-than", "1000");
        await db.ExecuteAsync("CONFIG", "SET", "slowlog-max-len", "100000");
        await db.ExecuteAsync("SLOWLOG", "RESET");
        var started = Stopwatch.GetTimestamp();
        var (entries, opened, bytes) = await read();
        var ms = Measure.ElapsedMs(started);
        var slow = ((RedisResult[])(await db.ExecuteAsync("SLOWLOG", "GET", "-1"))!).Select(e => (RedisResult[])e!).ToList();
        var durations = slow.Select(e => (long)e[2]).ToList();
        var slowest = slow.OrderByDescending(e => (long)e[2]).FirstOrDefault();
        var command = slowest is null ? string.Empty : string.Join(" ", ((RedisResult[])slowest[3]!).Select(a => (string?)a).Where(a => a is not null && a.Length < 40).Take(6));
        return new ReadResult(ms, entries, opened, bytes, durations.Count, durations.Count(d => d > 5_000), durations.Count == 0 ? 0 : durations.Max(), command);
    }
}
