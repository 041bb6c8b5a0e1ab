using System.Diagnostics;
using MonarchLogs.Benchmarks.Infrastructure;
using MonarchLogs.Benchmarks.Reporting;
using MonarchLogs.Core;
using MonarchLogs.Core.Format;
using MonarchLogs.Core.Query;
using MonarchLogs.Core.Storage;

namespace MonarchLogs.Benchmarks.Figures;

/// <summary>
/// Figure 8: statistics from the counts the writers keep (per hour, level and service over 30
/// days of the big store), checked against counting the entries; and a trace-id and a
/// property lookup over the day the small and the big store share.
/// </summary>
public static class StatisticsFigure
{
    private const double TargetLookupMs = 500;
    private const int TargetCommandMs = 5;

    private static string Describe(StackExchange.Redis.CommandTrace? command) =>
        command is null ? "none" : string.Join(' ', command.Arguments.Take(2).Select(a => (string?)a));

    public static async Task RunAsync(BenchSettings settings, ResultTable table, QueryStores stores)
    {
        var now = DateTime.UtcNow;
        var big = new LogStore(stores.Big.Connection);
        var month = new LogQuery { Since = now.AddDays(-30), Until = now };

        // Counts: warm-up, then the median of several runs, each with a new LogStore.
        await big.CountAsync(month, TimeSpan.FromHours(1));
        var times = new List<double>();
        Core.Statistics.LogCounts? counts = null;
        for (var i = 0; i < settings.QueryRepetitions; i++)
        {
            var started = Stopwatch.GetTimestamp();
            counts = await new LogStore(stores.Big.Connection).CountAsync(month, TimeSpan.FromHours(1));
            times.Add(Measure.ElapsedMs(started));
        }

        var counted = counts!.Partitions.Sum(p => p.Total);
        var byReading = counts.Partitions.Count(p => p.CountedByReading);

        // The truth: every entry of the big store read and put into its hour, by its ID time.
        var truth = new Dictionary<(string, int), long>();
        var readStarted = Stopwatch.GetTimestamp();
        long read = 0;
        await foreach (var entry in big.QueryAsync(new LogQuery { Since = month.Since, Until = month.Until, OldestFirst = true }))
        {
            var milliseconds = long.Parse(entry.Id!.Substring(0, entry.Id.IndexOf('-')), System.Globalization.CultureInfo.InvariantCulture);
            var bucket = (int)((milliseconds - StreamId.ToUnixMilliseconds(counts.Origin)) / 3_600_000);
            var key = (entry.Service + "/" + entry.Level, bucket);
            truth[key] = truth.GetValueOrDefault(key) + 1;
            read++;
        }

        var readMs = Measure.ElapsedMs(readStarted);
        var mismatches = 0;
        foreach (var partition in counts.Partitions)
        {
            for (var b = 0; b < partition.Buckets.Count; b++)
            {
                if (truth.GetValueOrDefault((partition.Partition.Service + "/" + partition.Partition.Level, b)) != partition.Buckets[b]) mismatches++;
            }
        }

        var median = Measure.Median(times);
        table.Add(new FigureRow("8", $"Statistics: counts per hour, level and service over 30 days, {Format.Count(stores.Big.Entries)} store",
            "≤ 100 ms, exactly the entries' count",
            $"{Format.Ms(median)} ({counts.BucketCount} hours × {counts.Partitions.Count} partitions, {Format.Count(counted)} entries, {mismatches} buckets differ)",
            $"reading every entry: {Format.Ms(readMs)} ({Format.Count(read)} entries)",
            Format.Ratio(median / readMs),
            median <= 100 && mismatches == 0 && counted == read ? Verdict.Pass : Verdict.Miss));

        // Lookups over the day both stores hold: one trace id, one property value.
        var commandCounts = new List<string>();
        var day = new LogQuery { Since = now.AddDays(-1), Until = now };
        var sample = await FirstWithTraceAsync(big, day);
        foreach (var (name, query) in new[]
        {
            ("trace id", day with { TraceIds = new[] { sample.TraceId } }),
            ("property", day with { Properties = new[] { PropertyCondition.From("RequestId", PropertyValue(sample)) } }),
        })
        {
            await CountAsync(big, query);

            // Every command of the lookup in the slow log (threshold 0), the slowest reported.
            var server = stores.Big.Connection.GetServer(stores.Big.Connection.GetEndPoints()[0]);
            await server.ConfigSetAsync("slowlog-log-slower-than", 0);
            await server.ConfigSetAsync("slowlog-max-len", 1_000_000);
            await server.SlowlogResetAsync();
            var started = Stopwatch.GetTimestamp();
            var found = await CountAsync(big, query);
            var ms = Measure.ElapsedMs(started);
            await server.ConfigSetAsync("slowlog-log-slower-than", 10_000);
            var commands = (await server.SlowlogGetAsync(1_000_000)).Where(c => c.Arguments.Length > 0 && (string?)c.Arguments[0] is { } name
                && !name.Equals("CONFIG", StringComparison.OrdinalIgnoreCase) && !name.Equals("SLOWLOG", StringComparison.OrdinalIgnoreCase)).ToList();
            commandCounts.Add($"{name}: " + string.Join(", ", commands.GroupBy(c => ((string?)c.Arguments[0] ?? "").ToUpperInvariant()).OrderByDescending(g => g.Count()).Select(g => $"{g.Key} {g.Count():N0}")));
            var slowest = commands.OrderByDescending(c => c.Duration).FirstOrDefault();
            var slowestMs = slowest?.Duration.TotalMilliseconds ?? 0;
            var over = commands.Count(c => c.Duration.TotalMilliseconds > TargetCommandMs);
            var examined = stores.Small.Entries;
            var perSecond = examined / (ms / 1000);
            table.Add(new FigureRow("8", $"Lookup by {name} over one day ({Format.Count(examined)} entries in the day, {Format.Count(stores.Big.Entries)} store, format {settings.FormatVersion}), {found} results",
                $"≤ {TargetLookupMs / 1000:0.0} s, no command over {TargetCommandMs} ms",
                $"{Format.Ms(ms)} ({Format.Rate(perSecond)} examined); {commands.Count:N0} commands, slowest {Format.Ms(slowestMs)} ({Describe(slowest)}), {over} over {TargetCommandMs} ms",
                "(a day of entries read and filtered)",
                Format.Ratio(ms / TargetLookupMs) + " of the target",
                ms <= TargetLookupMs && over == 0 ? Verdict.Pass : Verdict.Miss));
        }

        table.Note("8.", $"Statistics: LogStore.CountAsync(Since = now - 30 d, Until = now, interval 1 h) on the big store, filled through the append script (which keeps the counts); median of {settings.QueryRepetitions} runs after a warm-up, each with a new LogStore. " +
            $"Checked bucket by bucket against reading every entry of the range and putting it into its hour by its ID time; partitions counted by reading instead of from the counts: {byReading}. " +
            "Lookups: LogStore.QueryAsync with TraceIds or Properties (RequestId) over the last day, to the last result, after one warm-up. " +
            "Its commands: the server's slow log with a threshold of 0 during the measured lookup (every command and its server time; CONFIG excluded), the slowest named with its first two arguments, and those over 5 ms counted. Commands by name: " + string.Join("; ", commandCounts) + ".");
    }

    private static async Task<MonarchLogEntry> FirstWithTraceAsync(LogStore store, LogQuery day)
    {
        await foreach (var entry in store.QueryAsync(day with { Limit = 100 }))
        {
            if (entry.TraceId.Length > 0 && entry.Properties.Contains("RequestId", StringComparison.Ordinal)) return entry;
        }

        throw new InvalidOperationException("No entry of the last day has a trace id and a RequestId.");
    }

    private static object PropertyValue(MonarchLogEntry entry)
    {
        using var json = System.Text.Json.JsonDocument.Parse(entry.Properties);
        var value = json.RootElement.GetProperty("RequestId");
        return value.ValueKind == System.Text.Json.JsonValueKind.Number ? value.GetDecimal() : Wildcard.Escape(value.GetString() ?? string.Empty);
    }

    private static async Task<int> CountAsync(LogStore store, LogQuery query)
    {
        var found = 0;
        await foreach (var _ in store.QueryAsync(query)) found++;
        return found;
    }
}
