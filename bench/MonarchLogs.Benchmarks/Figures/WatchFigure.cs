using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;
using MonarchLogs.Benchmarks.Infrastructure;
using MonarchLogs.Benchmarks.Reporting;
using MonarchLogs.Benchmarks.Valkey;
using MonarchLogs.Core.Query;
using MonarchLogs.Core.Format;
using MonarchLogs.Core.Storage;
using MonarchLogs.Core.Tail;
using MonarchLogs.Testing;
using StackExchange.Redis;

namespace MonarchLogs.Benchmarks.Figures;

/// <summary>
/// Figure 5: from ILogger.Log in one "process" (the provider, its own connection) to the entry
/// coming out of LogTail.NextAsync in another (its own connection, as Watch-MonarchLog has),
/// for writes at random intervals; then what the tail alone costs the server while nothing is
/// written.
/// </summary>
public static class WatchFigure
{
    private const string ProbeCategory = "MonarchLogs.Benchmarks.WatchProbe";
    private const double TargetP99Ms = 1000;
    private const double TargetIdlePerSecond = 2;

    public static async Task RunAsync(BenchSettings settings, ResultTable table)
    {
        await using var server = await ValkeyServer.StartAsync();
        using var admin = server.Connect();
        var stats = new ServerStats(admin);
        using var tailConnection = await ConnectionMultiplexer.ConnectAsync(server.ConnectionString);
        ProviderHost? host = ProviderHost.Start(server.ConnectionString, "watch", 100_000, settings.FormatVersion);
        try
        {
            await host.WarmUpAsync();
            var logger = host.Factory.CreateLogger(ProbeCategory);

            var writes = settings.WatchWrites;
            var written = new long[writes];
            var seen = new long[writes];
            using var stop = new CancellationTokenSource();
            using var tail = await new LogStore(tailConnection).OpenTailAsync(new LogQuery { Categories = new[] { ProbeCategory } });
            var reader = Task.Run(() => TailAsync(tail, seen, stop.Token));

            var random = new Random(7);
            for (var i = 0; i < writes; i++)
            {
                await Task.Delay(random.Next(0, settings.WatchMaxIntervalMs + 1));
                written[i] = Stopwatch.GetTimestamp();
                logger.LogInformation("Watch probe {Sequence}", i);
            }

            await Measure.WaitUntilAsync(() => seen.All(s => s != 0), TimeSpan.FromSeconds(10), pollMs: 10);
            var latencies = Enumerable.Range(0, writes).Where(i => seen[i] != 0).Select(i => Measure.ElapsedMs(written[i], seen[i])).ToList();
            var missing = writes - latencies.Count;
            var p50 = Measure.Percentile(latencies, 50);
            var p99 = Measure.Percentile(latencies, 99);
            var max = latencies.Count > 0 ? latencies.Max() : double.NaN;

            // Idle: the provider gone, only the tail's loop left running.
            host.Dispose();
            host = null;
            await Task.Delay(1500);
            var before = await stats.CommandCallsAsync();
            var idleStarted = Stopwatch.GetTimestamp();
            await Task.Delay(settings.IdleWindow);
            var after = await stats.CommandCallsAsync();
            var idleSeconds = Measure.ElapsedMs(idleStarted) / 1000;
            stop.Cancel();
            await reader;

            var delta = ServerStats.Delta(before, after);
            delta.Remove("info"); // the measurement's own INFO commandstats
            var idleCommands = delta.Values.Sum();
            var perSecond = idleCommands / idleSeconds;

            table.Add(new FigureRow("5", $"Watch latency, write → LogTail ({writes} writes)",
                "p99 ≤ 1 s",
                $"p50 {Format.Ms(p50)}, p99 {Format.Ms(p99)}",
                $"max {Format.Ms(max)}; {missing} not seen",
                "",
                p99 <= TargetP99Ms && missing == 0 ? Verdict.Pass : Verdict.Miss));
            table.Add(new FigureRow("5", "Idle cost of a live tail (server commands per second)",
                "≤ 2 /s",
                Format.Number(perSecond, "0.00") + " /s",
                string.Join(", ", delta.OrderByDescending(d => d.Value).Select(d => $"{d.Key.ToUpperInvariant()} {d.Value}")) + $" in {idleSeconds:0.0} s",
                "",
                perSecond <= TargetIdlePerSecond ? Verdict.Pass : Verdict.Miss));
            table.Note("5.", $"Latency: ILogger.LogInformation through the provider (its own connection), then LogStore.OpenTailAsync + a NextAsync loop (poll interval {LogTail.DefaultPollInterval.TotalSeconds:0} s, woken by the writers' PUBLISH) on a second connection, filtered to the probe's category; " +
                $"{writes} writes 0–{settings.WatchMaxIntervalMs} ms apart at random; the latency is from just before Log to the entry's return from NextAsync (Stopwatch, one process).");
            table.Note("5.", $"Idle: the provider disposed, the tail's NextAsync loop still running; the sum of INFO commandstats calls over {idleSeconds:0.0} s, without the measurement's own INFO; every client of the server counts (the tail's connection, its subscription, the measuring connection's keep-alives).");
        }
        finally
        {
            host?.Dispose();
        }
    }

    private static async Task TailAsync(LogTail tail, long[] seen, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            IReadOnlyList<MonarchLogs.Core.MonarchLogEntry> entries;
            try
            {
                entries = await tail.NextAsync(LogTail.DefaultPollInterval, stop);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            var now = Stopwatch.GetTimestamp();
            foreach (var entry in entries)
            {
                var space = entry.Message.LastIndexOf(' ');
                if (int.TryParse(entry.Message.AsSpan(space + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var sequence)
                    && sequence >= 0 && sequence < seen.Length && seen[sequence] == 0)
                {
                    seen[sequence] = now;
                }
            }
        }
    }
}
