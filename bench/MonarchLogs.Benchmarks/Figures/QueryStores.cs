using System.Diagnostics;
using MonarchLogs.Benchmarks.Infrastructure;
using MonarchLogs.Benchmarks.Workload;
using MonarchLogs.Core.Format;
using MonarchLogs.Core.Storage;
using MonarchLogs.Testing;
using StackExchange.Redis;

namespace MonarchLogs.Benchmarks.Figures;

/// <summary>
/// The two stores that figures 4 and 7 read, each in its own throwaway server. The small store
/// holds one day of entries; the big one holds that same day and older days, so that
/// "-Since 1 day" finds the same entries in both and only the store's size differs.
/// Day d (0 = the last day) spreads its entries evenly over [now - (d+1)·24 h + 1 h, now - d·24 h - 1 min].
/// </summary>
public sealed class QueryStores : IAsyncDisposable
{
    private QueryStores(Store small, Store big)
    {
        Small = small;
        Big = big;
    }

    public Store Small { get; }

    public Store Big { get; }

    public static async Task<QueryStores> CreateAsync(BenchSettings settings)
    {
        var workload = new LogWorkload();
        var now = DateTime.UtcNow;
        var small = await Store.FillAsync("small", workload, now, settings.QueryEntriesPerDay, days: 1);
        try
        {
            var big = await Store.FillAsync("big", workload, now, settings.QueryEntriesPerDay, settings.QueryBigStoreDays);
            return new QueryStores(small, big);
        }
        catch
        {
            await small.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Small.DisposeAsync();
        await Big.DisposeAsync();
    }

    public static TimeSpread Day(DateTime nowUtc, int daysAgo, int entries) =>
        new(nowUtc - TimeSpan.FromDays(daysAgo + 1) + TimeSpan.FromHours(1), nowUtc - TimeSpan.FromDays(daysAgo) - TimeSpan.FromMinutes(1), entries);

    public sealed class Store : IAsyncDisposable
    {
        private Store(string name, ValkeyServer server, ConnectionMultiplexer connection, long entries, double fillSeconds, DateTime filledUtc)
        {
            Name = name;
            Server = server;
            Connection = connection;
            Entries = entries;
            FillSeconds = fillSeconds;
            FilledUtc = filledUtc;
        }

        public string Name { get; }

        public ValkeyServer Server { get; }

        /// <summary>Shared by the figures that read this store, as a host shares one multiplexer.</summary>
        public ConnectionMultiplexer Connection { get; }

        public long Entries { get; }

        public double FillSeconds { get; }

        public DateTime FilledUtc { get; }

        public static async Task<Store> FillAsync(string name, LogWorkload workload, DateTime nowUtc, int entriesPerDay, int days)
        {
            var server = await ValkeyServer.StartAsync();
            try
            {
                var connection = await ConnectionMultiplexer.ConnectAsync(server.ConnectionString + ",allowAdmin=true,syncTimeout=30000,asyncTimeout=30000");
                var spreads = Enumerable.Range(0, days).Select(d => Day(nowUtc, d, entriesPerDay)).ToList();
                Console.WriteLine($"  filling the {name} store: {days} day(s) of {entriesPerDay:N0} entries ...");
                var started = Stopwatch.GetTimestamp();
                var written = await StoreFiller.FillAsync(new LogStore(connection), workload, spreads);
                var seconds = Measure.ElapsedMs(started) / 1000;
                Console.WriteLine($"  filled the {name} store: {written:N0} entries in {seconds:0.0} s ({written / seconds:N0} /s)");
                return new Store(name, server, connection, written, seconds, DateTime.UtcNow);
            }
            catch
            {
                server.Dispose();
                throw;
            }
        }

        public async ValueTask DisposeAsync()
        {
            await Connection.DisposeAsync();
            Server.Dispose();
        }
    }
}
