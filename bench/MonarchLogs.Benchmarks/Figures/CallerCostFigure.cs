using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Loggers;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using MonarchLogs.Benchmarks.Infrastructure;
using MonarchLogs.Benchmarks.Reporting;
using MonarchLogs.Testing;

namespace MonarchLogs.Benchmarks.Figures;

/// <summary>Figure 1: runs <see cref="CallerCostBenchmarks"/> with BenchmarkDotNet and reports it.</summary>
public static class CallerCostFigure
{
    private const string Figure = "1";
    private const double TargetNs = 500;
    private const int AllocationCalls = 10_000;

    private static double CallerThreadBytesPerCall(Action<CallerCostBenchmarks> setUp, Action<CallerCostBenchmarks> call, Action<CallerCostBenchmarks> cleanUp)
    {
        var benchmarks = new CallerCostBenchmarks();
        setUp(benchmarks);
        try
        {
            for (var i = 0; i < 1_000; i++) call(benchmarks);
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < AllocationCalls; i++) call(benchmarks);
            return (double)(GC.GetAllocatedBytesForCurrentThread() - before) / AllocationCalls;
        }
        finally
        {
            cleanUp(benchmarks);
        }
    }

    public static async Task RunAsync(BenchSettings settings, ResultTable table, string repositoryRoot)
    {
        var loadAtStart = LoadAverage.Read();
        await using var server = await ValkeyServer.StartAsync();
        CallerCostBenchmarks.ConnectionString = server.ConnectionString;
        CallerCostBenchmarks.FormatVersion = settings.FormatVersion;
        CallerCostBenchmarks.BufferCapacity = settings.CallerInvocations * 4;

        var job = Job.Default
            .WithToolchain(InProcessEmitToolchain.Instance)
            .WithInvocationCount(settings.CallerInvocations)
            .WithUnrollFactor(1)
            .WithWarmupCount(settings.CallerWarmups)
            .WithIterationCount(settings.CallerIterations)
            .WithId("caller");
        var config = ManualConfig.CreateEmpty()
            .AddJob(job)
            .AddDiagnoser(MemoryDiagnoser.Default)
            .AddLogger(ConsoleLogger.Default)
            .AddColumnProvider(BenchmarkDotNet.Columns.DefaultColumnProviders.Instance)
            .WithArtifactsPath(Path.Combine(repositoryRoot, "artifacts", "bench", "BenchmarkDotNet"))
            .WithOptions(ConfigOptions.DisableLogFile);

        var summary = BenchmarkRunner.Run<CallerCostBenchmarks>(config);
        double? Median(string method) => summary.Reports
            .FirstOrDefault(r => r.BenchmarkCase.Descriptor.WorkloadMethod.Name == method)?.ResultStatistics?.Median;
        double? Min(string method) => summary.Reports
            .FirstOrDefault(r => r.BenchmarkCase.Descriptor.WorkloadMethod.Name == method)?.ResultStatistics?.Min;
        long? Allocated(string method)
        {
            var report = summary.Reports.FirstOrDefault(r => r.BenchmarkCase.Descriptor.WorkloadMethod.Name == method);
            return report?.GcStats.GetBytesAllocatedPerOperation(report.BenchmarkCase);
        }

        var provider = Median(nameof(CallerCostBenchmarks.MonarchValkeyCall));
        var console = Median(nameof(CallerCostBenchmarks.JsonConsoleCall));
        var nul = Median(nameof(CallerCostBenchmarks.NullLoggerCall));
        if (provider is null || console is null || nul is null)
        {
            table.Add(new FigureRow(Figure, "Caller cost of ILogger.Log", "≤ 500 ns median, < console", "benchmark failed", "", "", Verdict.Error));
            return;
        }

        // Calls that found the buffer full took the cheaper drop path: such a figure is not the
        // caller cost of an app whose entries are stored, so it cannot pass.
        var dropped = CallerCostBenchmarks.Counts.Snapshot().ProviderDropped;
        var pass = provider.Value <= TargetNs && provider.Value < console.Value && dropped == 0;
        table.Add(new FigureRow(Figure, "Caller cost of ILogger.Log, median per call",
            "≤ 500 ns and < JSON console",
            $"{Format.Ns(provider.Value)} (fastest iteration {Format.Ns(Min(nameof(CallerCostBenchmarks.MonarchValkeyCall)) ?? double.NaN)})" +
            (dropped == 0 ? string.Empty : $"; INVALID: {Format.Count(dropped)} entries dropped, so calls took the drop path"),
            $"JSON console {Format.Ns(console.Value)} (fastest {Format.Ns(Min(nameof(CallerCostBenchmarks.JsonConsoleCall)) ?? double.NaN)}); NullLogger {Format.Number(nul.Value, "0.0")} ns",
            Format.Ratio(provider.Value / console.Value) + " of console",
            pass ? Verdict.Pass : Verdict.Miss));

        // BenchmarkDotNet's allocation count can include what other threads allocate during the
        // iterations (the provider's writer, the console's queue thread); the caller's own
        // allocation is measured apart, on the calling thread only.
        var counts = CallerCostBenchmarks.Counts.Snapshot();
        var providerBytes = CallerThreadBytesPerCall(b => b.SetUpProvider(), b => b.MonarchValkeyCall(), b => b.CleanUpProvider());
        var consoleBytes = CallerThreadBytesPerCall(b => b.SetUpConsole(), b => b.JsonConsoleCall(), b => b.CleanUpConsole());
        var nullBytes = CallerThreadBytesPerCall(b => b.SetUpNull(), b => b.NullLoggerCall(), _ => { });
        table.Add(new FigureRow(Figure, "Caller allocation per call (calling thread)", "(none)",
            Format.Bytes(providerBytes),
            $"JSON console {Format.Bytes(consoleBytes)}; NullLogger {Format.Bytes(nullBytes)}",
            consoleBytes > 0 ? Format.Ratio(providerBytes / consoleBytes) + " of console" : "n/a",
            Verdict.Info));
        table.Note("1.", $"Allocation: GC.GetAllocatedBytesForCurrentThread around {Format.Count(AllocationCalls)} calls on the calling thread. BenchmarkDotNet's MemoryDiagnoser said provider {Format.Bytes(Allocated(nameof(CallerCostBenchmarks.MonarchValkeyCall)) ?? -1)}, " +
            $"console {Format.Bytes(Allocated(nameof(CallerCostBenchmarks.JsonConsoleCall)) ?? -1)}, NullLogger {Format.Bytes(Allocated(nameof(CallerCostBenchmarks.NullLoggerCall)) ?? -1)} per call; the difference is what it counted on other threads (the provider's writer, the console's queue thread) during the iterations.");

        var calls = (long)settings.CallerInvocations * (settings.CallerIterations + settings.CallerWarmups);
        table.Note("1.", $"BenchmarkDotNet 0.15.8, InProcessEmitToolchain, MemoryDiagnoser; {settings.CallerWarmups} warm-up + {settings.CallerIterations} measured iterations of {Format.Count(settings.CallerInvocations)} calls each; " +
            $"\"median\" is the median of the per-iteration mean cost per call, \"fastest\" the least disturbed iteration (on a shared machine a preempted caller thread counts as cost). Load average at the start of the figure: {loadAtStart}. The call: a LoggerMessage.Define'd Information entry with three arguments, no scope, no Activity, minimum level Information in all three factories.");
        table.Note("1.", $"JSON console logger: AddJsonConsole (UTC timestamp, no scopes), queue mode Wait (the caller blocks rather than drops when its 2,500-message queue is full), writing to a counting null TextWriter: " +
            $"{Format.Count(counts.ConsoleLines)} lines, {Format.Number(counts.ConsoleLines == 0 ? 0 : (double)counts.ConsoleChars / counts.ConsoleLines, "0")} chars per line on average, so it did format and write every call (the caller thread formats the JSON; a background thread writes it).");
        table.Note("1.", $"Provider: a live throwaway Valkey behind it, BufferCapacity {Format.Count(CallerCostBenchmarks.BufferCapacity)}, the queue drained before each iteration (an app logging below the writer's rate); the background writer ran on the other core during the iterations. " +
            $"Entries written {Format.Count(counts.ProviderWritten)} (≈ {Format.Count(calls)} measured calls + BenchmarkDotNet's own extra invocations + 1 warm-up), dropped {counts.ProviderDropped}" +
            (counts.ProviderDropped == 0 ? ": no entry was dropped, so no call took the cheaper drop path." : ": some calls took the cheaper drop path; the figure is optimistic."));
    }
}
