using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;
using MonarchLogs.Benchmarks.Infrastructure;
using MonarchLogs.Benchmarks.Workload;

namespace MonarchLogs.Benchmarks.Figures;

/// <summary>
/// Figure 1: what one ILogger.Log call costs the caller. The same LoggerMessage call (an
/// Information entry with three arguments, as source-generated logging makes) through a
/// NullLogger, the framework's JSON console logger writing to a counting null writer, and the
/// Valkey provider with a live Valkey behind it. Runs in-process (BenchmarkDotNet's
/// InProcessEmitToolchain), so the statics below carry the server and the counts.
/// </summary>
public class CallerCostBenchmarks
{
    /// <summary>Set by the figure before the run: the throwaway Valkey the provider writes to.</summary>
    public static string ConnectionString { get; set; } = string.Empty;

    public static int BufferCapacity { get; set; } = 1_000_000;

    /// <summary>Set by the figure: the format version of the store the provider creates.</summary>
    public static int FormatVersion { get; set; } = 2;

    /// <summary>What the run left behind, read by the figure afterwards.</summary>
    public static CallerCostCounts Counts { get; } = new();

    private static readonly MessageShape Shape = LogWorkload.Shapes[0];
    private ILogger _logger = NullLogger.Instance;
    private ILoggerFactory? _factory;
    private ProviderHost? _provider;
    private CountingNullWriter? _console;

    [GlobalSetup(Target = nameof(NullLoggerCall))]
    public void SetUpNull() => _logger = NullLogger.Instance;

    [GlobalSetup(Target = nameof(JsonConsoleCall))]
    public void SetUpConsole()
    {
        // The console provider takes Console.Out when it is made; swap it only meanwhile.
        _console = new CountingNullWriter();
        var original = Console.Out;
        Console.SetOut(_console);
        try
        {
            _factory = LoggerFactory.Create(logging =>
            {
                logging.SetMinimumLevel(LogLevel.Information);
                logging.AddJsonConsole(options =>
                {
                    options.IncludeScopes = false;
                    options.UseUtcTimestamp = true;
                    options.TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'";
                });
                logging.Services.Configure<ConsoleLoggerOptions>(options => options.QueueFullMode = ConsoleLoggerQueueFullMode.Wait);
            });
            _logger = _factory.CreateLogger(Shape.Category);
        }
        finally
        {
            Console.SetOut(original);
        }
    }

    [GlobalSetup(Target = nameof(MonarchValkeyCall))]
    public void SetUpProvider()
    {
        _provider = ProviderHost.Start(ConnectionString, "callers", BufferCapacity, FormatVersion, LogLevel.Information);
        _provider.WarmUpAsync().GetAwaiter().GetResult();
        _logger = _provider.Factory.CreateLogger(Shape.Category);
    }

    /// <summary>Each iteration starts with the provider's queue drained, as in an app that logs below the writer's rate.</summary>
    [IterationSetup(Target = nameof(MonarchValkeyCall))]
    public void DrainProvider()
    {
        var provider = _provider!.Provider;
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (provider.EntriesBuffered > 0 && DateTime.UtcNow < deadline) Thread.Sleep(1);
    }

    [Benchmark(Baseline = true, Description = "NullLogger")]
    public void NullLoggerCall() => Shape.Log(_logger, LogLevel.Information, "ORD-48213", "globex", 37);

    [Benchmark(Description = "JSON console logger")]
    public void JsonConsoleCall() => Shape.Log(_logger, LogLevel.Information, "ORD-48213", "globex", 37);

    [Benchmark(Description = "MonarchLogs provider")]
    public void MonarchValkeyCall() => Shape.Log(_logger, LogLevel.Information, "ORD-48213", "globex", 37);

    [GlobalCleanup(Target = nameof(JsonConsoleCall))]
    public void CleanUpConsole()
    {
        _factory?.Dispose();
        Counts.ConsoleChars = _console?.Chars ?? 0;
        Counts.ConsoleLines = _console?.Lines ?? 0;
    }

    [GlobalCleanup(Target = nameof(MonarchValkeyCall))]
    public void CleanUpProvider()
    {
        var provider = _provider!.Provider;
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (provider.EntriesBuffered > 0 && DateTime.UtcNow < deadline) Thread.Sleep(5);
        Counts.ProviderWritten = provider.EntriesWritten;
        Counts.ProviderDropped = provider.EntriesDropped;
        _provider.Dispose();
    }
}

public sealed class CallerCostCounts
{
    public CallerCostCounts Snapshot() => (CallerCostCounts)MemberwiseClone();

    public long ConsoleChars { get; set; }

    public long ConsoleLines { get; set; }

    public long ProviderWritten { get; set; }

    public long ProviderDropped { get; set; }
}
