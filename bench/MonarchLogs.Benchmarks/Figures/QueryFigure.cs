using System.Diagnostics;
using MonarchLogs.Benchmarks.Infrastructure;
using MonarchLogs.Benchmarks.Reporting;
using MonarchLogs.Benchmarks.Workload;
using MonarchLogs.Core;
using MonarchLogs.Core.Query;
using MonarchLogs.Core.Format;
using MonarchLogs.Core.Storage;
using StackExchange.Redis;

namespace MonarchLogs.Benchmarks.Figures;

/// <summary>
/// Figure 4: Level=Error, Since=1 day through LogStore.QueryAsync on the small and the big
/// store, time to the first result and to all, format 2 beside format 1 (the same entries, in
/// the same run), and format 1 beside a raw XREVRANGE fetch of the same partitions and range
/// with StackExchange.Redis.
/// </summary>
public static class QueryFigure
{
    public static async Task RunAsync(BenchSettings settings, ResultTable table, QueryStores stores)
    {
        var results = new Dictionary<(int Version, string Size), StoreResult>();
        foreach (var size in new[] { "small", "big" })
        {
            foreach (var version in new[] { 1, 2 })
            {
                var store = stores.Of(version, size) ?? throw new InvalidOperationException($"No {size} store of format {version}.");
                results[(version, size)] = await MeasureStoreAsync(store, settings.QueryRepetitions, raw: version == 1);
            }
        }

        foreach (var size in new[] { "small", "big" })
        {
            var v2 = results[(2, size)];
            var v1 = results[(1, size)];
            var ratio = v2.AllMs / v1.AllMs;
            table.Add(new FigureRow("4", $"Query Level=Error Since=1d, {Format.Count(stores.Of(2, size)!.Entries)} store, format 2 ({v2.Results:N0} results)",
                "≤ 1.0× format 1",
                $"first {Format.Ms(v2.FirstMs)}, all {Format.Ms(v2.AllMs)}",
                $"format 1: first {Format.Ms(v1.FirstMs)}, all {Format.Ms(v1.AllMs)} ({v1.Results:N0} results; raw XREVRANGE of its entries: all {Format.Ms(v1.RawAllMs)})",
                Format.Ratio(ratio),
                ratio <= 1.0 && v2.Results == v1.Results && v1.Results == v1.RawResults ? Verdict.Pass : Verdict.Miss));
        }

        var small = results[(settings.FormatVersion, "small")];
        var big = results[(settings.FormatVersion, "big")];
        var scale = big.AllMs / small.AllMs;
        table.Add(new FigureRow("4", $"Query cost vs store size, format {settings.FormatVersion}: {Format.Count(stores.Big.Entries)} store vs {Format.Count(stores.Small.Entries)} store, same results",
            "≤ 1.5×",
            $"all {Format.Ms(big.AllMs)}, first {Format.Ms(big.FirstMs)}",
            $"all {Format.Ms(small.AllMs)}, first {Format.Ms(small.FirstMs)}",
            $"{Format.Ratio(scale)} (first {Format.Ratio(big.FirstMs / small.FirstMs)})",
            scale <= 1.5 && big.Results == small.Results ? Verdict.Pass : Verdict.Miss));

        table.Note("4.", $"Stores: {LogWorkload.Shapes.Length} services × 6 levels, exactly 1% errors, ≈350 B of values per entry, filled with LogStore.AppendAsync (batches of {StoreFiller.BatchSize:N0}, one task per service, two batches in flight each): " +
            $"the {Format.Count(stores.Small.Entries)} store holds one day, the {Format.Count(stores.Big.Entries)} store holds that day and {stores.Big.Entries / stores.Small.Entries - 1} older days, each in its own server, " +
            "so -Since 1d returns the same entries from both and only the store size differs (a 5M store spread over one day would return 5× the results, which measures the result count, not the store size). " +
            $"Each is filled twice, as a format 2 store and as a format 1 store (the same entries; the format 2 store filled as format 1, then upgraded with LogStore.UpgradeAsync, so that each block stands at its entries' time as a live writer's blocks do, not at the fill's; fill times: " +
            string.Join(", ", new[] { "small", "big" }.SelectMany(size => new[] { 2, 1 }.Select(v => $"{size} format {v} {stores.Of(v, size)!.FillSeconds:0} s"))) + ").");
        table.Note("4.", $"Query: LogStore.QueryAsync(new LogQuery {{ Levels = [Error], Since = now - 1 day }}) newest first, each entry decoded to a MonarchLogEntry, with a new LogStore on the store's shared connection each time (so the format check and the registry read are counted). " +
            $"Raw reference (format 1 only, where a stream entry is a log entry): the error partitions' keys known beforehand, XREVRANGE key + <since> with no COUNT on each, all pipelined on the same connection, StreamEntry[] not decoded further. " +
            $"Median of {settings.QueryRepetitions} runs after one warm-up, the stores measured one after the other. Results (format 2 / format 1 / raw): " +
            string.Join("; ", new[] { "small", "big" }.Select(size => $"{size} {results[(2, size)].Results:N0} / {results[(1, size)].Results:N0} / {results[(1, size)].RawResults:N0}")) + ".");
    }

    private sealed record StoreResult(double FirstMs, double AllMs, long Results, double RawFirstMs, double RawAllMs, long RawResults);

    private static async Task<StoreResult> MeasureStoreAsync(QueryStores.Store store, int repetitions, bool raw)
    {
        var connection = store.Connection;
        var errorPartitions = (await new LogStore(connection).GetPartitionsAsync())
            .Where(p => p.Level == MonarchLogLevel.Error).Select(p => (RedisKey)p.StreamKey).ToArray();
        var firsts = new List<double>();
        var alls = new List<double>();
        var rawFirsts = new List<double>();
        var rawAlls = new List<double>();
        long results = 0, rawResults = 0;
        for (var run = -1; run < repetitions; run++)
        {
            var since = DateTime.UtcNow.AddDays(-1);
            var (first, all, count) = await QueryAsync(connection, since);
            var (rawFirst, rawAll, rawCount) = raw ? await RawAsync(connection.GetDatabase(), errorPartitions, since) : (double.NaN, double.NaN, 0L);
            if (run < 0) continue;
            firsts.Add(first);
            alls.Add(all);
            rawFirsts.Add(rawFirst);
            rawAlls.Add(rawAll);
            results = count;
            rawResults = rawCount;
        }

        return new StoreResult(Measure.Median(firsts), Measure.Median(alls), results, Measure.Median(rawFirsts), Measure.Median(rawAlls), rawResults);
    }

    private static async Task<(double FirstMs, double AllMs, long Count)> QueryAsync(IConnectionMultiplexer connection, DateTime since)
    {
        var query = new LogQuery { Levels = new[] { MonarchLogLevel.Error }, Since = since };
        var started = Stopwatch.GetTimestamp();
        double first = double.NaN;
        long count = 0, chars = 0;
        await foreach (var entry in new LogStore(connection).QueryAsync(query))
        {
            if (count++ == 0) first = Measure.ElapsedMs(started);
            chars += entry.Message.Length;
        }

        var all = Measure.ElapsedMs(started);
        GC.KeepAlive(chars);
        return (first, all, count);
    }

    private static async Task<(double FirstMs, double AllMs, long Count)> RawAsync(IDatabase db, RedisKey[] partitions, DateTime since)
    {
        RedisValue low = StreamId.FromTime(since).ToString();
        var started = Stopwatch.GetTimestamp();
        var heads = partitions.Select(key => db.StreamRangeAsync(key, low, "+", 1, Order.Descending)).ToArray();
        await Task.WhenAll(heads);
        var first = Measure.ElapsedMs(started);

        started = Stopwatch.GetTimestamp();
        var ranges = partitions.Select(key => db.StreamRangeAsync(key, low, "+", null, Order.Descending)).ToArray();
        var pages = await Task.WhenAll(ranges);
        var all = Measure.ElapsedMs(started);
        return (first, all, pages.Sum(p => (long)p.Length));
    }
}
