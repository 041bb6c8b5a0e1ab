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
/// The stores are of the run's format version; with <c>bothVersions</c> (figure 4) the same
/// two stores of the other version are filled too, with the same entries.
/// </summary>
public sealed class QueryStores : IAsyncDisposable
{
    private readonly List<Store> _stores;

    private QueryStores(List<Store> stores, int version)
    {
        _stores = stores;
        Small = Of(version, "small")!;
        Big = Of(version, "big")!;
    }

    /// <summary>The small store of the run's format version.</summary>
    public Store Small { get; }

    /// <summary>The big store of the run's format version.</summary>
    public Store Big { get; }

    /// <summary>The store of that version and size (small or big), if it was filled.</summary>
    public Store? Of(int version, string size) => _stores.FirstOrDefault(s => s.Version == version && s.Size == size);

    public static async Task<QueryStores> CreateAsync(BenchSettings settings, bool bothVersions)
    {
        var workload = new LogWorkload();
        var now = DateTime.UtcNow;
        var versions = bothVersions ? new[] { settings.FormatVersion, 3 - settings.FormatVersion } : new[] { settings.FormatVersion };
        var stores = new List<Store>();
        try
        {
            foreach (var version in versions)
            {
                stores.Add(await Store.FillAsync(settings, "small", version, workload, now, settings.QueryEntriesPerDay, days: 1));
                stores.Add(await Store.FillAsync(settings, "big", version, workload, now, settings.QueryEntriesPerDay, settings.QueryBigStoreDays));
            }

            return new QueryStores(stores, settings.FormatVersion);
        }
        catch
        {
            foreach (var store in stores) await store.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var store in _stores) await store.DisposeAsync();
    }

    public static TimeSpread Day(DateTime nowUtc, int daysAgo, int entries) =>
        new(nowUtc - TimeSpan.FromDays(daysAgo + 1) + TimeSpan.FromHours(1), nowUtc - TimeSpan.FromDays(daysAgo) - TimeSpan.FromMinutes(1), entries);

    public sealed class Store : IAsyncDisposable
    {
        private Store(string size, int version, ValkeyServer server, ConnectionMultiplexer connection, long entries, double fillSeconds, DateTime filledUtc)
        {
            Size = size;
            Version = version;
            Server = server;
            Connection = connection;
            Entries = entries;
            FillSeconds = fillSeconds;
            FilledUtc = filledUtc;
        }

        /// <summary>small or big.</summary>
        public string Size { get; }

        /// <summary>The store's storage format version.</summary>
        public int Version { get; }

        public ValkeyServer Server { get; }

        /// <summary>Shared by the figures that read this store, as a host shares one multiplexer.</summary>
        public ConnectionMultiplexer Connection { get; }

        public long Entries { get; }

        public double FillSeconds { get; }

        public DateTime FilledUtc { get; }

        public static async Task<Store> FillAsync(BenchSettings settings, string size, int version, LogWorkload workload, DateTime nowUtc, int entriesPerDay, int days)
        {
            var server = await ValkeyServer.StartAsync();
            try
            {
                var connection = await ConnectionMultiplexer.ConnectAsync(server.ConnectionString + ",allowAdmin=true,syncTimeout=30000,asyncTimeout=30000");
                var spreads = Enumerable.Range(0, days).Select(d => Day(nowUtc, d, entriesPerDay)).ToList();
                var name = $"{size} format {version}";
                Console.WriteLine($"  filling the {name} store: {days} day(s) of {entriesPerDay:N0} entries ...");
                var started = Stopwatch.GetTimestamp();
                var written = await StoreFiller.FillPastAsync(settings, connection, version, workload, spreads);
                var seconds = Measure.ElapsedMs(started) / 1000;
                Console.WriteLine($"  filled the {name} store: {written:N0} entries in {seconds:0.0} s ({written / seconds:N0} /s)");
                return new Store(size, version, server, connection, written, seconds, DateTime.UtcNow);
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
