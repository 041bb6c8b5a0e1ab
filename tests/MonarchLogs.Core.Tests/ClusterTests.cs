using System;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using MonarchLogs.Core.Query;
using MonarchLogs.Core.Format;
using MonarchLogs.Core.Storage;
using MonarchLogs.Testing;
using StackExchange.Redis;
using static MonarchLogs.Core.Tests.StoreExtensions;

namespace MonarchLogs.Core.Tests
{
    /// <summary>One real Valkey Cluster (three masters, one replica each) for the class.</summary>
    public sealed class ClusterFixture : IAsyncLifetime
    {
        public ValkeyCluster Cluster { get; private set; } = null!;

        public ConnectionMultiplexer Connection { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            Cluster = await ValkeyCluster.StartAsync();
            Connection = Cluster.Connect();
        }

        public Task DisposeAsync()
        {
            Connection.Dispose();
            Cluster.Dispose();
            return Task.CompletedTask;
        }

        public LogStore NewStore() => new LogStore(Connection, new StorageFormat("test:" + Guid.NewGuid().ToString("N")));
    }

    /// <summary>The store engine against a Valkey Cluster: partitions spread over the masters, every read and write routed by slot.</summary>
    public sealed class ClusterTests : IClassFixture<ClusterFixture>
    {
        private readonly ClusterFixture _cluster;

        public ClusterTests(ClusterFixture cluster) => _cluster = cluster;

        [Fact]
        public async Task A_version_2_store_reads_its_heads_streams_and_late_blocks_on_every_master_in_one_transaction_each()
        {
            var store = _cluster.NewStore();
            var db = _cluster.Connection.GetDatabase();
            var services = Enumerable.Range(0, 9).Select(i => "svc" + i).ToArray();
            foreach (var (service, s) in services.Select((service, s) => (service, s)))
            {
                var partition = store.Format.GetPartition(service, MonarchLogLevel.Error);
                var stream = BlockStoreSeeder.Encode(Enumerable.Range(0, 3).Select(i => Entry(service, MonarchLogLevel.Error, BaseTime.AddMilliseconds((i * 9 + s) * 10), "n" + (i * 9 + s))).ToList());
                await BlockStoreSeeder.AddAtAsync(db, store.Format, partition, stream, BlockStoreSeeder.OnTimeId(stream));
                await BlockStoreSeeder.AppendAsync(db, store.Format, new[] { Entry(service, MonarchLogLevel.Error, BaseTime.AddMilliseconds((27 + s) * 10), "n" + (27 + s)) });
                await BlockStoreSeeder.AppendAsync(db, store.Format, new[] { Entry(service, MonarchLogLevel.Error, BaseTime.AddMilliseconds((36 + s) * 10), "n" + (36 + s)) }, toHead: true);
            }

            var errors = new System.Collections.Generic.List<PartitionError>();
            var read = new System.Collections.Generic.List<string>();
            await foreach (var entry in store.QueryAsync(new LogQuery { OldestFirst = true }, errors.Add)) read.Add(entry.Message);
            Assert.Empty(errors);
            Assert.Equal(Enumerable.Range(0, 45).Select(i => "n" + i), read);
        }

        [Fact]
        public async Task The_upgrade_to_format_2_converts_the_partitions_of_every_master()
        {
            var store = _cluster.NewStore().AsVersion1();
            var services = Enumerable.Range(0, 12).Select(i => "svc" + i).ToArray();
            var entries = Enumerable.Range(0, 1200).Select(i => Entry(services[i % services.Length], (MonarchLogLevel)(i % 6), BaseTime.AddSeconds(i), "n" + i)).ToList();
            Assert.Equal(1200, await store.AppendAsync(entries));

            var result = await store.UpgradeAsync(progress: null, partitionError: null);

            Assert.Equal(1200, result.EntriesConverted);
            var raw = await UpgradeTestStore.ReadRawAsync(_cluster.Connection.GetDatabase(), store);
            Assert.Equal(0, raw.Format1Left);
            UpgradeTestStore.AssertSameEntries(entries.Select(e => new MonarchLogEntry
            {
                Service = e.Service, Level = e.Level, Timestamp = e.Timestamp, Message = e.Message, Category = e.Category, Host = raw.Entries[0].Host,
            }), raw.Entries);
        }

        [Fact]
        public async Task Format_2_blocks_heads_and_compactions_go_to_the_master_of_each_partition()
        {
            var store = _cluster.NewStore();
            await _cluster.Connection.GetDatabase().StringSetAsync(store.Format.FormatKey, StorageFormat.Version2);
            var services = Enumerable.Range(0, 12).Select(i => "svc" + i).ToArray();
            var now = DateTime.UtcNow;
            var entries = Enumerable.Range(0, 600).Select(i => Entry(services[i % services.Length], MonarchLogLevel.Error, now.AddMilliseconds(i), "n" + i)).ToList();
            entries.AddRange(Enumerable.Range(0, 300).Select(i => Entry("bulk", MonarchLogLevel.Error, now.AddMilliseconds(i), "bulk" + i)));
            Assert.Equal(900, await store.AppendAsync(entries));

            var db = _cluster.Connection.GetDatabase();
            var partitions = await store.GetPartitionsAsync();
            Assert.Equal(13, partitions.Count);
            // Spread over the masters (13 random slots miss one of 3 about 1.5% of the time: not "all 3").
            Assert.True(partitions.Select(p => Owner(p.StreamKey)).Distinct().Count() >= 2);
            foreach (var partition in partitions.Where(p => p.Service != "bulk")) Assert.Equal(1, await store.CompactHeadAsync(partition));
            var stored = 0L;
            foreach (var partition in partitions)
            {
                Assert.Equal(0, await db.StreamLengthAsync(partition.HeadKey));
                stored += BlockAppenderTests.Decode(partition, await BlockAppenderTests.ReadBlocksAsync(db, partition, partition.StreamKey)).Count;
            }

            Assert.Equal(900, stored);
        }

        [Fact]
        public async Task Partitions_spread_over_the_masters_and_read_back_merged_in_order()
        {
            var store = _cluster.NewStore();
            var services = Enumerable.Range(0, 12).Select(i => "svc" + i).ToArray();
            var entries = Enumerable.Range(0, 600).Select(i => Entry(services[i % services.Length], (MonarchLogLevel)(i % 6), BaseTime.AddMilliseconds(i * 10), "n" + i)).ToList();
            Assert.Equal(600, await store.AppendAsync(entries));

            var read = await store.ToListAsync(new LogQuery { OldestFirst = true });
            Assert.Equal(Enumerable.Range(0, 600).Select(i => "n" + i), read.Select(e => e.Message));
            Assert.Equal(services.OrderBy(s => s, StringComparer.OrdinalIgnoreCase), await store.GetServicesAsync());

            // The streams spread over the masters, not all on one node: each partition's keys have
            // a slot of their own. (12 slots drawn at random miss one of 3 masters about 2% of the
            // time, so "all 3" would be a coin; all 12 on one master, 1 in 177,000.)
            var partitions = await store.GetPartitionsAsync();
            var owners = partitions.Select(p => Owner(p.StreamKey)).Distinct().Count();
            Assert.True(owners >= 2, $"all {partitions.Count} partitions on one master");
        }

        // Format 1: retention by ID (format 2: the version 2 tests here and BlockRetentionTests).
        [Fact]
        public async Task Tail_retention_and_status_work_across_the_masters()
        {
            var store = _cluster.NewStore().AsVersion1();
            await store.AppendAsync(Enumerable.Range(0, 60).Select(i => Entry("old" + (i % 6), MonarchLogLevel.Warning, BaseTime.AddSeconds(i), "old " + i)).ToList());
            using var tail = await store.OpenTailAsync(new LogQuery());
            await store.AppendAsync(Enumerable.Range(0, 12).Select(i => Entry("new" + i, MonarchLogLevel.Error, DateTime.UtcNow, "new " + i)).ToList());
            var seen = new System.Collections.Generic.List<MonarchLogEntry>();
            var clock = System.Diagnostics.Stopwatch.StartNew();
            while (seen.Count < 12 && clock.Elapsed < TimeSpan.FromSeconds(20)) seen.AddRange(await tail.NextAsync(TimeSpan.FromMilliseconds(200), CancellationToken.None));
            Assert.Equal(Enumerable.Range(0, 12).Select(i => "new " + i).OrderBy(m => m), seen.Select(e => e.Message).OrderBy(m => m));

            var removed = 0L;
            foreach (var partition in await store.GetPartitionsAsync()) removed += (await store.RemoveExpiredAsync(partition, BaseTime.AddDays(1))).RemovedEntries;
            Assert.Equal(60, removed);
            Assert.Equal(12, (await store.ToListAsync(new LogQuery())).Count);

            var status = await store.GetStatusAsync(TimeSpan.FromDays(30));
            Assert.Equal(12, status.Partitions.Sum(p => p.Entries ?? 0));
        }

        [Fact]
        public async Task A_version_2_store_tails_counts_and_reports_status_across_the_masters()
        {
            var store = _cluster.NewStore();
            await TailBlockSeeder.MarkVersion2Async(store);
            var services = Enumerable.Range(0, 6).Select(i => "svc" + i).ToArray();
            foreach (var service in services) await TailBlockSeeder.AppendAsync(store, new[] { Entry(service, MonarchLogLevel.Error, BaseTime, "old") }, toHead: false, notify: false);
            using var tail = await store.OpenTailAsync(new LogQuery());
            var now = DateTime.UtcNow;
            for (var i = 0; i < services.Length; i++)
            {
                await TailBlockSeeder.AppendAsync(store, new[] { Entry(services[i], MonarchLogLevel.Error, now.AddMilliseconds(i), "new " + i) }, toHead: i % 2 == 0);
            }

            var seen = new System.Collections.Generic.List<MonarchLogEntry>();
            var clock = System.Diagnostics.Stopwatch.StartNew();
            while (seen.Count < services.Length && clock.Elapsed < TimeSpan.FromSeconds(20)) seen.AddRange(await tail.NextAsync(TimeSpan.FromMilliseconds(200), CancellationToken.None));
            Assert.Equal(Enumerable.Range(0, services.Length).Select(i => "new " + i), seen.Select(e => e.Message).OrderBy(m => m));

            var counts = await store.CountAsync(new LogQuery(), TimeSpan.FromDays(1));
            Assert.Equal(12, counts.Partitions.Sum(p => p.Total));
            var status = await store.GetStatusAsync(TimeSpan.FromDays(36500));
            Assert.Equal("2", status.FormatVersion);
            Assert.Equal(12, status.TotalEntries);
            Assert.Equal(BaseTime, status.Oldest);
        }

        private string Owner(string key)
        {
            var configuration = _cluster.Connection.GetServer(_cluster.Connection.GetEndPoints().First()).ClusterConfiguration!;
            return configuration.GetBySlot(key)!.EndPoint!.ToString()!;
        }
    }
}
