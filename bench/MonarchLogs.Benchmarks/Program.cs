using System.Diagnostics;
using MonarchLogs.Benchmarks.Figures;
using MonarchLogs.Benchmarks.Infrastructure;
using MonarchLogs.Benchmarks.Reporting;

namespace MonarchLogs.Benchmarks;

/// <summary>
/// Runs the benchmark figures against throwaway Valkey servers and prints a markdown table of
/// figure / measured / reference / ratio / target / result, also written to a file
/// (artifacts/bench/results.md unless --out says otherwise).
/// </summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var repositoryRoot = RepositoryRoot.Find();
        BenchSettings settings;
        try
        {
            settings = BenchSettings.Parse(args, repositoryRoot);
        }
        catch (UsageException ex)
        {
            if (ex.Detail is not null) Console.Error.WriteLine(ex.Detail);
            Console.Error.WriteLine(BenchSettings.Usage);
            return ex.Detail is null ? 0 : 2;
        }
        catch (FormatException ex)
        {
            Console.Error.WriteLine("--only takes figure numbers 1 to 11: " + ex.Message);
            Console.Error.WriteLine(BenchSettings.Usage);
            return 2;
        }

#if DEBUG
        Console.Error.WriteLine("Warning: a Debug build; run with -c Release for figures worth quoting.");
#endif
        var startedUtc = DateTime.UtcNow;
        var started = Stopwatch.GetTimestamp();
        var loadAtStart = LoadAverage.ReadValues();
        var table = new ResultTable();
        var machine = MachineInfo.Collect();
        machine.ValkeyVersion = await FigureRunner.ValkeyVersionAsync();
        Console.WriteLine($"MonarchLogs benchmarks, mode {settings.Mode.ToString().ToLowerInvariant()}, figures {string.Join(',', settings.Figures)}");
        Console.WriteLine($"Machine: {machine.Hardware}; {machine.Software}");

        var runner = new FigureRunner(settings, table, repositoryRoot);
        await runner.RunAllAsync();

        var run = new RunInfo(startedUtc, Stopwatch.GetElapsedTime(started), settings.Mode.ToString().ToLowerInvariant(), settings.CommandLine, machine, loadAtStart, LoadAverage.ReadValues());
        var markdown = table.Render(run);
        Directory.CreateDirectory(Path.GetDirectoryName(settings.OutputPath)!);
        await File.WriteAllTextAsync(settings.OutputPath, markdown);
        Console.WriteLine();
        Console.WriteLine(markdown);
        Console.WriteLine($"Written to {settings.OutputPath}");
        return table.Rows.Any(r => r.Verdict == Verdict.Error) ? 1 : 0;
    }
}
