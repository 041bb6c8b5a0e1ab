using System.Diagnostics;
using Microsoft.Extensions.Logging;
using MonarchLogs.Benchmarks.Infrastructure;
using MonarchLogs.Benchmarks.Reporting;
using MonarchLogs.Benchmarks.Valkey;
using MonarchLogs.Benchmarks.Workload;
using MonarchLogs.Core;
using MonarchLogs.Core.Append;
using MonarchLogs.Core.Ingest;
using MonarchLogs.Core.Storage;
using MonarchLogs.Testing;
using StackExchange.Redis;

namespace MonarchLogs.Benchmarks.Figures;

/// <summary>
/// Figure 8 on one throwaway server: the provider's two write paths side by side, (a) its own
/// RESP connection and encoder (<see cref="RespLogAppender"/>) and (b) StackExchange.Redis
/// (<see cref="StoreAppender"/>). Both send the same EVAL of the append script per partition
/// run of a batch. Each round measures both paths alone and through the whole provider, in
/// alternating order, and valkey-benchmark's XADD; the rule keeps (b), the simpler one, if it is
/// within 10% of (a) in rate and in server CPU per entry.
/// </summary>
public static class WritePathFigure
{
    public const int BatchSize = 2048;
    private const double RateTolerance = 0.90;
    private const double CpuTolerance = 1.10;
    private const int ValkeyBenchmarkPipeline = 64;
    private const int ValkeyBenchmarkClients = 50;
    private const string ProviderClientName = "MonarchLogs.Logging";

    private enum WritePath
    {
        Resp,
        Multiplexer,
    }

    /// <summary>One measurement: the rate, and the CPU the client process and the server spent per entry over the same interval.</summary>
    private sealed record PathRun(double EntriesPerSecond, double ClientUsPerEntry, double ServerUsPerEntry);

    private sealed class PathRuns
    {
        public List<PathRun> Appender { get; } = new();

        public List<PathRun> Ingest { get; } = new();

        public List<PathRun> Drain { get; } = new();

        public int ProviderConnections { get; set; }
    }

    public static async Task RunAsync(BenchSettings settings, ResultTable table)
    {
        await using var server = await ValkeyServer.StartAsync();
        using var admin = server.Connect();
        var stats = new ServerStats(admin);
        var db = admin.GetDatabase();
        var workload = new LogWorkload();
        var entries = settings.WritePathEntries;
        var baseTime = DateTime.UtcNow;
        var batches = Batches(workload, baseTime, entries);
        var warmUp = Batches(workload, baseTime.AddMinutes(-1), BatchSize)[0];
        var typical = LogWorkload.ToEntry(workload[entries / 2], baseTime, MonarchLogLevel.Information, Environment.MachineName);
        var command = IngestFigure.XaddCommand(typical);

        var runs = new Dictionary<WritePath, PathRuns> { [WritePath.Resp] = new(), [WritePath.Multiplexer] = new() };
        var benchmarks = new List<double>();
        var benchmarksOneClient = new List<double>();
        // An untimed round of every measurement first: both paths' code is compiled and tiered
        // up before the first timed round (a smaller one left the first round paying for it).
        foreach (var path in new[] { WritePath.Resp, WritePath.Multiplexer })
        {
            await AppenderAsync(path, server, stats, batches, warmUp, entries);
            await ProviderIngestAsync(path, server, stats, runs[path], workload, entries);
            await ProviderDrainAsync(path, server, stats, workload, entries);
        }

        for (var round = 0; round < settings.WritePathRounds; round++)
        {
            // Alternate which path goes first, so that a trend in the machine's load does not
            // always fall on the same one.
            var order = round % 2 == 0 ? new[] { WritePath.Resp, WritePath.Multiplexer } : new[] { WritePath.Multiplexer, WritePath.Resp };
            foreach (var path in order) runs[path].Appender.Add(await AppenderAsync(path, server, stats, batches, warmUp, entries));
            foreach (var path in order) runs[path].Ingest.Add(await ProviderIngestAsync(path, server, stats, runs[path], workload, entries));
            foreach (var path in order) runs[path].Drain.Add(await ProviderDrainAsync(path, server, stats, workload, entries));

            await db.ExecuteAsync("FLUSHALL", "SYNC");
            benchmarks.Add(await ValkeyBenchmarkTool.RunAsync(server.Port, settings.ValkeyBenchmarkRequests, ValkeyBenchmarkPipeline, ValkeyBenchmarkClients, command));
            await db.KeyDeleteAsync(IngestFigure.ValkeyBenchmarkKey);
            benchmarksOneClient.Add(await ValkeyBenchmarkTool.RunAsync(server.Port, settings.ValkeyBenchmarkRequests, ValkeyBenchmarkPipeline, 1, command));
            await db.KeyDeleteAsync(IngestFigure.ValkeyBenchmarkKey);
        }

        var a = runs[WritePath.Resp];
        var b = runs[WritePath.Multiplexer];
        var reference = Math.Max(Measure.Median(benchmarks), Measure.Median(benchmarksOneClient));
        var size = Format.Count(entries);

        var checks = new List<bool>
        {
            AddRateRow(table, $"Write path alone: (b) StoreAppender vs (a) RespLogAppender, batches of {BatchSize}, two in flight ({size} entries)", a.Appender, b.Appender),
            AddServerCpuRow(table, "Write path alone: server CPU per entry", a.Appender, b.Appender),
            AddRateRow(table, $"Write path through the provider: sustained ingest, (b) vs (a) ({size} entries)", a.Ingest, b.Ingest),
            AddServerCpuRow(table, "Write path through the provider: server CPU per entry (sustained ingest)", a.Ingest, b.Ingest),
        };
        AddClientCpuRow(table, "Write path alone: client CPU per entry", a.Appender, b.Appender);
        AddClientCpuRow(table, "Write path through the provider: client CPU per entry (sustained ingest, the producer's Log calls included)", a.Ingest, b.Ingest);
        var drainA = Median(a.Drain, r => r.EntriesPerSecond);
        var drainB = Median(b.Drain, r => r.EntriesPerSecond);
        table.Add(new FigureRow("8", $"Write path through the provider: writer alone, buffer drained with the producer idle ({size} entries)",
            "(none)",
            $"(b) {Format.Rate(drainB)}, client {Format.Us(Median(b.Drain, r => r.ClientUsPerEntry))}, server {Format.Us(Median(b.Drain, r => r.ServerUsPerEntry))} per entry",
            $"(a) {Format.Rate(drainA)}, client {Format.Us(Median(a.Drain, r => r.ClientUsPerEntry))}, server {Format.Us(Median(a.Drain, r => r.ServerUsPerEntry))} per entry",
            Format.Ratio(drainB / drainA),
            Verdict.Info));
        var appenderA = Median(a.Appender, r => r.EntriesPerSecond);
        var appenderB = Median(b.Appender, r => r.EntriesPerSecond);
        table.Add(new FigureRow("8", "Write path vs valkey-benchmark: alone / provider sustained / provider writer alone",
            "(none)",
            $"(a) {Format.Ratio(appenderA / reference)} / {Format.Ratio(Median(a.Ingest, r => r.EntriesPerSecond) / reference)} / {Format.Ratio(drainA / reference)}; " +
            $"(b) {Format.Ratio(appenderB / reference)} / {Format.Ratio(Median(b.Ingest, r => r.EntriesPerSecond) / reference)} / {Format.Ratio(drainB / reference)}",
            $"valkey-benchmark XADD -P {ValkeyBenchmarkPipeline}: {Format.Rate(Measure.Median(benchmarks))} with -c {ValkeyBenchmarkClients}, {Format.Rate(Measure.Median(benchmarksOneClient))} with -c 1",
            "",
            Verdict.Info));
        var keepsB = checks.All(c => c);
        table.Add(new FigureRow("8", "The rule: keep (b) if within 10% of (a) in rate and in server CPU per entry, alone and through the provider",
            "the four rows above pass",
            keepsB ? "keeps (b) StoreAppender" : "keeps (a) RespLogAppender",
            $"{checks.Count(c => c)} of {checks.Count} within 10%",
            "",
            Verdict.Info));

        table.Note("8.", $"The two write paths on one throwaway server, both sending one EVAL of the append script per partition run of a batch (with the registry HSET and the PUBLISH around it): (a) RespLogAppender, its own RESP connection and encoder; (b) StoreAppender, through a StackExchange.Redis ConnectionMultiplexer. " +
            $"The entries: the ingest figure's workload (6 services, levels 5% trace, 15% debug, 65% information, 10% warning, 4% error, 1% critical), {size} per measurement, built before the clock starts. " +
            $"One untimed warm-up round of every measurement, then {settings.WritePathRounds} round(s), each: both paths alone, both through the provider sustained, both through the provider writer alone, then valkey-benchmark -c {ValkeyBenchmarkClients} and -c 1; the order of (a) and (b) alternates from round to round, and the server is emptied (FLUSHALL SYNC) before each measurement. " +
            "The table gives medians over the rounds and the ratio of the medians, (b)/(a); the rule's rows pass when (b)'s rate is at least 0.90× (a)'s and its server CPU per entry at most 1.10×.");
        table.Note("8.", $"Alone: a new appender per measurement with the writer's connection options (abortConnect=false, backlog FailFast); one untimed batch of {BatchSize} first (connects, checks the format, registers the partitions, warms up the code), then {entries / BatchSize} batches of {BatchSize} (plus the remainder), " +
            "each AppendAsync started before the previous one is awaited, as the writer does: two in flight. Rate: entries / wall time from the first AppendAsync to the last reply. " +
            "Client CPU: Process.TotalProcessorTime delta of the whole benchmark process over the same interval, per entry (the caller does nothing else; it includes the client library's threads and the garbage collector). Server CPU: INFO cpu used_cpu_sys + used_cpu_user delta, per entry. " +
            "Every measurement checks that each entry was stored once (the appenders' counts, and XLEN over the partitions).");
        table.Note("8.", $"Through the provider: as figure 2 (one producer thread calls ILogger.Log {size} times as fast as it can, provider defaults, BufferCapacity {Format.Count(entries * 2)}), with each path forced by the connection string: " +
            $"(a) `127.0.0.1:PORT`, (b) `127.0.0.1:PORT,localhost:PORT`, the same server under two names: two endpoints, so the writer takes StackExchange.Redis's path, which connects to both and sends every command over one of them. " +
            $"(StackExchange.Redis folds `127.0.0.1:PORT,127.0.0.1:PORT` into one endpoint, which the writer serves with (a).) The provider's connections named {ProviderClientName} in CLIENT LIST: (a) {a.ProviderConnections}, (b) {b.ProviderConnections}; stored entries checked by XLEN over the partitions after every run: each entry once. " +
            "Sustained: rate from the first Log call until provider.EntriesWritten counts them all, CPU over the same interval (the client's includes the producer). " +
            "Writer alone: as figure 2 (the entries logged while the server holds writes, CLIENT PAUSE WRITE, then timed from CLIENT UNPAUSE until all are stored), with asyncTimeout=60000 in both connection strings so that no batch times out while the server holds it; CPU from CLIENT UNPAUSE on.");
        table.Note("8.", $"valkey-benchmark reference, same server, each round, {Format.Count(settings.ValkeyBenchmarkRequests)} requests of a typical entry with its 15 fields: `{IngestFigure.Shorten(ValkeyBenchmarkTool.Describe(server.Port, settings.ValkeyBenchmarkRequests, ValkeyBenchmarkPipeline, ValkeyBenchmarkClients, command))}` and the same with -c 1; the ratios are to the better median. It sends plain XADDs; both paths send the append script, which does one XADD per entry inside Lua.");
        table.Note("8.", "Rounds, (a) | (b), each as rate, client CPU, server CPU per entry: " +
            string.Join("; ", Enumerable.Range(0, settings.WritePathRounds).Select(r =>
                $"round {r + 1}: alone {Describe(a.Appender[r])} | {Describe(b.Appender[r])}; provider sustained {Describe(a.Ingest[r])} | {Describe(b.Ingest[r])}; " +
                $"provider writer alone {Describe(a.Drain[r])} | {Describe(b.Drain[r])}; valkey-benchmark {Format.Rate(benchmarks[r])} / {Format.Rate(benchmarksOneClient[r])}")) + ".");
        table.Note("8.", "Ratios (b)/(a) per round, rate / server CPU per entry: " +
            string.Join("; ", Enumerable.Range(0, settings.WritePathRounds).Select(r =>
                $"round {r + 1}: alone {Format.Ratio(b.Appender[r].EntriesPerSecond / a.Appender[r].EntriesPerSecond)} / {Format.Ratio(b.Appender[r].ServerUsPerEntry / a.Appender[r].ServerUsPerEntry)}, " +
                $"provider {Format.Ratio(b.Ingest[r].EntriesPerSecond / a.Ingest[r].EntriesPerSecond)} / {Format.Ratio(b.Ingest[r].ServerUsPerEntry / a.Ingest[r].ServerUsPerEntry)}")) +
            $"; their medians: alone {Format.Ratio(PairedMedian(a.Appender, b.Appender, r => r.EntriesPerSecond))} / {Format.Ratio(PairedMedian(a.Appender, b.Appender, r => r.ServerUsPerEntry))}, " +
            $"provider {Format.Ratio(PairedMedian(a.Ingest, b.Ingest, r => r.EntriesPerSecond))} / {Format.Ratio(PairedMedian(a.Ingest, b.Ingest, r => r.ServerUsPerEntry))} (the table's ratios are of the medians).");
    }

    private static bool AddRateRow(ResultTable table, string name, List<PathRun> a, List<PathRun> b)
    {
        var rateA = Median(a, r => r.EntriesPerSecond);
        var rateB = Median(b, r => r.EntriesPerSecond);
        var ratio = rateB / rateA;
        var pass = ratio >= RateTolerance;
        table.Add(new FigureRow("8", name, "(b) ≥ 0.90× (a)", "(b) " + Format.Rate(rateB), "(a) " + Format.Rate(rateA), Format.Ratio(ratio), pass ? Verdict.Pass : Verdict.Miss));
        return pass;
    }

    private static bool AddServerCpuRow(ResultTable table, string name, List<PathRun> a, List<PathRun> b)
    {
        var cpuA = Median(a, r => r.ServerUsPerEntry);
        var cpuB = Median(b, r => r.ServerUsPerEntry);
        var ratio = cpuB / cpuA;
        var pass = ratio <= CpuTolerance;
        table.Add(new FigureRow("8", name, "(b) ≤ 1.10× (a)", "(b) " + Format.Us(cpuB), "(a) " + Format.Us(cpuA), Format.Ratio(ratio), pass ? Verdict.Pass : Verdict.Miss));
        return pass;
    }

    private static void AddClientCpuRow(ResultTable table, string name, List<PathRun> a, List<PathRun> b)
    {
        var cpuA = Median(a, r => r.ClientUsPerEntry);
        var cpuB = Median(b, r => r.ClientUsPerEntry);
        table.Add(new FigureRow("8", name, "(none)", "(b) " + Format.Us(cpuB), "(a) " + Format.Us(cpuA), Format.Ratio(cpuB / cpuA), Verdict.Info));
    }

    private static double Median(List<PathRun> runs, Func<PathRun, double> value) => Measure.Median(runs.Select(value));

    /// <summary>The median of the rounds' own ratios (b)/(a): each pair ran back to back, under much the same load.</summary>
    private static double PairedMedian(List<PathRun> a, List<PathRun> b, Func<PathRun, double> value) =>
        Measure.Median(a.Zip(b, (x, y) => value(y) / value(x)));

    private static string Describe(PathRun run) =>
        $"{Format.Rate(run.EntriesPerSecond)}, {Format.Us(run.ClientUsPerEntry)}, {Format.Us(run.ServerUsPerEntry)}";

    /// <summary>The workload's entries in batches of <see cref="BatchSize"/>, 1 µs apart from the start time.</summary>
    private static List<List<MonarchLogEntry>> Batches(LogWorkload workload, DateTime start, int entries)
    {
        var batches = new List<List<MonarchLogEntry>>();
        for (var i = 0; i < entries; i += BatchSize)
        {
            var batch = new List<MonarchLogEntry>(BatchSize);
            for (var k = i; k < Math.Min(entries, i + BatchSize); k++)
            {
                var op = workload[k];
                batch.Add(LogWorkload.ToEntry(op, start.AddTicks(k * 10L), (MonarchLogLevel)op.Level, Environment.MachineName));
            }

            batches.Add(batch);
        }

        return batches;
    }

    /// <summary>The writer's own connection options (ValkeyLogWriter.OpenAppenderAsync).</summary>
    private static ConfigurationOptions WriterOptions(string connectionString)
    {
        var config = ConfigurationOptions.Parse(connectionString);
        config.AbortOnConnectFail = false;
        config.BacklogPolicy = BacklogPolicy.FailFast;
        config.ClientName = ProviderClientName;
        return config;
    }

    private static async Task<PathRun> AppenderAsync(WritePath path, ValkeyServer server, ServerStats stats, List<List<MonarchLogEntry>> batches, List<MonarchLogEntry> warmUp, int entries)
    {
        var db = stats.Server.Multiplexer.GetDatabase();
        await db.ExecuteAsync("FLUSHALL", "SYNC");
        var format = new StorageFormat();
        var config = WriterOptions(server.ConnectionString);
        ConnectionMultiplexer? connection = null;
        ILogAppender appender;
        if (path == WritePath.Resp)
        {
            appender = new RespLogAppender(config, format);
        }
        else
        {
            connection = await ConnectionMultiplexer.ConnectAsync(config);
            appender = new StoreAppender(connection, format);
        }

        try
        {
            var warm = await appender.AppendAsync(new AppendBatch(warmUp));
            if (warm.Stored != warmUp.Count) throw new InvalidOperationException($"The warm-up batch stored {warm.Stored} of {warmUp.Count}.");
            var appends = batches.Select(batch => new AppendBatch(batch)).ToArray();

            var serverBefore = await stats.CpuSecondsAsync();
            var clientBefore = ProcessCpu.Now();
            var started = Stopwatch.GetTimestamp();
            var stored = 0;
            var failures = 0;
            Task<AppendResult>? inFlight = null;
            foreach (var batch in appends)
            {
                var next = appender.AppendAsync(batch);
                if (inFlight is not null) (stored, failures) = Add(stored, failures, await inFlight);
                inFlight = next;
            }

            if (inFlight is not null) (stored, failures) = Add(stored, failures, await inFlight);
            var elapsedMs = Measure.ElapsedMs(started);
            var clientCpu = ProcessCpu.Now() - clientBefore;
            var serverCpu = await stats.CpuSecondsAsync() - serverBefore;
            if (stored != entries || failures != 0) throw new InvalidOperationException($"{path}: stored {stored} of {entries}, {failures} partition failures.");
            await CheckStoredOnceAsync(db, format, entries + warmUp.Count, path.ToString());
            return new PathRun(entries / (elapsedMs / 1000), clientCpu.TotalMicroseconds / entries, serverCpu * 1e6 / entries);
        }
        finally
        {
            (appender as IDisposable)?.Dispose();
            connection?.Dispose();
        }
    }

    private static (int Stored, int Failures) Add(int stored, int failures, AppendResult result) =>
        (stored + result.Stored, failures + result.Failures.Count);

    /// <summary>(a) one endpoint; (b) the same server under a second name, so the writer takes StackExchange.Redis's path.</summary>
    private static string ProviderConnectionString(WritePath path, ValkeyServer server) =>
        path == WritePath.Resp ? server.ConnectionString : $"{server.ConnectionString},localhost:{server.Port}";

    private static async Task<PathRun> ProviderIngestAsync(WritePath path, ValkeyServer server, ServerStats stats, PathRuns runs, LogWorkload workload, int entries)
    {
        var db = stats.Server.Multiplexer.GetDatabase();
        await db.ExecuteAsync("FLUSHALL", "SYNC");
        using var host = ProviderHost.Start(ProviderConnectionString(path, server), "bench", bufferCapacity: entries * 2);
        await host.WarmUpAsync();
        runs.ProviderConnections = await CheckProviderPathAsync(stats, path);
        var loggers = LogWorkload.Shapes.Select(s => host.Factory.CreateLogger(s.Category)).ToArray();
        var provider = host.Provider;
        var target = provider.EntriesWritten + entries;

        var serverBefore = await stats.CpuSecondsAsync();
        var clientBefore = ProcessCpu.Now();
        var started = Stopwatch.GetTimestamp();
        var producer = Task.Factory.StartNew(() =>
        {
            Activity? activity = null;
            for (var i = 0; i < entries; i++)
            {
                if (i % 16 == 0)
                {
                    activity?.Stop();
                    activity = new Activity("request").Start();
                }

                var op = workload[i];
                LogWorkload.Log(loggers[op.ShapeIndex], op, op.Level);
            }

            activity?.Stop();
        }, TaskCreationOptions.LongRunning);
        await producer;
        if (!await Measure.WaitUntilAsync(() => provider.EntriesWritten >= target || provider.EntriesDropped > 0, TimeSpan.FromMinutes(5)))
        {
            throw new TimeoutException($"{path}: the provider wrote {provider.EntriesWritten - (target - entries)} of {entries} entries in 5 minutes.");
        }

        var elapsedMs = Measure.ElapsedMs(started);
        var clientCpu = ProcessCpu.Now() - clientBefore;
        var serverCpu = await stats.CpuSecondsAsync() - serverBefore;
        if (provider.EntriesDropped > 0) throw new InvalidOperationException($"{path}: the provider dropped {provider.EntriesDropped} entries.");
        await CheckStoredOnceAsync(db, new StorageFormat(), entries + 1, path + " through the provider");
        return new PathRun(entries / (elapsedMs / 1000), clientCpu.TotalMicroseconds / entries, serverCpu * 1e6 / entries);
    }

    private static async Task<PathRun> ProviderDrainAsync(WritePath path, ValkeyServer server, ServerStats stats, LogWorkload workload, int entries)
    {
        var db = stats.Server.Multiplexer.GetDatabase();
        await db.ExecuteAsync("FLUSHALL", "SYNC");
        using var host = ProviderHost.Start(ProviderConnectionString(path, server) + ",asyncTimeout=60000", "drain", bufferCapacity: entries * 2);
        await host.WarmUpAsync();
        await CheckProviderPathAsync(stats, path);
        var loggers = LogWorkload.Shapes.Select(s => host.Factory.CreateLogger(s.Category)).ToArray();
        var provider = host.Provider;
        var target = provider.EntriesWritten + entries;
        await db.ExecuteAsync("CLIENT", "PAUSE", "120000", "WRITE");
        try
        {
            for (var i = 0; i < entries; i++)
            {
                var op = workload[i];
                LogWorkload.Log(loggers[op.ShapeIndex], op, op.Level);
            }

            await Task.Delay(200);
        }
        finally
        {
            await db.ExecuteAsync("CLIENT", "UNPAUSE");
        }

        var clientBefore = ProcessCpu.Now();
        var started = Stopwatch.GetTimestamp();
        var serverBefore = await stats.CpuSecondsAsync();
        if (!await Measure.WaitUntilAsync(() => provider.EntriesWritten >= target || provider.EntriesDropped > 0, TimeSpan.FromMinutes(5)))
        {
            throw new TimeoutException($"{path}: the provider did not drain its buffer in 5 minutes.");
        }

        var elapsedMs = Measure.ElapsedMs(started);
        var clientCpu = ProcessCpu.Now() - clientBefore;
        var serverCpu = await stats.CpuSecondsAsync() - serverBefore;
        if (provider.EntriesDropped > 0) throw new InvalidOperationException($"{path}: the provider dropped {provider.EntriesDropped} entries.");
        await CheckStoredOnceAsync(db, new StorageFormat(), entries + 1, path + " writer alone");
        return new PathRun(entries / (elapsedMs / 1000), clientCpu.TotalMicroseconds / entries, serverCpu * 1e6 / entries);
    }

    /// <summary>
    /// Which path the provider took, from its connections in CLIENT LIST: (a) is one RESP
    /// connection of its own; (b) is StackExchange.Redis's interactive and subscription
    /// connections to both names, which the library marks with lib-name=SE.Redis. Returns the
    /// provider's connections. Connections of an earlier, disposed client may take a moment to go.
    /// </summary>
    private static async Task<int> CheckProviderPathAsync(ServerStats stats, WritePath path)
    {
        var lines = Array.Empty<string>();
        for (var attempt = 0; attempt < 20; attempt++)
        {
            var list = (string?)await stats.Server.ExecuteAsync("CLIENT", "LIST") ?? string.Empty;
            lines = list.Split('\n').Where(line => line.Contains(" name=" + ProviderClientName + " ", StringComparison.Ordinal)).ToArray();
            var library = lines.Count(line => line.Contains(" lib-name=SE.Redis ", StringComparison.Ordinal));
            if (path == WritePath.Resp ? library == 0 && lines.Length == 1 : library >= 2 && library == lines.Length) return lines.Length;
            await Task.Delay(100);
        }

        throw new InvalidOperationException($"{path}: the provider's connections do not show the path forced: " + string.Join(" / ", lines));
    }

    /// <summary>Each entry stored once: the stream lengths over the registry's partitions add up to what was sent.</summary>
    private static async Task CheckStoredOnceAsync(IDatabase db, StorageFormat format, long expected, string what)
    {
        long total = 0;
        foreach (var entry in await db.HashGetAllAsync(format.PartitionsKey)) total += await db.StreamLengthAsync((string)entry.Name!);
        if (total != expected) throw new InvalidOperationException($"{what}: {total} entries stored, {expected} sent.");
    }
}
