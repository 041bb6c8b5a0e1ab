using System.Globalization;
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
/// Figure 9: a day of entries of a version 2 store (blocks) exported with Export-MonarchLog to a .jsonl.gz file and imported
/// with Import-MonarchLog into an empty version 2 store, each in a PowerShell process of its own, as an
/// operator runs them: entries per second (timed inside the process, so PowerShell's start-up is
/// not counted) and the process's peak working set against PowerShell with the module alone;
/// then the archive's size against the memory the day takes in Valkey.
/// </summary>
public static class ArchiveFigure
{
    private const double TargetExportRate = 300_000;
    private const double TargetImportRate = 200_000;
    private const double TargetSizeRatio = 0.3;

    public static async Task RunAsync(BenchSettings settings, ResultTable table, string repositoryRoot)
    {
        var pwsh = new PwshRunner(repositoryRoot);
        await pwsh.EnsureReadyAsync();
        await using var server = await ValkeyServer.StartAsync();
        using var admin = server.Connect();
        var stats = new ServerStats(admin);
        using var connection = await ConnectionMultiplexer.ConnectAsync(server.ConnectionString + ",syncTimeout=30000,asyncTimeout=30000");
        var store = new LogStore(connection, new StorageFormat());
        // The imports' stores are made version 2 up front: the cmdlet's writer keeps a store's version.
        foreach (var prefix in new[] { "day-warm-up", "day-copy", "slice-warm-up", "slice-copy" }) await admin.GetDatabase().StringSetAsync(new StorageFormat(prefix).FormatKey, StorageFormat.Version2);
        var entries = settings.ArchiveEntries;
        var day = DateTime.UtcNow.Date.AddDays(-1);
        var before = await stats.SettledUsedMemoryAsync();
        Console.WriteLine($"  filling: {entries:N0} entries over {day:yyyy-MM-dd} ...");
        // Filled as a live writer would have written the day (format 1, then upgraded: full blocks at
        // their entries' time), not through the append script at today's time (small late blocks).
        var written = await StoreFiller.FillPastAsync(settings, connection, 2, new LogWorkload(), new[] { new TimeSpread(day, day.AddDays(1).AddTicks(-1), entries) });
        var dayMemory = await stats.SettledUsedMemoryAsync() - before;
        // The archive is compared with the entries' raw JSON: a store of format 2 keeps the day in
        // less memory than its gzip archive takes (both compress; the store per block).
        long rawBytes = 0;
        await foreach (var entry in store.QueryAsync(new Core.Query.LogQuery { OldestFirst = true })) rawBytes += RawJson.Encode(entry).Length;

        var folder = Path.Combine(Path.GetTempPath(), "monarchlogs-bench-archive-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            var module = pwsh.ModulePath.Replace("'", "''", StringComparison.Ordinal);
            // The command runs twice in one process: the first run pays for loading and compiling the
            // code (a new PowerShell process does that once), the second is the rate of the work itself.
            // The script prints: both runs' ms, the entries of the second, the process's peak working set.
            string Timed(string first, string second, string count) =>
                $"Import-Module '{module}'; $ProgressPreference = 'SilentlyContinue'; $w = [Diagnostics.Stopwatch]::StartNew(); $null = {first}; $cold = $w.Elapsed.TotalMilliseconds; " +
                $"$w.Restart(); $r = {second}; $w.Stop(); [Diagnostics.Process]::GetCurrentProcess().Refresh(); " +
                $"'{{0}} {{1}} {{2}} {{3}}' -f $w.Elapsed.TotalMilliseconds, $r.{count}, [Diagnostics.Process]::GetCurrentProcess().PeakWorkingSet64, $cold";

            var baseline = Parse(await pwsh.RunForOutputAsync($"Import-Module '{module}'; '0 0 {{0}} 0' -f [Diagnostics.Process]::GetCurrentProcess().PeakWorkingSet64"));
            // The whole day, then its first tenth (a smaller export, whose rate the runtime's warm-up in a new process weighs on more).
            var sliceUntil = day.AddHours(2.4);
            var slice = $"-Since ([datetime]::new({day.Ticks}L, 'Utc')) -Until ([datetime]::new({sliceUntil.Ticks}L, 'Utc'))";
            async Task<((double Ms, long Count, long Peak, double ColdMs) Export, (double Ms, long Count, long Peak, double ColdMs) Import, long FileBytes)> RoundAsync(string name, string filter)
            {
                var file = Path.Combine(folder, name + ".jsonl.gz");
                var path = file.Replace("'", "''", StringComparison.Ordinal);
                var exportCommand = $"Export-MonarchLog -ConnectionString {server.ConnectionString} -Path '{path}' {filter} -Force";
                var exported = Parse(await pwsh.RunForOutputAsync(Timed(exportCommand, exportCommand, "Entries")));
                var imported = Parse(await pwsh.RunForOutputAsync(Timed($"Import-MonarchLog -ConnectionString {server.ConnectionString} -Prefix {name}-warm-up -Path '{path}'",
                    $"Import-MonarchLog -ConnectionString {server.ConnectionString} -Prefix {name}-copy -Path '{path}'", "Imported")));
                return (exported, imported, new FileInfo(file).Length);
            }

            var whole = await RoundAsync("day", string.Empty);
            var part = await RoundAsync("slice", slice);
            var copy = new LogStore(connection, new StorageFormat("day-copy"));
            long copied = 0;
            await foreach (var _ in copy.QueryAsync(new Core.Query.LogQuery { Services = new[] { "orders" }, Levels = new[] { Core.MonarchLogLevel.Information } })) copied++;
            var version = (string?)await connection.GetDatabase().StringGetAsync(store.Format.FormatKey);

            double Rate((double Ms, long Count, long Peak, double ColdMs) run) => run.Count / (run.Ms / 1000);
            var ratio = (double)whole.FileBytes / rawBytes;
            var mb = 1024.0 * 1024.0;
            string Peak((double Ms, long Count, long Peak, double ColdMs) run) => $"first run in the process {Format.Rate(run.Count / (run.ColdMs / 1000))}; peak working set {run.Peak / mb:0} MB ({(run.Peak - baseline.Peak) / mb:+0;-0} MB over pwsh + module)";
            string Measured((double Ms, long Count, long Peak, double ColdMs) run) => $"{Format.Rate(Rate(run))} ({run.Count:N0} in {Format.Ms(run.Ms)})";
            table.Add(new FigureRow("9a", $"Export-MonarchLog of a day, {Format.Count(entries)} entries of a version {version} store, to .jsonl.gz", "≥ 300,000 entries/s",
                Measured(whole.Export), Peak(whole.Export), Format.Ratio(Rate(whole.Export) / TargetExportRate),
                Rate(whole.Export) >= TargetExportRate && whole.Export.Count == written ? Verdict.Pass : Verdict.Miss));
            table.Add(new FigureRow("9b", "Import-MonarchLog of that file into an empty version 2 store", "≥ 200,000 entries/s",
                Measured(whole.Import), Peak(whole.Import), Format.Ratio(Rate(whole.Import) / TargetImportRate),
                Rate(whole.Import) >= TargetImportRate && whole.Import.Count == written ? Verdict.Pass : Verdict.Miss));
            table.Add(new FigureRow("9c", "Archive size against the day's raw JSON", "≤ 0.3×",
                $"{whole.FileBytes / mb:0.0} MB file", $"{rawBytes / mb:0.0} MB raw JSON; {dayMemory / mb:0.0} MB used_memory for the day", Format.Ratio(ratio),
                ratio <= TargetSizeRatio ? Verdict.Pass : Verdict.Miss));
            table.Add(new FigureRow("9d", $"Export-MonarchLog of the day's first tenth (-Since/-Until, {Format.Count(part.Export.Count)} entries)", "reference for 9a",
                Measured(part.Export), Peak(part.Export), Format.Ratio(Rate(part.Export) / TargetExportRate), Verdict.Info));
            table.Add(new FigureRow("9e", "Import-MonarchLog of that file into an empty version 2 store", "reference for 9b",
                Measured(part.Import), Peak(part.Import), Format.Ratio(Rate(part.Import) / TargetImportRate), Verdict.Info));
            table.Note("9.", $"{written:N0} entries of the workload of figures 2 to 4 (six services, about 350 bytes of values each, 1% errors) written over one day into a store of storage format version 2 as a live writer would have (format 1, then LogStore.UpgradeAsync: blocks of up to 1,024 entries at their entries' time) (blocks; the import's stores are marked version 2 before it), as many as the day of figure 8. " +
                $"Each command runs in its own `dotnet pwsh -NoProfile -NonInteractive` process with $ProgressPreference SilentlyContinue; each command runs twice in its process and the rate is the second run's own time (Stopwatch around it; the first run, which also loads and compiles the code, is given as the reference), " +
                $"the peak working set the process's VmHWM at its end, against {baseline.Peak / mb:0} MB for PowerShell with the module imported and nothing run. " +
                $"The measured import goes into an empty prefix of the same server (its first run into another) (every entry at its event time; the duplicate check then reads nothing), {copied:N0} entries in its orders/information partition. " +
                $"9d and 9e are the same for the day's first 2.4 hours: a second run in a new process still runs much of the code as the runtime's first-tier and instrumented code while it compiles the optimized code beside it on the same two cores (docs/performance.md, 9a), a cost that does not grow with the entries and weighs ten times as much on a tenth of them. " +
                $"The day's memory is the settled used_memory before and after the fill; the file is gzip at the level an export writes (zlib level 2 on .NET 9 and later).");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static (double Ms, long Count, long Peak, double ColdMs) Parse(string output)
    {
        var line = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Last();
        var parts = line.Split(' ');
        return (double.Parse(parts[0], CultureInfo.InvariantCulture), long.Parse(parts[1], CultureInfo.InvariantCulture), long.Parse(parts[2], CultureInfo.InvariantCulture),
            double.Parse(parts[3], CultureInfo.InvariantCulture));
    }
}
