using System.Diagnostics;
using MonarchLogs.Core;

namespace MonarchLogs.Benchmarks.Workload;

/// <summary>
/// Entries for the block measurements, as the provider would store them: the benchmark's shapes
/// and value distributions (<see cref="LogWorkload.NewOperation"/>), but every entry with values
/// of its own. (LogWorkload repeats 4,104 operations, which a block of a thousand entries of one
/// partition would hold several times over and compress far better than real logs.) A W3C trace
/// spans 16 consecutive entries, as in the ingest figure's producer; event times follow a
/// Poisson process at the given rate, to the 100 ns tick.
/// </summary>
public static class BlockWorkloads
{
    public const string Host = "monarch-web-1";
    private const int EntriesPerTrace = 16;

    /// <summary>The benchmark's mix: the six services in turn, levels 5/15/65/10/4/1% trace to critical.</summary>
    public static List<MonarchLogEntry> Benchmark(int count, double entriesPerSecond, int seed, DateTime startUtc) =>
        BenchmarkStream(count, entriesPerSecond, seed, startUtc).ToList();

    /// <summary>As <see cref="Benchmark"/>, made one at a time (a day of a million entries need not be held at once).</summary>
    public static IEnumerable<MonarchLogEntry> BenchmarkStream(int count, double entriesPerSecond, int seed, DateTime startUtc) =>
        Generate(count, entriesPerSecond, seed, startUtc, (random, i) =>
        {
            var op = LogWorkload.NewOperation(random, i % LogWorkload.Shapes.Length);
            return (op, (MonarchLogLevel)op.Level);
        });

    /// <summary>
    /// A quiet service: <paramref name="partitions"/> partitions (five of the benchmark's services
    /// at debug, information, warning and error, for 20), each entry in one of them at random.
    /// </summary>
    public static List<MonarchLogEntry> Spread(int count, double entriesPerSecond, int partitions, int seed, DateTime startUtc)
    {
        var levels = new[] { MonarchLogLevel.Debug, MonarchLogLevel.Information, MonarchLogLevel.Warning, MonarchLogLevel.Error };
        return Generate(count, entriesPerSecond, seed, startUtc, (random, _) =>
        {
            var partition = random.Next(partitions);
            return (LogWorkload.NewOperation(random, partition / levels.Length % LogWorkload.Shapes.Length), levels[partition % levels.Length]);
        }).ToList();
    }

    private static IEnumerable<MonarchLogEntry> Generate(int count, double entriesPerSecond, int seed, DateTime startUtc, Func<Random, int, (LogWorkload.Operation Op, MonarchLogLevel Level)> next)
    {
        var random = new Random(seed);
        var time = startUtc;
        string traceId = string.Empty, spanId = string.Empty;
        for (var i = 0; i < count; i++)
        {
            if (i % EntriesPerTrace == 0)
            {
                traceId = ActivityTraceId.CreateRandom().ToHexString();
                spanId = ActivitySpanId.CreateRandom().ToHexString();
            }

            time = time.AddTicks((long)(-Math.Log(1 - random.NextDouble()) * TimeSpan.TicksPerSecond / entriesPerSecond));
            var (op, level) = next(random, i);
            var entry = LogWorkload.ToEntry(op, time, level, Host);
            yield return new MonarchLogEntry
            {
                Timestamp = entry.Timestamp, Level = entry.Level, Service = entry.Service, Category = entry.Category,
                Message = entry.Message, Template = entry.Template, EventId = entry.EventId, EventName = entry.EventName,
                TraceId = traceId, SpanId = spanId, Host = entry.Host, Properties = entry.Properties,
            };
        }
    }

    /// <summary>The entries of each partition (service and level), each in time order.</summary>
    public static List<List<MonarchLogEntry>> ByPartition(IEnumerable<MonarchLogEntry> entries) =>
        entries.GroupBy(e => (e.Service, e.Level))
            .OrderBy(g => g.Key.Service, StringComparer.Ordinal).ThenBy(g => g.Key.Level)
            .Select(g => g.OrderBy(e => e.Timestamp).ToList())
            .ToList();
}
