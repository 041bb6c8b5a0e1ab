using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.Logging;
using MonarchLogs.Benchmarks.Infrastructure;
using MonarchLogs.Benchmarks.Reporting;
using MonarchLogs.Benchmarks.Valkey;
using MonarchLogs.Benchmarks.Workload;
using MonarchLogs.Core;
using MonarchLogs.Core.Query;
using MonarchLogs.Core.Format;
using MonarchLogs.Core.Storage;
using MonarchLogs.Testing;
using StackExchange.Redis;

namespace MonarchLogs.Benchmarks.Figures;

/// <summary>
/// Figures 2 and 3 on one throwaway server: sustained ingest through the provider (and the
/// memory its entries take), valkey-benchmark's pipelined XADD of the same entry, and the
/// original design's write path (and the memory its entries and indexes take).
/// </summary>
public static class IngestFigure
{
    private const int ValkeyBenchmarkPipeline = 64;
    private const int ValkeyBenchmarkClients = 50;
    internal const string ValkeyBenchmarkKey = "bench:stream";

    public static async Task RunAsync(BenchSettings settings, ResultTable table)
    {
        await using var server = await ValkeyServer.StartAsync();
        using var admin = server.Connect();
        var stats = new ServerStats(admin);
        var workload = new LogWorkload();

        // Provider ingest, then the memory its entries take.
        var memoryBefore = await stats.SettledUsedMemoryAsync();
        var ingest = await ProviderIngestAsync(server.ConnectionString, workload, settings.IngestEntries, settings.FormatVersion);
        var memoryAfter = await stats.SettledUsedMemoryAsync();
        var store = new LogStore(admin);
        var stored = await CountStoredAsync(store);
        var sample = await SampleAsync(store, 2_000);
        var providerBytesPerEntry = (double)(memoryAfter - memoryBefore) / stored;
        var rawJsonBytes = sample.Average(e => (double)RawJson.Encode(e).Length);
        var valueBytes = sample.Average(ValueBytes);

        // valkey-benchmark: the same entry, as the provider stored it, XADDed by a pipelined C
        // client; and the writer alone, draining its buffer with the producer idle. Then more
        // rounds of all three on the emptied server, interleaved, so that a change in the
        // machine's load falls on the figure and its reference alike; the figures are medians.
        var typical = sample[sample.Count / 2];
        var command = XaddCommand(typical);
        var ingests = new List<IngestResult> { ingest };
        var benchmarks = new List<double>();
        var benchmarksOneClient = new List<double>();
        var drains = new List<double>();
        var drainCpuPerEntry = new List<double>();
        var drainClientCpuPerEntry = new List<double>();
        var drainAllocations = new List<string>();
        var benchmarkCpuPerEntry = new List<double>();
        var originals = new List<double>();
        var originalBytesPerEntry = 0.0;
        for (var round = 0; round < settings.IngestRounds; round++)
        {
            if (round > 0)
            {
                await admin.GetDatabase().ExecuteAsync("FLUSHALL", "SYNC");
                ingests.Add(await ProviderIngestAsync(server.ConnectionString, workload, settings.IngestEntries, settings.FormatVersion));
            }

            benchmarks.Add(await ValkeyBenchmarkTool.RunAsync(server.Port, settings.ValkeyBenchmarkRequests, ValkeyBenchmarkPipeline, ValkeyBenchmarkClients, command));
            await admin.GetDatabase().KeyDeleteAsync(ValkeyBenchmarkKey);
            var benchmarkCpu = await stats.CpuSecondsAsync();
            benchmarksOneClient.Add(await ValkeyBenchmarkTool.RunAsync(server.Port, settings.ValkeyBenchmarkRequests, ValkeyBenchmarkPipeline, 1, command));
            benchmarkCpuPerEntry.Add((await stats.CpuSecondsAsync() - benchmarkCpu) * 1e6 / settings.ValkeyBenchmarkRequests);
            await admin.GetDatabase().KeyDeleteAsync(ValkeyBenchmarkKey);
            await admin.GetDatabase().ExecuteAsync("FLUSHALL", "SYNC");
            var (drainRate, drainCpu, drainClientCpu) = await DrainAsync(server.ConnectionString, admin.GetDatabase(), stats, workload, settings.IngestEntries, settings.FormatVersion);
            drains.Add(drainRate);
            drainCpuPerEntry.Add(drainCpu);
            drainClientCpuPerEntry.Add(drainClientCpu);
            drainAllocations.Add($"{LastDrainAllocation.BytesPerEntry:0} B, {LastDrainAllocation.FullCollections}");

            // The original design, on the emptied server (synchronously: Valkey 8 frees lazily
            // by default, and memory still being freed would shrink the delta).
            await admin.GetDatabase().ExecuteAsync("FLUSHALL", "SYNC");
            var originalMemoryBefore = await stats.SettledUsedMemoryAsync();
            originals.Add((await OriginalDesignAsync(admin.GetDatabase(), workload, settings.OriginalDesignEntries)).EntriesPerSecond);
            if (round == 0) originalBytesPerEntry = (double)(await stats.SettledUsedMemoryAsync() - originalMemoryBefore) / settings.OriginalDesignEntries;
        }

        var ingestRate = Measure.Median(ingests.Select(i => i.EntriesPerSecond));
        var valkeyBenchmark = Measure.Median(benchmarks);
        var valkeyBenchmarkOneClient = Measure.Median(benchmarksOneClient);
        var drain = Measure.Median(drains);

        var original = Measure.Median(originals);
        var clientCpu = Measure.Median(ingests.Select(i => i.ClientCpuMicrosecondsPerEntry));

        // The reference is the better of the two valkey-benchmark runs: what it achieves.
        var reference = Math.Max(valkeyBenchmark, valkeyBenchmarkOneClient);
        var ratioToBenchmark = ingestRate / reference;
        table.Add(new FigureRow("2", $"Sustained ingest through the provider ({Format.Count(settings.IngestEntries)} entries)",
            "≥ 1.0× valkey-benchmark",
            Format.Rate(ingestRate),
            $"valkey-benchmark XADD -P {ValkeyBenchmarkPipeline}: {Format.Rate(valkeyBenchmark)} with -c {ValkeyBenchmarkClients}, {Format.Rate(valkeyBenchmarkOneClient)} with -c 1",
            Format.Ratio(ratioToBenchmark),
            ratioToBenchmark >= 1.0 ? Verdict.Pass : Verdict.Miss));
        table.Add(new FigureRow("2", $"Writer alone: buffer drained with the producer idle ({Format.Count(settings.IngestEntries)} entries)",
            "(none)",
            Format.Rate(drain),
            $"valkey-benchmark, as above: {Format.Rate(reference)}",
            Format.Ratio(drain / reference),
            Verdict.Info));
        var serverCpu = Measure.Median(drainCpuPerEntry);
        var benchmarkServerCpu = Measure.Median(benchmarkCpuPerEntry);
        table.Add(new FigureRow("2", "Server CPU per entry, writer alone (INFO cpu delta / entries)",
            "≤ 1 µs",
            Format.Number(serverCpu, "0.0") + " µs",
            $"valkey-benchmark XADD -P {ValkeyBenchmarkPipeline} -c 1: {Format.Number(benchmarkServerCpu, "0.0")} µs",
            Format.Ratio(serverCpu / benchmarkServerCpu),
            serverCpu <= 1.0 ? Verdict.Pass : Verdict.Miss));
        table.Add(new FigureRow("2", "Client CPU per entry, sustained (process CPU time / entries: the producer's Log calls, the writer, compactions done by the end)",
            "(none)",
            Format.Number(clientCpu, "0.0") + " µs",
            "(none)",
            string.Empty,
            Verdict.Info));
        table.Add(new FigureRow("2", "Client CPU per entry, writer alone (process CPU time while it drained / entries)",
            "(none)",
            Format.Number(Measure.Median(drainClientCpuPerEntry), "0.0") + " µs",
            "allocated per entry, full collections, by round: " + string.Join("; ", drainAllocations),
            string.Empty,
            Verdict.Info));
        var ratioToOriginal = ingestRate / original;
        table.Add(new FigureRow("2", "Sustained ingest vs the original design",
            "≥ 20× the original",
            Format.Rate(ingestRate),
            $"original write path ({Format.Count(settings.OriginalDesignEntries)} entries): {Format.Rate(original)}",
            Format.Ratio(ratioToOriginal),
            ratioToOriginal >= 20 ? Verdict.Pass : Verdict.Miss));
        var memoryRatio = providerBytesPerEntry / rawJsonBytes;
        table.Add(new FigureRow("3", $"Memory per stored entry, format {settings.FormatVersion} (used_memory delta / entries, heads included)",
            "≤ 0.15× raw JSON",
            Format.Bytes(providerBytesPerEntry),
            $"raw JSON {Format.Bytes(rawJsonBytes)}",
            Format.Ratio(memoryRatio),
            memoryRatio <= 0.15 ? Verdict.Pass : Verdict.Miss));
        table.Add(new FigureRow("3", "Memory per entry, original design (stream + 3 sorted-set indexes)",
            "(reference)",
            Format.Bytes(originalBytesPerEntry),
            $"raw JSON {Format.Bytes(rawJsonBytes)}",
            Format.Ratio(originalBytesPerEntry / rawJsonBytes),
            Verdict.Info));

        table.Note("2.", $"The entries: {LogWorkload.Shapes.Length} services (a scope with Service and RequestId routes each to its partition), a LoggerMessage template with three arguments, a W3C trace (one Activity per 16 entries), " +
            $"levels 5% trace, 15% debug, 65% information, 10% warning, 4% error, 1% critical, no exceptions; {Format.Number(valueBytes, "0")} bytes of field values per stored entry on average. " +
            $"One producer thread calls ILogger.Log {Format.Count(settings.IngestEntries)} times as fast as it can; the rate is entries / time from the first Log call until provider.EntriesWritten counts them all. " +
            $"Rounds, interleaved on the same server (emptied between them), each as ingest / valkey-benchmark -c {ValkeyBenchmarkClients} / -c 1 / writer alone / original design: " +
            string.Join("; ", Enumerable.Range(0, ingests.Count).Select(r => $"{Format.Rate(ingests[r].EntriesPerSecond)} (producer done in {Format.Ms(ingests[r].ProduceMs)}, all stored in {Format.Ms(ingests[r].TotalMs)}) / {Format.Rate(benchmarks[r])} / {Format.Rate(benchmarksOneClient[r])} / {Format.Rate(drains[r])} / {Format.Rate(originals[r])}")) +
            $"; the table gives the medians. Stores of format {settings.FormatVersion}. Stored entries of the first round counted by reading them back: {Format.Count(stored - 1)} + 1 warm-up. Provider defaults (MaxBatchSize 2048, BacklogBatchSize 8,192, BatchDelay 0, one append script per partition run), BufferCapacity {Format.Count(settings.IngestEntries * 2)}; dropped {ingests.Sum(i => i.Dropped)}.");
        table.Note("2.", "Writer alone: a second provider on the emptied server; the server holds writes (CLIENT PAUSE WRITE) while the same entries are logged into the buffer, then the rate is entries / time from CLIENT UNPAUSE until provider.EntriesWritten counts them all: the writer and the server with the producer idle. The sustained figure above also pays for the producer thread, which takes one of the machine's cores while it runs.");
        table.Note("2.", $"valkey-benchmark reference, same server, same run, {Format.Count(settings.ValkeyBenchmarkRequests)} requests of the median sample entry with its 15 fields: `{Shorten(ValkeyBenchmarkTool.Describe(server.Port, settings.ValkeyBenchmarkRequests, ValkeyBenchmarkPipeline, ValkeyBenchmarkClients, command))}` " +
            "and the same with -c 1 (one connection, as the provider has); the ratio is to the better of the two. valkey-benchmark is a C client with nothing to encode, pipelining 64 commands per connection.");
        table.Note("2.", $"Original design reference: per entry, each command awaited before the next as the Python handler does: XADD logs:<date> * data <json>, ZADD logs:index:timestamp, ZADD logs:index:level:<level>, ZADD logs:index:service:<service>, HSET logs:metadata, HGETALL logs:metadata and the date check of each stream; " +
            "the ZADD score is the event time in Unix seconds (structlog's ISO string is not a valid score). Same entries, same server (flushed first), one StackExchange.Redis connection; one run per round, the median in the table; its memory from the first round.");
        table.Note("3.", $"used_memory delta over {Format.Count(stored)} entries written by the provider to an empty server (the blocks or stream entries, the heads as they are at the end, the counts, the registry, the format key), divided by the entries. " +
            $"Raw JSON: the entry's non-empty fields as one compact UTF-8 JSON object (properties nested), averaged over {sample.Count} stored entries; the same document the original design stores in its data field. " +
            $"The original design's figure: used_memory delta over its {Format.Count(settings.OriginalDesignEntries)} entries (daily stream with one JSON field, three sorted-set indexes, metadata hash).");
    }

    /// <summary>The last drain's bytes allocated per entry (every thread) and full collections.</summary>
    private static (double BytesPerEntry, int FullCollections) LastDrainAllocation;

    private sealed record IngestResult(double EntriesPerSecond, double ProduceMs, double TotalMs, long Dropped, double ClientCpuMicrosecondsPerEntry);

    /// <summary>This process's CPU time (every thread: the producer, the writer, its compactions, the runtime's own), in µs.</summary>
    private static double ProcessCpuMicroseconds()
    {
        using var process = Process.GetCurrentProcess();
        return process.TotalProcessorTime.Ticks / 10.0;
    }

    private static async Task<IngestResult> ProviderIngestAsync(string connectionString, LogWorkload workload, int entries, int formatVersion)
    {
        using var host = ProviderHost.Start(connectionString, "bench", bufferCapacity: entries * 2, formatVersion);
        await host.WarmUpAsync();
        var loggers = LogWorkload.Shapes.Select(s => host.Factory.CreateLogger(s.Category)).ToArray();
        var provider = host.Provider;
        var target = provider.EntriesWritten + entries;

        var started = Stopwatch.GetTimestamp();
        var cpuStarted = ProcessCpuMicroseconds();
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
            return Stopwatch.GetTimestamp();
        }, TaskCreationOptions.LongRunning);
        var produced = await producer;
        if (!await Measure.WaitUntilAsync(() => provider.EntriesWritten >= target || (provider.EntriesDropped > 0 && provider.EntriesWritten + provider.EntriesDropped >= target), TimeSpan.FromMinutes(5)))
        {
            throw new TimeoutException($"The provider wrote {provider.EntriesWritten - (target - entries)} of {entries} entries in 5 minutes.");
        }

        var finished = Stopwatch.GetTimestamp();
        var cpu = (ProcessCpuMicroseconds() - cpuStarted) / entries;
        var totalMs = Measure.ElapsedMs(started, finished);
        return new IngestResult(entries / (totalMs / 1000), Measure.ElapsedMs(started, produced), totalMs, provider.EntriesDropped, cpu);
    }

    /// <summary>
    /// The writer's own rate: the entries are logged while the server holds writes
    /// (CLIENT PAUSE WRITE), then the rate is entries / time from CLIENT UNPAUSE until all are
    /// stored, with the producer idle: what the writer and the server do alone.
    /// </summary>
    /// <summary>The writer alone: entries per second, and the server's CPU µs per entry while it drained.</summary>
    private static async Task<(double Rate, double ServerMicrosecondsPerEntry, double ClientMicrosecondsPerEntry)> DrainAsync(string connectionString, IDatabase admin, ServerStats stats, LogWorkload workload, int entries, int formatVersion)
    {
        using var host = ProviderHost.Start(connectionString, "drain", bufferCapacity: entries * 2, formatVersion);
        await host.WarmUpAsync();
        var loggers = LogWorkload.Shapes.Select(s => host.Factory.CreateLogger(s.Category)).ToArray();
        var provider = host.Provider;
        var target = provider.EntriesWritten + entries;
        double cpuBefore;
        await admin.ExecuteAsync("CLIENT", "PAUSE", "120000", "WRITE");
        try
        {
            for (var i = 0; i < entries; i++)
            {
                var op = workload[i];
                LogWorkload.Log(loggers[op.ShapeIndex], op, op.Level);
            }
        }
        finally
        {
            await Task.Delay(200);
            cpuBefore = await stats.CpuSecondsAsync();
            await admin.ExecuteAsync("CLIENT", "UNPAUSE");
        }

        var started = Stopwatch.GetTimestamp();
        var clientCpuBefore = ProcessCpuMicroseconds();
        var allocatedBefore = GC.GetTotalAllocatedBytes();
        var fullCollectionsBefore = GC.CollectionCount(2);
        if (!await Measure.WaitUntilAsync(() => provider.EntriesWritten >= target, TimeSpan.FromMinutes(5)))
        {
            throw new TimeoutException("The provider did not drain its buffer in 5 minutes.");
        }

        var rate = entries / (Measure.ElapsedMs(started) / 1000);
        var clientCpu = (ProcessCpuMicroseconds() - clientCpuBefore) / entries;
        LastDrainAllocation = ((GC.GetTotalAllocatedBytes() - allocatedBefore) / (double)entries, GC.CollectionCount(2) - fullCollectionsBefore);
        return (rate, (await stats.CpuSecondsAsync() - cpuBefore) * 1e6 / entries, clientCpu);
    }

    private sealed record OriginalResult(double EntriesPerSecond);

    private static async Task<OriginalResult> OriginalDesignAsync(IDatabase db, LogWorkload workload, int entries)
    {
        var writer = new OriginalDesignWriter(db);
        var events = new MonarchLogEntry[entries];
        for (var i = 0; i < entries; i++)
        {
            var op = workload[i];
            events[i] = LogWorkload.ToEntry(op, DateTime.UtcNow, (MonarchLogLevel)op.Level, Environment.MachineName);
        }

        await writer.HandleAsync(events[0]);
        await db.ExecuteAsync("FLUSHALL", "SYNC");
        var started = Stopwatch.GetTimestamp();
        foreach (var logEvent in events) await writer.HandleAsync(logEvent);
        return new OriginalResult(entries / (Measure.ElapsedMs(started) / 1000));
    }

    /// <summary>The entries stored, read back (a format 2 stream entry is a block of many).</summary>
    private static async Task<long> CountStoredAsync(LogStore store)
    {
        long total = 0;
        await foreach (var _ in store.QueryAsync(new LogQuery())) total++;
        return total;
    }

    private static async Task<List<MonarchLogEntry>> SampleAsync(LogStore store, int count)
    {
        var sample = new List<MonarchLogEntry>(count);
        await foreach (var entry in store.QueryAsync(new LogQuery { Limit = count }))
        {
            sample.Add(entry);
            if (sample.Count == count) break;
        }

        return sample;
    }

    /// <summary>The bytes of the 15 stored field values of an entry, as the storage format writes them.</summary>
    private static double ValueBytes(MonarchLogEntry e) =>
        28 + Encoding.UTF8.GetByteCount(LogLevels.StorageName(e.Level)) + Encoding.UTF8.GetByteCount(e.Service)
        + Encoding.UTF8.GetByteCount(e.Category) + Encoding.UTF8.GetByteCount(e.Message) + Encoding.UTF8.GetByteCount(e.Template)
        + e.EventId.ToString(System.Globalization.CultureInfo.InvariantCulture).Length + Encoding.UTF8.GetByteCount(e.EventName)
        + Encoding.UTF8.GetByteCount(e.ExceptionType) + Encoding.UTF8.GetByteCount(e.ExceptionMessage) + Encoding.UTF8.GetByteCount(e.Exception)
        + e.TraceId.Length + e.SpanId.Length + Encoding.UTF8.GetByteCount(e.Host) + Encoding.UTF8.GetByteCount(e.Properties);

    /// <summary>XADD of the entry's 15 fields exactly as the storage format writes them.</summary>
    internal static List<string> XaddCommand(MonarchLogEntry e) => new()
    {
        "XADD", ValkeyBenchmarkKey, "*",
        StorageFormat.TimestampField, e.Timestamp.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", System.Globalization.CultureInfo.InvariantCulture),
        StorageFormat.LevelField, LogLevels.StorageName(e.Level),
        StorageFormat.ServiceField, e.Service,
        StorageFormat.CategoryField, e.Category,
        StorageFormat.MessageField, e.Message,
        StorageFormat.TemplateField, e.Template,
        StorageFormat.EventIdField, e.EventId.ToString(System.Globalization.CultureInfo.InvariantCulture),
        StorageFormat.EventNameField, e.EventName,
        StorageFormat.ExceptionTypeField, e.ExceptionType,
        StorageFormat.ExceptionMessageField, e.ExceptionMessage,
        StorageFormat.ExceptionField, e.Exception,
        StorageFormat.TraceIdField, e.TraceId,
        StorageFormat.SpanIdField, e.SpanId,
        StorageFormat.HostField, e.Host,
        StorageFormat.PropertiesField, e.Properties,
    };

    internal static string Shorten(string text) => text.Length <= 160 ? text : text[..120] + " … " + text[^30..];
}
