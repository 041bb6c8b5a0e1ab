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
/// store, time to the first result and to all, beside a raw XREVRANGE fetch of the same
/// partitions and range with StackExchange.Redis.
/// </summary>
public static class QueryFigure
{
    public static async Task RunAsync(BenchSettings settings, ResultTable table, QueryStores stores)
    {
        var small = await MeasureStoreAsync(stores.Small, settings.QueryRepetitions);
        var big = await MeasureStoreAsync(stores.Big, settings.QueryRepetitions);

        foreach (var (store, result) in new[] { (stores.Small, small), (stores.Big, big) })
        {
            var ratio = result.AllMs / result.RawAllMs;
            table.Add(new FigureRow("4", $"Query Level=Error Since=1d, {Format.Count(store.Entries)} store ({result.Results:N0} results)",
                "≤ 2× raw XREVRANGE",
                $"first {Format.Ms(result.FirstMs)}, all {Format.Ms(result.AllMs)}",
                $"raw XREVRANGE: first {Format.Ms(result.RawFirstMs)}, all {Format.Ms(result.RawAllMs)}",
                Format.Ratio(ratio),
                ratio <= 2 && result.Results == result.RawResults ? Verdict.Pass : Verdict.Miss));
        }

        var scale = big.AllMs / small.AllMs;
        table.Add(new FigureRow("4", $"Query cost vs store size: {Format.Count(stores.Big.Entries)} store vs {Format.Count(stores.Small.Entries)} store, same results",
            "≤ 1.5×",
            $"all {Format.Ms(big.AllMs)}, first {Format.Ms(big.FirstMs)}",
            $"all {Format.Ms(small.AllMs)}, first {Format.Ms(small.FirstMs)}",
            $"{Format.Ratio(scale)} (first {Format.Ratio(big.FirstMs / small.FirstMs)})",
            scale <= 1.5 && big.Results == small.Results ? Verdict.Pass : Verdict.Miss));

        table.Note("4.", $"Stores: {LogWorkload.Shapes.Length} services × 6 levels, exactly 1% errors, ≈350 B of values per entry, filled with LogStore.AppendAsync (batches of {StoreFiller.BatchSize:N0}, one task per service, two batches in flight each): " +
            $"the {Format.Count(stores.Small.Entries)} store holds one day ({stores.Small.FillSeconds:0} s to fill), the {Format.Count(stores.Big.Entries)} store holds that day and {stores.Big.Entries / stores.Small.Entries - 1} older days ({stores.Big.FillSeconds:0} s), each in its own server, " +
            "so -Since 1d returns the same entries from both and only the store size differs (a 5M store spread over one day would return 5× the results, which measures the result count, not the store size).");
        table.Note("4.", $"Query: LogStore.QueryAsync(new LogQuery {{ Levels = [Error], Since = now - 1 day }}) newest first, each entry decoded to a MonarchLogEntry, with a new LogStore on the store's shared connection each time (so the format check and the registry read are counted). " +
            $"Raw reference: the error partitions' keys known beforehand, XREVRANGE key + <since> with no COUNT on each, all pipelined on the same connection, StreamEntry[] not decoded further; raw \"first\" is XREVRANGE … COUNT 1 on each. " +
            $"Median of {settings.QueryRepetitions} runs after one warm-up, query and raw alternating. Results: {small.Results:N0} / raw {small.RawResults:N0} (small), {big.Results:N0} / raw {big.RawResults:N0} (big).");
    }

    private sealed record StoreResult(double FirstMs, double AllMs, long Results, double RawFirstMs, double RawAllMs, long RawResults);

    private static async Task<StoreResult> MeasureStoreAsync(QueryStores.Store store, int repetitions)
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
            var (rawFirst, rawAll, rawCount) = await RawAsync(connection.GetDatabase(), errorPartitions, since);
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
