using MonarchLogs.Core.Format;
using MonarchLogs.Core.Storage;
using MonarchLogs.Testing;
using StackExchange.Redis;

namespace MonarchLogs.Benchmarks.Infrastructure;

public enum RunMode
{
    Full,
    Quick,
    Smoke,
}

/// <summary>
/// The command line and the sizes of each mode. Full is the issue's sizes; quick is for
/// development; smoke runs every figure at a tiny size, fast enough for CI.
/// </summary>
public sealed class BenchSettings
{
    private BenchSettings(RunMode mode, string outputPath, IReadOnlySet<int> figures, int formatVersion)
    {
        Mode = mode;
        OutputPath = outputPath;
        Figures = figures;
        FormatVersion = formatVersion;
    }

    public RunMode Mode { get; }

    public string OutputPath { get; }

    /// <summary>The figures to run (1 to 11); 1 to 9 and 11 unless --only is given.</summary>
    public IReadOnlySet<int> Figures { get; }

    /// <summary>The storage format version of every store the figures create (1 or 2; 2 unless --format says otherwise). Figure 4 measures both.</summary>
    public int FormatVersion { get; }

    /// <summary>The format of the figures' stores (the default prefix).</summary>
    public StorageFormat NewStoreFormat() => new();

    /// <summary>
    /// A store on <paramref name="connection"/> of <see cref="FormatVersion"/> (or <paramref name="version"/>):
    /// version 1 is written as a release before this one wrote it (<see cref="Version1Writer"/>), since this version writes format 2 only.
    /// </summary>
    public LogStore NewStore(IConnectionMultiplexer connection, int? version = null)
    {
        var format = NewStoreFormat();
        return (version ?? FormatVersion) == 1 ? new LogStore(connection, format, new Version1Writer(connection, format)) : new LogStore(connection, format);
    }

    /// <summary>The figures that measure the logging provider, which writes format 2 only.</summary>
    private static readonly int[] ProviderFigures = { 1, 2, 3, 5 };

    public bool Runs(int figure) => Figures.Contains(figure);

    /// <summary>The command that runs these figures in this mode, as the results file quotes it (without --out, which may name a folder of this machine).</summary>
    public string CommandLine
    {
        get
        {
            var arguments = new List<string>();
            if (Mode != RunMode.Full) arguments.Add("--" + Mode.ToString().ToLowerInvariant());
            if (Figures.Count != AllFigures.Count()) arguments.Add("--only " + string.Join(',', Figures));
            if (FormatVersion != 2) arguments.Add("--format " + FormatVersion);
            return "dotnet run --project bench/MonarchLogs.Benchmarks -c Release" + (arguments.Count == 0 ? string.Empty : " -- " + string.Join(' ', arguments));
        }
    }

    private static IEnumerable<int> AllFigures => Enumerable.Range(1, 9).Append(11);

    // 1. Caller cost (BenchmarkDotNet): calls per iteration, warm-up and measured iterations.
    public int CallerInvocations => Pick(20_000, 20_000, 2_000);
    public int CallerWarmups => Pick(5, 2, 1);
    public int CallerIterations => Pick(25, 8, 3);

    // 2 and 3. Ingest and memory.
    public int IngestEntries => Pick(500_000, 100_000, 10_000);
    public int ValkeyBenchmarkRequests => Pick(200_000, 100_000, 10_000);
    public int OriginalDesignEntries => Pick(20_000, 5_000, 500);

    /// <summary>Rounds of provider ingest, valkey-benchmark and writer drain, interleaved; the figures are their medians.</summary>
    public int IngestRounds => Pick(3, 2, 1);

    // 4 and 7. Query stores: the small store holds one day; the big one that day and older days.
    public int QueryEntriesPerDay => Pick(1_000_000, 200_000, 10_000);
    public int QueryBigStoreDays => 5;
    public int QueryRepetitions => Pick(5, 3, 1);
    public int WholeProcessRepetitions => Pick(3, 2, 1);

    // 5. Watch.
    public int WatchWrites => Pick(500, 200, 30);
    public int WatchMaxIntervalMs => 20;
    public TimeSpan IdleWindow => TimeSpan.FromSeconds(Pick(10, 5, 2));

    // 6. Retention.
    public int RetentionExpiredEntries => Pick(1_000_000, 200_000, 10_000);
    public int RetentionLiveEntries => Pick(10_000, 5_000, 1_000);

    // 8. Statistics and lookups: on the query stores of figure 4.

    // 9. Archive: the entries of the day exported and imported (a day as figure 8's).
    public int ArchiveEntries => Pick(1_000_000, 100_000, 5_000);

    // 10. Block layouts for storage format 2 (only with --only 10): entries of the benchmark's
    // shape cut into blocks, the demo's entries, a quiet hour, an hour at the mission's rate, a day.
    public int BlockEntries => Pick(200_000, 60_000, 6_000);
    public int BlockDemoEntries => Pick(30_000, 10_000, 2_000);
    public int QuietHourSeconds => Pick(3_600, 3_600, 600);
    public int MissionSeconds => Pick(3_600, 900, 120);
    public int LookupDayEntries => Pick(1_000_000, 200_000, 20_000);

    // 11. Memory at 10 entries/s over 20 partitions for an hour, replayed time-compressed.
    public int QuietHourPartitions => 20;
    public int QuietHourRate => 10;
    public int QuietHourCompression => 60;
    public int QuietHourReplaySeconds => Pick(3_600, 3_600, 600);

    private int Pick(int full, int quick, int smoke) => Mode switch
    {
        RunMode.Smoke => smoke,
        RunMode.Quick => quick,
        _ => full,
    };

    public static BenchSettings Parse(string[] args, string repositoryRoot)
    {
        var mode = RunMode.Full;
        string? output = null;
        var figures = new SortedSet<int>(AllFigures);
        var formatVersion = 2;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--quick": mode = RunMode.Quick; break;
                case "--smoke": mode = RunMode.Smoke; break;
                case "--out" when i + 1 < args.Length: output = args[++i]; break;
                case "--only" when i + 1 < args.Length:
                    figures = new SortedSet<int>(args[++i].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(int.Parse));
                    break;
                case "--format" when i + 1 < args.Length:
                    formatVersion = args[++i] switch
                    {
                        "1" => 1,
                        "2" => 2,
                        var other => throw new UsageException($"--format takes 1 or 2; got '{other}'."),
                    };
                    break;
                case "--blocks": figures = new SortedSet<int> { 10 }; break;
                case "-h":
                case "--help":
                    throw new UsageException();
                default:
                    throw new UsageException($"Unknown argument '{args[i]}'.");
            }
        }

        if (formatVersion == 1 && figures.Overlaps(ProviderFigures))
        {
            throw new UsageException($"--format 1: figures {string.Join(", ", ProviderFigures)} measure the logging provider, which writes format 2 only; leave them out with --only.");
        }

        output ??= Path.Combine(repositoryRoot, "artifacts", "bench", "results.md");
        return new BenchSettings(mode, Path.GetFullPath(output), figures, formatVersion);
    }

    public const string Usage =
        "dotnet run --project bench/MonarchLogs.Benchmarks -c Release -- [--quick|--smoke] [--out FILE] [--only 1,2,...|--blocks] [--format 1|2]\n" +
        "  (default)  the full run, about 15 minutes on 2 cores (1M and 5M stores of both versions: about 4 GB in Valkey)\n" +
        "  --quick    smaller sizes, for development\n" +
        "  --smoke    every figure at a tiny size, well under a minute (CI)\n" +
        "  --out      where to write the markdown table (default artifacts/bench/results.md)\n" +
        "  --only     run only these figures (1 caller cost, 2 ingest, 3 memory, 4 query, 5 watch, 6 retention, 7 whole process, 8 statistics and lookups,\n" +
        "             9 export, import and archive size, 10 block layouts for storage format 2, not in the default run,\n" +
        "             11 memory at 10 entries/s over 20 partitions for an hour, replayed 60x faster)\n" +
        "  --format   the storage format version of every store the figures create (default 2; 1 is written as an older release did, not for figures 1, 2, 3, 5); figure 4 measures both\n" +
        "  --blocks   the same as --only 10; its tables go to blocks.md beside the results (docs/design/storage-format-2.md quotes them)";
}

/// <summary>A bad command line (or --help); <see cref="Detail"/> says what was wrong, if anything.</summary>
public sealed class UsageException : Exception
{
    public UsageException(string? detail = null)
        : base(detail ?? "Usage requested.")
    {
        Detail = detail;
    }

    public string? Detail { get; }
}
