using MonarchLogs.Core;
using MonarchLogs.Core.Format;
using MonarchLogs.Benchmarks.Infrastructure;
using MonarchLogs.Core.Storage;
using StackExchange.Redis;

namespace MonarchLogs.Benchmarks.Workload;

/// <summary>A stretch of event times that a fill spreads its entries over, evenly.</summary>
public readonly record struct TimeSpread(DateTime StartUtc, DateTime EndUtc, int Entries);

/// <summary>
/// Fills a store fast with <see cref="LogStore.AppendAsync"/>: one task per service, each
/// writing its entries in time order (entry IDs are event times, so a partition must grow
/// forward) in big batches, two batches in flight per task.
/// </summary>
public static class StoreFiller
{
    public const int BatchSize = 2_000;

    /// <summary>
    /// Fills a store of <paramref name="version"/> with past entries as writers would have written
    /// them live. Format 2: filled as format 1, then upgraded, so that each block stands at its
    /// entries' time as a live writer's does. The append script stands a block at the time it is
    /// added: a fill of past days through it would put every block at the fill's time (in the late
    /// set, or, a batch's few entries of a partition, in the head), which no store written live looks like.
    /// </summary>
    public static async Task<long> FillPastAsync(BenchSettings settings, IConnectionMultiplexer connection, int version, LogWorkload workload, IReadOnlyList<TimeSpread> spreads)
    {
        var written = await FillAsync(settings.NewStore(connection, 1), workload, spreads).ConfigureAwait(false);
        if (version == 2) await new LogStore(connection).UpgradeAsync(progress: null, partitionError: null).ConfigureAwait(false);
        return written;
    }

    /// <summary>Writes the spreads oldest first; levels follow <see cref="LogWorkload.StoreLevel"/> (1% errors).</summary>
    public static async Task<long> FillAsync(LogStore store, LogWorkload workload, IReadOnlyList<TimeSpread> spreads, CancellationToken cancellationToken = default)
    {
        var services = LogWorkload.Shapes.Length;
        var tasks = new Task<long>[services];
        for (var s = 0; s < services; s++)
        {
            var shapeIndex = s;
            tasks[s] = Task.Run(() => FillServiceAsync(store, workload, shapeIndex, services, spreads, cancellationToken), cancellationToken);
        }

        var counts = await Task.WhenAll(tasks).ConfigureAwait(false);
        return counts.Sum();
    }

    private static async Task<long> FillServiceAsync(LogStore store, LogWorkload workload, int shapeIndex, int services, IReadOnlyList<TimeSpread> spreads, CancellationToken cancellationToken)
    {
        long written = 0;
        Task<int>? inFlight = null;
        foreach (var spread in spreads.OrderBy(s => s.StartUtc))
        {
            // This service's share of the spread; the first services take the remainder.
            var count = spread.Entries / services + (shapeIndex < spread.Entries % services ? 1 : 0);
            var ticks = (spread.EndUtc - spread.StartUtc).Ticks;
            var batch = new List<MonarchLogEntry>(BatchSize);
            for (var k = 0; k < count; k++)
            {
                var op = workload[k * services + shapeIndex];
                var timestamp = spread.StartUtc.AddTicks(count <= 1 ? 0 : ticks * k / count);
                batch.Add(LogWorkload.ToEntry(op, timestamp, LogWorkload.StoreLevel(k)));
                if (batch.Count == BatchSize || k == count - 1)
                {
                    var next = store.AppendAsync(batch, cancellationToken);
                    if (inFlight is not null) written += await inFlight.ConfigureAwait(false);
                    inFlight = next;
                    batch = new List<MonarchLogEntry>(BatchSize);
                }
            }
        }

        if (inFlight is not null) written += await inFlight.ConfigureAwait(false);
        return written;
    }
}
