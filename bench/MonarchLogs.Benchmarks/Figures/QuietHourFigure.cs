using System.Diagnostics;
using MonarchLogs.Benchmarks.Infrastructure;
using MonarchLogs.Benchmarks.Reporting;
using MonarchLogs.Benchmarks.Valkey;
using MonarchLogs.Benchmarks.Workload;
using MonarchLogs.Core;
using MonarchLogs.Core.Append;
using MonarchLogs.Core.Format;
using MonarchLogs.Core.Format.Blocks;
using MonarchLogs.Testing;
using StackExchange.Redis;

namespace MonarchLogs.Benchmarks.Figures;

/// <summary>
/// Figure 11: the memory a quiet service's entries take, 10 entries/s over 20 partitions for an
/// hour, the heads included as they are at the end. An hour cannot run in a benchmark: the hour
/// is replayed time-compressed, its entries sent that many times faster, each as its own batch
/// (at 10 entries/s a writer sends each entry alone), with the head's compaction window and the
/// compactor's check interval shortened by the same factor through the appender's internal knobs.
/// </summary>
public static class QuietHourFigure
{
    private const double Target = 0.3;

    public static async Task RunAsync(BenchSettings settings, ResultTable table)
    {
        var compression = settings.QuietHourCompression;
        var rate = settings.QuietHourRate;
        var partitions = settings.QuietHourPartitions;
        var virtualSeconds = settings.QuietHourReplaySeconds;
        var compactAfter = BlockPositions.CompactAfter / compression;
        var checkEvery = HeadCompactor.DefaultCheckEvery / compression;

        await using var server = await ValkeyServer.StartAsync();
        using var admin = server.Connect();
        var stats = new ServerStats(admin);
        using var connection = await ConnectionMultiplexer.ConnectAsync(server.ConnectionString + ",syncTimeout=30000,asyncTimeout=30000");
        var format = settings.NewStoreFormat();
        ILogAppender appender = settings.FormatVersion == 2
            ? new BlockAppender(connection, format, BlockWorkloads.Host, new FormatCheck(connection, format), new SendTurns(), compactionFailed: null, compactAfter, checkEvery)
            : new Version1Writer(connection, format);

        // The entries' event times are the replay's own: they are logged as they are sent.
        var start = DateTime.UtcNow.AddSeconds(1);
        var entries = BlockWorkloads.Spread(rate * virtualSeconds, rate * compression, partitions, seed: 11, start);
        var rawJson = entries.Average(e => (double)RawJson.Encode(e).Length);
        var memoryBefore = await stats.SettledUsedMemoryAsync();
        Console.WriteLine($"  replaying {entries.Count:N0} entries ({virtualSeconds / 60} min at {rate} /s) in {virtualSeconds / compression:0} s ...");

        var sends = new List<Task<AppendResult>>(entries.Count);
        var clock = Stopwatch.StartNew();
        var startTicks = start.Ticks;
        foreach (var entry in entries)
        {
            var wait = TimeSpan.FromTicks(entry.Timestamp.Ticks - startTicks) - clock.Elapsed - TimeSpan.FromSeconds(1);
            if (wait > TimeSpan.FromMilliseconds(1)) await Task.Delay(wait);
            sends.Add(appender.AppendAsync(new AppendBatch(new[] { entry })));
        }

        var results = await Task.WhenAll(sends);
        var replaySeconds = clock.Elapsed.TotalSeconds;
        var stored = results.Sum(r => (long)r.Stored);

        // What a writer leaves: the heads hold the last window's entries; a compaction that was
        // due while the last entries were sent has had its check interval to run.
        await Task.Delay(checkEvery * 2);
        var memoryAfter = await stats.SettledUsedMemoryAsync();
        var store = new Core.Storage.LogStore(connection, format);
        long headBytes = 0, headBlocks = 0, streamBlocks = 0;
        var db = connection.GetDatabase();
        foreach (var partition in await store.GetPartitionsAsync())
        {
            streamBlocks += await db.StreamLengthAsync(partition.StreamKey);
            if (settings.FormatVersion != 2) continue;
            headBlocks += await db.StreamLengthAsync(partition.HeadKey);
            var usage = await db.ExecuteAsync("MEMORY", "USAGE", partition.HeadKey);
            headBytes += usage.IsNull ? 0 : (long)usage;
        }

        var perEntry = (double)(memoryAfter - memoryBefore) / stored;
        var ratio = perEntry / rawJson;
        table.Add(new FigureRow("11", $"Memory per entry, 10 entries/s over 20 partitions for {virtualSeconds / 60} min, format {settings.FormatVersion} (heads included)",
            $"≤ {Target}× raw JSON",
            $"{Format.Bytes(perEntry)} (of which the heads {Format.Bytes((double)headBytes / stored)})",
            $"raw JSON {Format.Bytes(rawJson)}",
            Format.Ratio(ratio),
            ratio <= Target && stored == entries.Count ? Verdict.Pass : Verdict.Miss));
        table.Note("11.", $"An hour cannot run in a benchmark: it is replayed {compression}× faster ({entries.Count:N0} entries of {partitions} partitions, five services at debug, information, warning and error, each entry in one at random, Poisson arrivals at {rate * compression} /s, sent in {replaySeconds:0} s), " +
            $"each entry as a batch of its own as a writer sends entries that come 100 ms apart, and the head's compaction window ({BlockPositions.CompactAfter.TotalMinutes:0} min) and the compactor's check interval ({HeadCompactor.DefaultCheckEvery.TotalSeconds:0} s) shortened by the same factor " +
            $"(to {compactAfter.TotalSeconds:0.0} s and {checkEvery.TotalSeconds:0.0} s, through BlockAppender's internal knobs), so a head compacts the same entries into one block as in a real hour; the event times are those of the replay. " +
            $"Memory: used_memory delta at the end over the {stored:N0} entries stored (BlockAppender's results), {streamBlocks:N0} blocks in the streams and {headBlocks:N0} head blocks left; the heads' share from MEMORY USAGE of each head. Raw JSON as in figure 3.");
    }
}
