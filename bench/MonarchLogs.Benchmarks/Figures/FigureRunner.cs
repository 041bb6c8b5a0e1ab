using MonarchLogs.Benchmarks.Infrastructure;
using MonarchLogs.Benchmarks.Reporting;
using MonarchLogs.Benchmarks.Valkey;
using MonarchLogs.Testing;

namespace MonarchLogs.Benchmarks.Figures;

/// <summary>Runs the chosen figures in order; a figure that fails is reported as an error row and the others go on.</summary>
public sealed class FigureRunner
{
    private readonly BenchSettings _settings;
    private readonly ResultTable _table;
    private readonly string _repositoryRoot;

    public FigureRunner(BenchSettings settings, ResultTable table, string repositoryRoot)
    {
        _settings = settings;
        _table = table;
        _repositoryRoot = repositoryRoot;
    }

    public static async Task<string> ValkeyVersionAsync()
    {
        await using var server = await ValkeyServer.StartAsync();
        using var admin = server.Connect();
        return await new ServerStats(admin).VersionAsync();
    }

    public async Task RunAllAsync()
    {
        if (_settings.Runs(1)) await GuardAsync("1", "Caller cost", () => CallerCostFigure.RunAsync(_settings, _table, _repositoryRoot));
        if (_settings.Runs(2) || _settings.Runs(3)) await GuardAsync("2-3", "Ingest and memory per entry", () => IngestFigure.RunAsync(_settings, _table));
        if (_settings.Runs(4) || _settings.Runs(7) || _settings.Runs(8))
        {
            QueryStores? stores = null;
            await GuardAsync("4", "Query stores", async () => stores = await QueryStores.CreateAsync(_settings, bothVersions: _settings.Runs(4)));
            if (stores is not null)
            {
                await using (stores)
                {
                    if (_settings.Runs(4)) await GuardAsync("4", "Query", () => QueryFigure.RunAsync(_settings, _table, stores));
                    if (_settings.Runs(7)) await GuardAsync("7", "Whole process", () => WholeProcessFigure.RunAsync(_settings, _table, stores, _repositoryRoot));
                    if (_settings.Runs(8)) await GuardAsync("8", "Statistics and lookups", () => StatisticsFigure.RunAsync(_settings, _table, stores));
                }
            }
        }

        if (_settings.Runs(5)) await GuardAsync("5", "Watch latency and idle cost", () => WatchFigure.RunAsync(_settings, _table));
        if (_settings.Runs(6)) await GuardAsync("6", "Retention", () => RetentionFigure.RunAsync(_settings, _table));
        if (_settings.Runs(9)) await GuardAsync("9", "Export, import and archive size", () => ArchiveFigure.RunAsync(_settings, _table, _repositoryRoot));
        if (_settings.Runs(11)) await GuardAsync("11", "Memory at 10 entries/s over 20 partitions for an hour", () => QuietHourFigure.RunAsync(_settings, _table));
        if (_settings.Runs(10)) await GuardAsync("10", "Block layouts for storage format 2", () => BlocksFigure.RunAsync(_settings, _table, _repositoryRoot));
    }

    private async Task GuardAsync(string figure, string name, Func<Task> run)
    {
        Console.WriteLine();
        Console.WriteLine($"== Figure {figure}: {name}");
        try
        {
            await run();
        }
        catch (Exception ex)
        {
            Console.Error.WriteLine(ex);
            _table.Add(new FigureRow(figure, name, "", "failed: " + ex.GetType().Name + ": " + ex.Message, "", "", Verdict.Error));
        }
    }
}
