using System.Globalization;
using MonarchLogs.Benchmarks.Valkey;
using MonarchLogs.Core;
using MonarchLogs.Core.Format;
using MonarchLogs.Core.Format.Blocks;
using MonarchLogs.Core.Storage;
using StackExchange.Redis;

namespace MonarchLogs.Benchmarks.Blocks;

/// <summary>
/// Blocks in a real Valkey: each partition's blocks XADDed to its stream key as storage
/// format 2 lays them out (<see cref="BlockFields"/>), and the memory they take as the
/// used_memory delta on an emptied server.
/// </summary>
internal sealed class BlockValkey
{
    private const int InFlight = 256;
    private readonly IConnectionMultiplexer _connection;
    private readonly ServerStats _stats;
    private readonly StorageFormat _format = new StorageFormat();

    public BlockValkey(IConnectionMultiplexer connection)
    {
        _connection = connection;
        _stats = new ServerStats(connection);
    }

    public IDatabase Database => _connection.GetDatabase();

    public ServerStats Stats => _stats;

    public string StreamKey(MonarchLogEntry first) => _format.GetPartition(first.Service, first.Level).StreamKey;

    public Partition PartitionOf(MonarchLogEntry first) => _format.GetPartition(first.Service, first.Level);

    /// <summary>Empties the server, sets stream-node-max-bytes, and returns the settled used_memory.</summary>
    public async Task<long> ResetAsync(int nodeMaxBytes = 4096)
    {
        await Database.ExecuteAsync("FLUSHALL", "SYNC");
        await Database.ExecuteAsync("CONFIG", "SET", "stream-node-max-bytes", nodeMaxBytes.ToString(CultureInfo.InvariantCulture));
        return await _stats.SettledUsedMemoryAsync();
    }

    /// <summary>Bytes of used_memory per entry since <paramref name="before"/>.</summary>
    public async Task<double> PerEntryAsync(long before, long entries) => (await _stats.SettledUsedMemoryAsync() - before) / (double)entries;

    /// <summary>Adds the blocks to their stream, each at its first event time's millisecond, pipelined.</summary>
    public async Task AddAsync(string key, IEnumerable<EncodedBlock> blocks, Func<EncodedBlock, NameValueEntry[]>? fields = null)
    {
        var pending = new List<Task>(InFlight);
        foreach (var block in blocks)
        {
            pending.Add(Database.StreamAddAsync(key, (fields ?? BlockFields.ToStreamFields)(block), IdOf(block)));
            if (pending.Count == InFlight)
            {
                await Task.WhenAll(pending);
                pending.Clear();
            }
        }

        await Task.WhenAll(pending);
    }

    /// <summary>A block's stream ID: its first event time in Unix milliseconds, with the sequence Valkey picks.</summary>
    public static string IdOf(EncodedBlock block) => Math.Max(0, block.Header.FirstTicks / TimeSpan.TicksPerMillisecond).ToString(CultureInfo.InvariantCulture) + "-*";

    /// <summary>The same entries written by format 1's own append (LogStore.AppendAsync, counts included), in batches of 2,000.</summary>
    public async Task AppendFormatOneAsync(IReadOnlyList<MonarchLogEntry> entries)
    {
        var store = new LogStore(_connection, _format);
        for (var at = 0; at < entries.Count; at += 2_000)
        {
            await store.AppendAsync(entries.Skip(at).Take(2_000).ToList());
        }
    }

    /// <summary>
    /// "Head then compact" for one partition: every entry goes at once into the partition's head
    /// stream as a one-entry block (what a live tail reads); when the head's oldest entry
    /// is <paramref name="window"/> old, or the head holds <paramref name="maxEntries"/>, the head
    /// becomes one block of the stream and is trimmed. Returns the blocks made.
    /// </summary>
    public async Task<int> HeadThenCompactAsync(IReadOnlyList<MonarchLogEntry> partition, TimeSpan window, int maxEntries, BlockEncoder compactor, BlockEncoder head)
    {
        var streamKey = StreamKey(partition[0]);
        var headKey = streamKey + ":head";
        var pending = new List<Task>(InFlight);
        var held = new List<MonarchLogEntry>();
        var blocks = 0;
        long sequence = 0;
        foreach (var entry in partition)
        {
            if (held.Count > 0 && (held.Count >= maxEntries || entry.Timestamp - held[0].Timestamp >= window))
            {
                var block = compactor.Encode(held, "bench", ++sequence);
                await Task.WhenAll(pending);
                pending.Clear();
                await Database.StreamAddAsync(streamKey, BlockFields.ToStreamFields(block), IdOf(block));
                await Database.StreamTrimAsync(headKey, 0);
                held.Clear();
                blocks++;
            }

            held.Add(entry);
            var one = head.Encode(new[] { entry }, "bench", ++sequence);
            pending.Add(Database.StreamAddAsync(headKey, BlockFields.ToStreamFields(one), IdOf(one)));
            if (pending.Count == InFlight)
            {
                await Task.WhenAll(pending);
                pending.Clear();
            }
        }

        await Task.WhenAll(pending);
        return blocks;
    }
}
