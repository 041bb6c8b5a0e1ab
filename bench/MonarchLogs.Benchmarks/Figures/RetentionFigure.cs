using System.Diagnostics;
using MonarchLogs.Benchmarks.Infrastructure;
using MonarchLogs.Benchmarks.Reporting;
using MonarchLogs.Benchmarks.Valkey;
using MonarchLogs.Benchmarks.Workload;
using MonarchLogs.Core.Format;
using MonarchLogs.Core.Storage;
using MonarchLogs.Testing;
using StackExchange.Redis;

namespace MonarchLogs.Benchmarks.Figures;

/// <summary>
/// Figure 6: LogStore.RemoveExpiredAsync over every partition of a store that holds entries
/// written 40 days ago (expired at 30 days) and recent ones; total time, and the longest single
/// command the server ran meanwhile, from its slow log (every command logged) and its latency monitor.
/// </summary>
public static class RetentionFigure
{
    private const double TargetStallMs = 5;
    private static readonly TimeSpan Retention = TimeSpan.FromDays(30);

    public static async Task RunAsync(BenchSettings settings, ResultTable table)
    {
        await using var server = await ValkeyServer.StartAsync();
        using var admin = server.Connect();
        var stats = new ServerStats(admin);
        using var connection = await ConnectionMultiplexer.ConnectAsync(server.ConnectionString + ",syncTimeout=30000,asyncTimeout=30000");
        var store = settings.NewStore(connection);
        var now = DateTime.UtcNow;
        var spreads = new[]
        {
            new TimeSpread(now - TimeSpan.FromDays(40), now - TimeSpan.FromDays(39), settings.RetentionExpiredEntries),
            new TimeSpread(now - TimeSpan.FromHours(2), now - TimeSpan.FromMinutes(1), settings.RetentionLiveEntries),
        };
        Console.WriteLine($"  filling: {settings.RetentionExpiredEntries:N0} expired + {settings.RetentionLiveEntries:N0} live entries ...");
        // As written live (format 2: upgraded, each block at its entries' time; StoreFiller.FillPastAsync).
        var written = await StoreFiller.FillPastAsync(settings, connection, settings.FormatVersion, new LogWorkload(), spreads);

        var serverApi = stats.Server;
        await serverApi.ConfigSetAsync("slowlog-log-slower-than", 0);
        await serverApi.ConfigSetAsync("slowlog-max-len", 1_000_000);
        await serverApi.ConfigSetAsync("latency-monitor-threshold", 1);
        await serverApi.SlowlogResetAsync();
        await serverApi.LatencyResetAsync();

        var cutoff = DateTime.UtcNow - Retention;
        var partitions = await store.GetPartitionsAsync();
        long removed = 0, commands = 0;
        var started = Stopwatch.GetTimestamp();
        foreach (var partition in partitions)
        {
            var result = await store.RemoveExpiredAsync(partition, cutoff);
            removed += result.RemovedEntries;
            commands += result.TrimCommands;
        }

        var totalMs = Measure.ElapsedMs(started);

        // Latency first, then stop both monitors, so that reading the long slow log is not itself counted.
        var latency = await serverApi.LatencyLatestAsync();
        await serverApi.ConfigSetAsync("latency-monitor-threshold", 0);
        await serverApi.ConfigSetAsync("slowlog-log-slower-than", 10_000);
        var slowlog = await serverApi.SlowlogGetAsync(1_000_000);
        var left = 0L;
        foreach (var partition in partitions) left += await connection.GetDatabase().StreamLengthAsync(partition.StreamKey);

        var trims = slowlog.Where(t => t.Arguments.Length > 0 && string.Equals((string?)t.Arguments[0], "XTRIM", StringComparison.OrdinalIgnoreCase)).ToList();
        var worst = slowlog.OrderByDescending(t => t.Duration).FirstOrDefault();
        var worstTrimMs = trims.Count > 0 ? trims.Max(t => t.Duration.TotalMilliseconds) : 0;
        var worstMs = worst?.Duration.TotalMilliseconds ?? 0;
        var worstName = worst is null ? "none" : string.Join(' ', worst.Arguments.Take(3).Select(a => (string?)a));
        var latencyText = latency.Length == 0
            ? "LATENCY LATEST: no event ≥ 1 ms"
            : "LATENCY LATEST: " + string.Join(", ", latency.Select(l => $"{l.EventName} max {l.MaxDurationMilliseconds} ms"));
        var latencyWorst = latency.Length == 0 ? 0 : latency.Max(l => l.MaxDurationMilliseconds);
        var stallMs = Math.Max(worstMs, latencyWorst);
        var trimMs = trims.Select(t => t.Duration.TotalMilliseconds).ToList();
        var trimsOver1Ms = trimMs.Count(d => d > 1);

        table.Add(new FigureRow("6", $"Retention: remove {Format.Count(settings.RetentionExpiredEntries)} expired entries (RemoveExpiredAsync over {partitions.Count} partitions)",
            "worst stall ≤ 5 ms",
            $"worst command {Format.Ms(worstMs)} (XTRIM {Format.Ms(worstTrimMs)}); total {Format.Ms(totalMs)}",
            latencyText,
            "",
            stallMs <= TargetStallMs && removed == settings.RetentionExpiredEntries ? Verdict.Pass : Verdict.Miss));
        table.Note("6.", $"{Format.Count(written)} entries written with LogStore.AppendAsync, {Format.Count(settings.RetentionExpiredEntries)} of them stamped 39–40 days ago, into {partitions.Count} partitions (6 services × 6 levels); cutoff now − 30 days. " +
            $"RemoveExpiredAsync per partition, one after the other as Remove-ExpiredMonarchLog does: removed {removed:N0}, {left:N0} stream entries left (the live entries; on format 2 the blocks holding them), {commands:N0} trim commands (XTRIM MINID ~ LIMIT 1000 until none, then one exact XTRIM), plus MEMORY USAGE before and after each partition. " +
            $"Stall: the longest command in SLOWLOG with slowlog-log-slower-than 0 (every command logged: {slowlog.Length:N0} entries, {trims.Count:N0} XTRIM; the longest was `{worstName}`), and LATENCY LATEST with latency-monitor-threshold 1 ms. " +
            $"Slowlog durations are the command's execution time on the server, which is what blocks other clients; on a loaded machine they also hold the time the server process was descheduled mid-command. " +
            $"XTRIM durations: p50 {Format.Ms(Measure.Percentile(trimMs, 50))}, p99 {Format.Ms(Measure.Percentile(trimMs, 99))}, max {Format.Ms(worstTrimMs)}, {trimsOver1Ms} of {trimMs.Count} over 1 ms.");
    }
}
