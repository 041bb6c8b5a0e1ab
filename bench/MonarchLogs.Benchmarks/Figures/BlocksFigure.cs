using System.Diagnostics;
using System.Globalization;
using MonarchLogs.Benchmarks.Blocks;
using MonarchLogs.Benchmarks.Infrastructure;
using MonarchLogs.Benchmarks.Reporting;
using MonarchLogs.Benchmarks.Workload;
using MonarchLogs.Core;
using MonarchLogs.Core.Format.Blocks;
using MonarchLogs.Testing;
using StackExchange.Redis;

namespace MonarchLogs.Benchmarks.Figures;

/// <summary>
/// Figure 10 (only with --only 10 or --blocks): the measurements behind storage format 2's
/// block layout (docs/design/storage-format-2.md). Candidate layouts, block sizes, codecs and
/// levels, dictionaries, Bloom filter rates and stream node sizes, each measured in bytes per
/// entry of the block and in a real Valkey's used_memory, against format 1 on the same
/// entries; the quiet case and the mission's rate with cuts by time and "head then compact";
/// and a day of blocks read as an export and as lookups. The tables go to blocks.md beside the
/// results; the summary rows to the results table.
/// </summary>
public static class BlocksFigure
{
    // The layout the measurements chose (docs/design/storage-format-2.md, "Choices").
    private const int ChosenMaxEntries = 1024;
    private static readonly TimeSpan ChosenWindow = TimeSpan.FromMinutes(5);
    private const int ChosenNodeBytes = 4096;

    private static readonly int[] BlockSizes = { 16, 64, 256, 1024 };
    private static readonly int[] NodeSizes = { 4096, 16_384, 65_536, 1_048_576 };
    private static readonly DateTime Start = new(2026, 11, 28, 0, 0, 0, DateTimeKind.Utc);
    private const int DictionaryBytes = 16 * 1024;

    public static async Task RunAsync(BenchSettings settings, ResultTable table, string repositoryRoot)
    {
        var report = new BlockReport();
        var started = Stopwatch.GetTimestamp();
        var benchmark = BlockWorkloads.Benchmark(settings.BlockEntries, 100, seed: 7, Start);
        var benchmarkRaw = RawJsonBytes(benchmark);
        var demo = await DemoCapture.CaptureAsync(repositoryRoot, settings.BlockDemoEntries);

        await using var server = await ValkeyServer.StartAsync();
        using var connection = server.Connect();
        var valkey = new BlockValkey(connection);

        report.Paragraph($"Entries: **benchmark** — {Format.Count(benchmark.Count)} entries of the benchmark's six shapes and level mix, every entry with values of its own, a W3C trace per 16 entries, host set; raw JSON {benchmarkRaw:0} B per entry. " +
            (demo is null ? "**demo** — not measured (samples/MonarchLogs.DemoService is not built: `./build.sh build` first)." :
                $"**demo** — {Format.Count(demo.Count)} entries logged by samples/MonarchLogs.DemoService (four services, every level, real exceptions with stacks, scopes), read back from a throwaway Valkey; raw JSON {RawJsonBytes(demo):0} B per entry.") +
            " Raw JSON is the entry's non-empty fields as one compact JSON object, as figure 3 counts it. A machine shared with other work: bytes and ratios are exact, µs are indicative.");

        await PayloadBytesAsync(report, "benchmark", benchmark, BlockWorkloads.Benchmark(20_000, 100, seed: 99, Start.AddDays(-1)));
        if (demo is not null) await PayloadBytesAsync(report, "demo", demo.Skip(demo.Count / 3).ToList(), demo.Take(demo.Count / 3).ToList());
        var memory = await ValkeyMemoryAsync(report, valkey, benchmark, benchmarkRaw);
        var cpu = Cpu(report, benchmark);
        Bloom(report, benchmark);
        await FieldOrderAsync(report, valkey, benchmark);
        var quiet = await QuietHourAsync(report, valkey, settings);
        await MissionRateAsync(report, valkey, settings);
        var day = await LookupDayAsync(report, valkey, settings);

        report.Paragraph($"Measured in {Stopwatch.GetElapsedTime(started).TotalMinutes:0.0} min; Valkey {await valkey.Stats.VersionAsync()}; load average at the end {LoadAverage.Read()}. " +
            "The slow log times a command from start to end on the server: on a machine this loaded, a command that waited for a core counts its wait.");
        var path = Path.Combine(Path.GetDirectoryName(settings.OutputPath)!, "blocks.md");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await File.WriteAllTextAsync(path, "# Storage format 2: block measurements\n\nWritten by `./build.sh bench --blocks` (figure 10).\n" + report);
        Console.WriteLine("  Block tables written to " + path);

        table.Add(new FigureRow("10", $"Format 2 memory per entry: rows, zstd 1, {ChosenMaxEntries}-entry blocks, node {ChosenNodeBytes} B (used_memory delta)",
            "≤ 0.15× raw JSON", Format.Bytes(memory.Chosen), $"raw JSON {Format.Bytes(benchmarkRaw)}; format 1 {Format.Bytes(memory.FormatOne)}",
            Format.Ratio(memory.Chosen / benchmarkRaw), memory.Chosen / benchmarkRaw <= 0.15 ? Verdict.Pass : Verdict.Miss));
        table.Add(new FigureRow("10", $"Format 2 memory per entry, 10 entries/s over 20 partitions for an hour, head then compact every {BlockCuts.Seconds(ChosenWindow)}",
            "≤ 0.3× raw JSON", Format.Bytes(quiet.Chosen), $"raw JSON {Format.Bytes(quiet.Raw)}; format 1 {Format.Bytes(quiet.FormatOne)}",
            Format.Ratio(quiet.Chosen / quiet.Raw), quiet.Chosen / quiet.Raw <= 0.3 ? Verdict.Pass : Verdict.Miss));
        table.Add(new FigureRow("10", $"Format 2 trace-id lookup over a day of {Format.Count(settings.LookupDayEntries)} entries (header streams, Bloom filters)",
            "≤ 0.5 s, no command over 5 ms", Format.Ms(day.TraceLookup.Ms),
            $"{day.TraceLookup.BlocksOpened} of {day.Blocks} blocks opened; " + (day.TraceLookup.SlowestMicroseconds == 0 ? "no command over 1 ms" : $"slowest command {day.TraceLookup.SlowestMicroseconds} µs"),
            "", day.TraceLookup.Ms <= 500 && day.TraceLookup.SlowOver5Ms == 0 ? Verdict.Pass : Verdict.Miss));
        table.Add(new FigureRow("10", "Format 2 decode, rows zstd 1 (client CPU, one thread)",
            "(input to export ≥ 300,000/s)", Format.Rate(1e6 / cpu.DecodeMicroseconds), $"encode {Format.Rate(1e6 / cpu.EncodeMicroseconds)} with Bloom filter", "", Verdict.Info));
        table.Note("10.", $"Block tables in {path}.");
    }

    private static double RawJsonBytes(IReadOnlyList<MonarchLogEntry> entries) => entries.Average(e => (double)RawJson.Encode(e).Length);

    private static string PerEntry(double bytes, double raw) => $"{bytes:0.0} B ({bytes / raw:0.000}×)";

    private static List<List<MonarchLogEntry>> Blocks(IReadOnlyList<MonarchLogEntry> entries, int maxEntries, TimeSpan? maxSpan = null) =>
        BlockWorkloads.ByPartition(entries).SelectMany(p => BlockCuts.Cut(p, maxEntries, maxSpan)).ToList();

    /// <summary>(a) Payload bytes per entry by layout, codec, level, dictionary and block size.</summary>
    private static Task PayloadBytesAsync(BlockReport report, string name, List<MonarchLogEntry> entries, List<MonarchLogEntry> dictionarySample)
    {
        var raw = RawJsonBytes(entries);
        var dictionary = BlockCandidates.TrainDictionary(dictionarySample, DictionaryBytes);
        report.Heading($"Payload bytes per entry, {name} entries");
        report.Paragraph($"{Format.Count(entries.Count)} entries ({raw:0} B of raw JSON each) cut per partition into blocks of at most n entries. The payload only; the header and Valkey's own overhead are in the memory table. " +
            $"The dictionary ({dictionary.Length / 1024} KB) was trained with ZstdSharp's DictBuilder on {Format.Count(dictionarySample.Count)} other entries of the same kind, one sample per entry.");
        var candidates = new[]
        {
            BlockCandidates.Rows(BlockCodec.JsonLines), BlockCandidates.Rows(BlockCodec.Zstd, 1), BlockCandidates.Rows(BlockCodec.Zstd, 3),
            BlockCandidates.Columns(1), BlockCandidates.Columns(3), BlockCandidates.RowsWithDictionary(dictionary, 1), BlockCandidates.RowsWithDictionary(dictionary, 3),
        };
        var sizes = new[] { 1, 4 }.Concat(BlockSizes).ToArray();
        var t = report.NewTable(new[] { "layout, codec" }.Concat(sizes.Select(s => s == 1 ? "1 entry" : $"n = {s}")).ToArray());
        var blocksBySize = sizes.ToDictionary(s => s, s => Blocks(entries, s));
        foreach (var candidate in candidates)
        {
            t.Row(new[] { candidate.Name }.Concat(sizes.Select(s => PerEntry(blocksBySize[s].Sum(b => (double)candidate.Encode(b).Length) / entries.Count, raw))).ToArray());
            candidate.Dispose();
        }

        using var encoder = new BlockEncoder(BlockCodec.JsonLines);
        double bloom = 0, tokens = 0;
        var bloomRow = new List<string> { "+ Bloom filter, 1% (tokens per entry)" };
        foreach (var s in sizes)
        {
            bloom = tokens = 0;
            foreach (var block in blocksBySize[s])
            {
                bloom += encoder.Encode(block, "w", 1).Header.Bloom!.ToBytes().Length;
                tokens += encoder.LastTokenCount;
            }

            bloomRow.Add($"{bloom / entries.Count:0.0} B ({tokens / entries.Count:0.0})");
        }

        t.Row(bloomRow.ToArray());
        t.End();
        return Task.CompletedTask;
    }

    private sealed record MemoryResult(double Chosen, double FormatOne);

    /// <summary>(b) Real Valkey memory per entry, by layout, block size and stream-node-max-bytes, against format 1.</summary>
    private static async Task<MemoryResult> ValkeyMemoryAsync(BlockReport report, BlockValkey valkey, List<MonarchLogEntry> entries, double raw)
    {
        report.Heading("Valkey memory per entry, benchmark entries");
        var before = await valkey.ResetAsync();
        var cpuBefore = await valkey.Stats.CpuSecondsAsync();
        await valkey.AppendFormatOneAsync(entries);
        var formatOneCpu = (await valkey.Stats.CpuSecondsAsync() - cpuBefore) * 1e6 / entries.Count;
        var formatOne = await valkey.PerEntryAsync(before, entries.Count);
        report.Paragraph($"used_memory delta over {Format.Count(entries.Count)} entries on an emptied server, divided by the entries (blocks XADDed with their header fields and Bloom filter at 1%, each at its first event time's millisecond). " +
            $"Format 1 on the same entries, written by its own append script (counts included): **{PerEntry(formatOne, raw)}**, server CPU {formatOneCpu:0.00} µs per entry.");
        var t = report.NewTable(new[] { "layout, block" }.Concat(NodeSizes.Select(n => $"node {Format.Count(n)} B")).Append("payload + Bloom").Append("server CPU / entry").ToArray());
        using var encoder = new BlockEncoder();
        var chosen = double.NaN;
        foreach (var candidate in new[] { BlockCandidates.Rows(BlockCodec.Zstd, 1), BlockCandidates.Columns(1) })
        {
            foreach (var size in new[] { 64, 256, 1024 })
            {
                // The header from Core's encoder, the payload from the candidate.
                var partitions = BlockWorkloads.ByPartition(entries).Select(p => (Key: valkey.StreamKey(p[0]), Blocks: BlockCuts.Cut(p, size)
                    .Select((b, i) => new EncodedBlock(encoder.Encode(b, "bench", i + 1).Header, candidate.Encode(b))).ToList())).ToList();
                var cells = new List<string> { $"{candidate.Name}, {size}" };
                var serverCpu = 0.0;
                foreach (var node in NodeSizes)
                {
                    var empty = await valkey.ResetAsync(node);
                    var cpu = await valkey.Stats.CpuSecondsAsync();
                    foreach (var (key, blocks) in partitions) await valkey.AddAsync(key, blocks);
                    if (node == ChosenNodeBytes) serverCpu = (await valkey.Stats.CpuSecondsAsync() - cpu) * 1e6 / entries.Count;
                    var perEntry = await valkey.PerEntryAsync(empty, entries.Count);
                    if (node == ChosenNodeBytes && size == ChosenMaxEntries && candidate.Name.StartsWith("rows", StringComparison.Ordinal)) chosen = perEntry;
                    cells.Add(PerEntry(perEntry, raw));
                }

                var payload = partitions.Sum(p => p.Blocks.Sum(b => (double)b.Payload.Length + b.Header.Bloom!.ToBytes().Length)) / entries.Count;
                cells.Add($"{payload:0.0} B");
                cells.Add($"{serverCpu:0.000} µs");
                t.Row(cells.ToArray());
            }

            candidate.Dispose();
        }

        t.End();
        report.Paragraph("Server CPU: INFO cpu (user + sys) over the XADDs of all blocks, node 4096 B, divided by the entries they hold.");
        return new MemoryResult(chosen, formatOne);
    }

    private sealed record CpuResult(double EncodeMicroseconds, double DecodeMicroseconds);

    /// <summary>(c) Client CPU per entry to encode and decode, one thread, best of three runs.</summary>
    private static CpuResult Cpu(BlockReport report, List<MonarchLogEntry> entries)
    {
        report.Heading("Client CPU per entry, benchmark entries");
        report.Paragraph("One thread, the best of three runs over all blocks (the machine is shared: the best run is the least disturbed one). Encode: the payload alone; with header: Core's BlockEncoder, which also gathers the tokens and fills the Bloom filter. Decode: payload back to entries.");
        var t = report.NewTable("layout, codec", "block", "encode", "encode with header", "decode", "decoded entries / s");
        var partition = new MonarchLogs.Core.Format.StorageFormat().GetPartition("orders", MonarchLogLevel.Information);
        var result = new CpuResult(double.NaN, double.NaN);
        foreach (var size in new[] { 256, 1024 })
        {
            var blocks = Blocks(entries, size);
            foreach (var candidate in new[] { BlockCandidates.Rows(BlockCodec.JsonLines), BlockCandidates.Rows(BlockCodec.Zstd, 1), BlockCandidates.Rows(BlockCodec.Zstd, 3), BlockCandidates.Columns(1) })
            {
                var payloads = blocks.Select(candidate.Encode).ToList();
                var encode = Best(() => { foreach (var block in blocks) candidate.Encode(block); }) * 1e3 / entries.Count;
                var decode = Best(() => { for (var i = 0; i < blocks.Count; i++) candidate.Decode(payloads[i], blocks[i].Count, partition); }) * 1e3 / entries.Count;
                var withHeader = double.NaN;
                if (candidate.Name.StartsWith("rows, zstd", StringComparison.Ordinal) || candidate.Name.StartsWith("rows, jsonl", StringComparison.Ordinal))
                {
                    var codec = candidate.Name.StartsWith("rows, jsonl", StringComparison.Ordinal) ? BlockCodec.JsonLines : BlockCodec.Zstd;
                    var level = candidate.Name.EndsWith('3') ? 3 : 1;
                    using var encoder = new BlockEncoder(codec, level);
                    withHeader = Best(() => { foreach (var block in blocks) encoder.Encode(block, "w", 1); }) * 1e3 / entries.Count;
                    if (size == ChosenMaxEntries && codec == BlockCodec.Zstd && level == 1) result = new CpuResult(withHeader, decode);
                }

                t.Row(candidate.Name, size.ToString(CultureInfo.InvariantCulture), $"{encode:0.00} µs", double.IsNaN(withHeader) ? "" : $"{withHeader:0.00} µs", $"{decode:0.00} µs", Format.Rate(1e6 / decode));
                candidate.Dispose();
            }
        }

        t.End();
        return result;
    }

    private static double Best(Action run)
    {
        var best = double.MaxValue;
        for (var i = 0; i < 3; i++)
        {
            var started = Stopwatch.GetTimestamp();
            run();
            best = Math.Min(best, Measure.ElapsedMs(started));
        }

        return best;
    }

    /// <summary>(Bloom) Bytes per entry and the measured false-positive rate per block, by the rate the filters are sized for.</summary>
    private static void Bloom(BlockReport report, List<MonarchLogEntry> entries)
    {
        report.Heading("Bloom filters, benchmark entries");
        var blocks = Blocks(entries, ChosenMaxEntries);
        report.Paragraph($"{Format.Count(blocks.Count)} blocks of at most {ChosenMaxEntries} entries; each probed with 2,000 trace ids that no entry has. Measured rate: the share of (block, probe) pairs the filter lets through.");
        var t = report.NewTable("sized for", "k", "bytes per entry", "share of the block's payload (zstd 1)", "measured false positives");
        using var zstd = BlockCandidates.Rows(BlockCodec.Zstd, 1);
        var payload = blocks.Sum(b => (double)zstd.Encode(b).Length);
        foreach (var rate in new[] { 0.001, 0.005, 0.01, 0.02, 0.05 })
        {
            using var encoder = new BlockEncoder(BlockCodec.JsonLines, falsePositiveRate: rate);
            var filters = blocks.Select(b => encoder.Encode(b, "w", 1).Header.Bloom!).ToList();
            long passed = 0, probes = 0;
            for (var f = 0; f < filters.Count; f++)
            {
                for (var p = 0; p < 2_000; p++, probes++)
                {
                    if (filters[f].MayContain(BlockTokens.Trace($"{f:x8}{p:x8}ffffffffffffffff"))) passed++;
                }
            }

            var bytes = filters.Sum(b => (double)b.ToBytes().Length);
            t.Row($"{rate:P1}", string.Join(", ", filters.Select(b => b.HashCount).Distinct().Order()), $"{bytes / entries.Count:0.0} B", $"{bytes / payload:P1}", $"{(double)passed / probes:P2}");
        }

        t.End();
    }

    /// <summary>(field layout) What a fixed field order saves when blocks share a stream node.</summary>
    private static async Task FieldOrderAsync(BlockReport report, BlockValkey valkey, List<MonarchLogEntry> entries)
    {
        report.Heading("Field names: one order for every block, or not");
        var blocks = Blocks(entries, 16);
        using var encoder = new BlockEncoder();
        var encoded = blocks.Select((b, i) => encoder.Encode(b, "bench", i)).OrderBy(b => b.Header.FirstTicks).ToList();
        report.Paragraph($"{Format.Count(encoded.Count)} blocks of at most 16 entries (about {encoded.Average(b => b.Payload.Length):0} B of payload each), all in one stream. A node shares the field names of its first entry with every entry that has the same fields in the same order; the second row swaps two fields in every other block.");
        var t = report.NewTable(new[] { "field order" }.Concat(new[] { 4096, 65_536 }.Select(n => $"node {Format.Count(n)} B, bytes per block")).ToArray());
        foreach (var (name, swap) in new[] { ("always n t0 t1 w seq codec min bloom data", false), ("w and seq swapped in every other block", true) })
        {
            var cells = new List<string> { name };
            foreach (var node in new[] { 4096, 65_536 })
            {
                var empty = await valkey.ResetAsync(node);
                var at = 0;
                await valkey.AddAsync("bench:fields", encoded, b =>
                {
                    var fields = BlockFields.ToStreamFields(b);
                    if (swap && at++ % 2 == 1) (fields[3], fields[4]) = (fields[4], fields[3]);
                    return fields;
                });
                cells.Add($"{await valkey.PerEntryAsync(empty, encoded.Count):0.0} B");
            }

            t.Row(cells.ToArray());
        }

        t.End();
    }

    private sealed record QuietResult(double Chosen, double FormatOne, double Raw);

    /// <summary>(d) 10 entries/s over 20 partitions for an hour: cut by time, with and without a dictionary, and head then compact.</summary>
    private static async Task<QuietResult> QuietHourAsync(BlockReport report, BlockValkey valkey, BenchSettings settings)
    {
        var entries = BlockWorkloads.Spread(10 * settings.QuietHourSeconds, 10, 20, seed: 11, Start);
        var dictionary = BlockCandidates.TrainDictionary(BlockWorkloads.Spread(20_000, 10, 20, seed: 12, Start.AddDays(-1)), DictionaryBytes);
        var result = await LowRateAsync(report, valkey, $"A quiet service: 10 entries/s over 20 partitions, {settings.QuietHourSeconds / 60} min", entries, dictionary);
        return new QuietResult(result.Chosen, result.FormatOne, result.Raw);
    }

    /// <summary>The mission's rate: 100 entries/s of the benchmark's mix (its 36 partitions, the rare ones below 1 entry a minute).</summary>
    private static Task MissionRateAsync(BlockReport report, BlockValkey valkey, BenchSettings settings) =>
        LowRateAsync(report, valkey, $"The mission's rate: 100 entries/s of the benchmark's mix, {settings.MissionSeconds / 60} min", BlockWorkloads.Benchmark(100 * settings.MissionSeconds, 100, seed: 21, Start), dictionary: null);

    private sealed record LowRateResult(double Chosen, double FormatOne, double Raw);

    private static async Task<LowRateResult> LowRateAsync(BlockReport report, BlockValkey valkey, string title, List<MonarchLogEntry> entries, byte[]? dictionary)
    {
        report.Heading(title);
        var raw = RawJsonBytes(entries);
        var partitions = BlockWorkloads.ByPartition(entries);
        var before = await valkey.ResetAsync(ChosenNodeBytes);
        await valkey.AppendFormatOneAsync(entries);
        var formatOne = await valkey.PerEntryAsync(before, entries.Count);
        report.Paragraph($"{Format.Count(entries.Count)} entries in {partitions.Count} partitions ({raw:0} B of raw JSON each); format 1 on the same entries: **{PerEntry(formatOne, raw)}**. Memory: used_memory delta at the end, node {ChosenNodeBytes} B. " +
            "Cut by time: a block is sent when the next entry comes that long after its first one (or it is full): a live tail sees an entry up to that long after it was logged. " +
            "Head then compact: every entry goes at once into the partition's head stream as a one-entry zstd block without Bloom filter (what a live tail reads, so it sees the entry within a writer's batch); when the head's oldest entry is as old as the window (or the head holds 1024), the head becomes one zstd block and is trimmed. Its memory includes the head as it is at the end.");
        var t = report.NewTable("how blocks are cut", "entries per block", "Valkey bytes per entry", "of which the head (MEMORY USAGE)", "block streams alone (months on)", "live tail sees an entry after");
        using var encoder = new BlockEncoder();
        foreach (var span in new[] { TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(30) })
        {
            foreach (var withDictionary in dictionary is null ? new[] { false } : new[] { false, true })
            {
                using var candidate = withDictionary ? BlockCandidates.RowsWithDictionary(dictionary!) : BlockCandidates.Rows(BlockCodec.Zstd, 1);
                var empty = await valkey.ResetAsync(ChosenNodeBytes);
                var blocks = 0;
                foreach (var partition in partitions)
                {
                    var cut = BlockCuts.Cut(partition, ChosenMaxEntries, span);
                    blocks += cut.Count;
                    await valkey.AddAsync(valkey.StreamKey(partition[0]), cut.Select((b, i) => new EncodedBlock(encoder.Encode(b, "bench", i + 1).Header, candidate.Encode(b))));
                }

                var perEntry = await valkey.PerEntryAsync(empty, entries.Count);
                t.Row($"by time: {BlockCuts.Describe(ChosenMaxEntries, span)}{(withDictionary ? $", zstd 1 + {DictionaryBytes / 1024} KB dictionary" : ", zstd 1")}",
                    $"{(double)entries.Count / blocks:0.0}", PerEntry(perEntry, raw), "", PerEntry(perEntry, raw), $"≤ {BlockCuts.Seconds(span)}");
            }
        }

        var chosen = double.NaN;
        using var head = new BlockEncoder(BlockCodec.Zstd, falsePositiveRate: 0);
        foreach (var window in new[] { TimeSpan.FromMinutes(1), ChosenWindow, TimeSpan.FromMinutes(15) })
        {
            var empty = await valkey.ResetAsync(ChosenNodeBytes);
            var blocks = 0;
            foreach (var partition in partitions) blocks += await valkey.HeadThenCompactAsync(partition, window, ChosenMaxEntries, encoder, head);
            var perEntry = await valkey.PerEntryAsync(empty, entries.Count);
            long headBytes = 0, headEntries = 0, blockBytes = 0;
            foreach (var partition in partitions)
            {
                var key = valkey.StreamKey(partition[0]);
                headBytes += (long)(await valkey.Database.ExecuteAsync("MEMORY", "USAGE", key + ":head", "SAMPLES", "0"));
                headEntries += await valkey.Database.StreamLengthAsync(key + ":head");
                if (await valkey.Database.KeyExistsAsync(key)) blockBytes += (long)(await valkey.Database.ExecuteAsync("MEMORY", "USAGE", key, "SAMPLES", "0"));
            }

            if (window == ChosenWindow) chosen = perEntry;
            // Months on, the head (at most one window of entries) is a vanishing share: the block streams
            // alone (MEMORY USAGE of each, exact with SAMPLES 0), per entry they hold.
            t.Row($"head then compact every {BlockCuts.Seconds(window)} (or 1024 entries), zstd 1",
                blocks == 0 ? "" : $"{(double)(entries.Count - headEntries) / blocks:0.0}", PerEntry(perEntry, raw),
                $"{(double)headBytes / entries.Count:0.0} B ({Format.Count(headEntries)} entries)",
                blocks == 0 ? "" : PerEntry((double)blockBytes / (entries.Count - headEntries), raw), "at once (head)");
        }

        t.End();
        return new LowRateResult(chosen, formatOne, raw);
    }

    private sealed record DayResult(int Blocks, LookupScan.ReadResult TraceLookup);

    /// <summary>A day of entries as blocks: read everything (an export's reading and decoding), and lookups by trace id and by property.</summary>
    private static async Task<DayResult> LookupDayAsync(BlockReport report, BlockValkey valkey, BenchSettings settings)
    {
        var count = settings.LookupDayEntries;
        report.Heading($"A day of {Format.Count(count)} entries: reading everything, and lookups");
        await valkey.ResetAsync(ChosenNodeBytes);
        var scan = new LookupScan(valkey);
        MonarchLogEntry? target = null;
        var seen = 0;
        await scan.FillAsync(BlockWorkloads.BenchmarkStream(count, count / 86_400.0, seed: 13, Start), ChosenMaxEntries, ChosenWindow, entry =>
        {
            if (seen++ == count / 2) target = entry;
        });
        var requestId = System.Text.Json.JsonDocument.Parse(target!.Properties).RootElement.GetProperty(LogWorkload.RequestIdProperty).GetString()!;
        report.Paragraph($"{Format.Count(scan.Entries)} entries of the benchmark's mix over 24 hours, cut per partition at {ChosenMaxEntries} entries or {BlockCuts.Seconds(ChosenWindow)}: {Format.Count(scan.Blocks)} blocks, " +
            $"{scan.PayloadBytes / 1e6:0.0} MB of payload, {scan.HeaderBytes / 1e6:0.00} MB of headers (Bloom filters included). Each block's header is also in a stream of headers beside its partition (same ID, every field but data). " +
            $"Reads: XRANGE of {LookupScan.BlocksPerRead} blocks or {LookupScan.HeadersPerRead} headers at a time, the partitions side by side; the server's slow log counts commands over 1 ms and 5 ms. Targets: the trace id and the RequestId of the entry in the middle of the day.");
        var t = report.NewTable("read", "time", "blocks opened", "payload read", "entries found / decoded", "commands > 1 ms", "> 5 ms", "slowest command");
        void Row(string name, LookupScan.ReadResult r) => t.Row(name, Format.Ms(r.Ms), $"{r.BlocksOpened} of {scan.Blocks}", $"{r.BytesRead / 1e6:0.0} MB", Format.Count(r.Entries),
            r.SlowOver1Ms.ToString(CultureInfo.InvariantCulture), r.SlowOver5Ms.ToString(CultureInfo.InvariantCulture), r.SlowestMicroseconds == 0 ? "" : $"{r.SlowestMicroseconds} µs ({r.SlowestCommand})");
        var everything = await scan.ReadEverythingAsync();
        Row($"every block, decoded ({Format.Rate(everything.Entries / (everything.Ms / 1000))})", everything);
        var trace = await scan.LookupAsync(BlockTokens.Trace(target.TraceId), e => string.Equals(e.TraceId, target.TraceId, StringComparison.OrdinalIgnoreCase), headerStreams: true);
        Row("trace id, headers from the header streams", trace);
        Row("trace id, headers read with the blocks", await scan.LookupAsync(BlockTokens.Trace(target.TraceId), e => string.Equals(e.TraceId, target.TraceId, StringComparison.OrdinalIgnoreCase), headerStreams: false));
        Row("RequestId property, header streams", await scan.LookupAsync(BlockTokens.Property(LogWorkload.RequestIdProperty, BlockTokens.TextValue(requestId)), e => e.Properties.Contains(requestId, StringComparison.Ordinal), headerStreams: true));
        t.End();
        return new DayResult(scan.Blocks, trace);
    }
}
