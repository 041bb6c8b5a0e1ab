using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Logging;
using MonarchLogs.Core;
using MonarchLogs.Core.Query;
using MonarchLogs.Core.Format;
using MonarchLogs.Core.Storage;
using MonarchLogs.Testing;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace MonarchLogs.Logging.Tests
{
    /// <summary>
    /// The provider against a Valkey Cluster and a Sentinel group on loopback, with slots moving
    /// and masters failing over during steady logging: produced, acknowledged, stored, duplicated
    /// and reported are counted, and nothing acknowledged may be lost.
    /// </summary>
    [Collection(ServerGroups.Name)]
    public sealed class HighAvailabilityTests
    {
        private readonly ITestOutputHelper _output;

        public HighAvailabilityTests(ITestOutputHelper output) => _output = output;

        [Fact]
        public async Task A_cluster_is_filled_through_the_provider_with_partitions_on_every_master()
        {
            await using var cluster = await ValkeyCluster.StartAsync();
            var prefix = "ha:" + Guid.NewGuid().ToString("N");
            using (var provider = NewProvider(cluster.ConnectionString, prefix))
            using (var factory = LoggerFactory.Create(builder => builder.SetMinimumLevel(LogLevel.Trace).AddProvider(provider)))
            {
                // Through a factory: it gives the provider the scopes that route entries.
                var logger = factory.CreateLogger("Fill");
                for (var i = 0; i < 1200; i++)
                {
                    using (logger.BeginScope(new Dictionary<string, object?> { ["Service"] = "svc" + (i % 20) }))
                    {
                        logger.Log((LogLevel)(i / 20 % 6), "entry {Index}", i);
                    }
                }
            }

            using var reader = cluster.Connect();
            var store = new LogStore(reader, new StorageFormat(prefix));
            var read = new List<MonarchLogEntry>();
            await foreach (var entry in store.QueryAsync(new LogQuery { OldestFirst = true })) read.Add(entry);
            Assert.Equal(1200, read.Count);
            Assert.Equal(Enumerable.Range(0, 1200).Select(i => "entry " + i).OrderBy(m => m), read.Select(e => e.Message).OrderBy(m => m));
            // Every master holds some of the partitions' streams or heads (a head key names its stream).
            foreach (var master in await cluster.MastersAsync())
            {
                var keys = await ValkeyCli.RunAsync(new[] { "-p", master.Port.ToString(), "--scan", "--pattern", prefix + ":*" });
                Assert.Contains(keys.Split('\n', StringSplitOptions.RemoveEmptyEntries), key => key.Contains(prefix + ":stream:", StringComparison.Ordinal));
            }
        }

        [Fact]
        public async Task Slots_moving_during_steady_logging_lose_no_acknowledged_entry()
        {
            await using var cluster = await ValkeyCluster.StartAsync();
            var counts = await SteadyLoggingAsync(cluster.ConnectionString, cluster.Connect, async () =>
            {
                var masters = await cluster.MastersAsync();
                await cluster.ReshardAsync(masters[0].Id, masters[1].Id, 2000);
            });
            Assert.Equal(0, counts.Lost);
            Assert.Equal(0, counts.Dropped);
        }

        [Fact]
        public async Task A_cluster_master_failing_over_during_steady_logging_loses_no_acknowledged_entry()
        {
            await using var cluster = await ValkeyCluster.StartAsync();
            var counts = await SteadyLoggingAsync(cluster.ConnectionString, cluster.Connect, async () =>
            {
                var masters = await cluster.MastersAsync();
                foreach (var master in masters) await cluster.FailoverAsync(master.Port);
            });
            Assert.Equal(0, counts.Lost);
            Assert.Equal(0, counts.Dropped);
        }

        [Theory]
        [InlineData(0)]
        [InlineData(1)]
        public async Task A_sentinel_failover_during_steady_logging_is_followed_at_once(int replicaAcknowledgements)
        {
            await using var group = await SentinelGroup.StartAsync();
            var counts = await SteadyLoggingAsync(group.ConnectionString, () => group.ConnectToMasterAsync().GetAwaiter().GetResult(), async () => await group.FailoverAsync(),
                o => o.ReplicaAcknowledgements = replicaAcknowledgements);

            // Acknowledged by the replica, nothing is lost; acknowledged by the master alone, at
            // most what asynchronous replication loses in the moments of the switch.
            if (replicaAcknowledgements > 0) Assert.Equal(0, counts.Lost);
            else Assert.True(counts.Lost <= 50, $"lost {counts.Lost}");
            Assert.Equal(0, counts.Dropped);
        }

        private sealed record Counts(long Produced, long Acknowledged, long Dropped, long Stored, long Duplicates, long Lost);

        /// <summary>Logs about 1,000 entries a second for a few seconds, runs the disruption in the middle, then counts.</summary>
        private async Task<Counts> SteadyLoggingAsync(string connectionString, Func<ConnectionMultiplexer> reader, Func<Task> disruption, Action<MonarchValkeyLoggerOptions>? configure = null)
        {
            var prefix = "ha:" + Guid.NewGuid().ToString("N");
            long produced = 0, acknowledged, dropped;
            using (var provider = NewProvider(connectionString, prefix, configure))
            {
                var logger = provider.CreateLogger("Steady");
                using var stop = new CancellationTokenSource();
                var producing = Task.Run(async () =>
                {
                    var clock = Stopwatch.StartNew();
                    while (!stop.IsCancellationRequested)
                    {
                        // About one entry a millisecond, in bursts of ten.
                        for (var i = 0; i < 10; i++)
                        {
                            var n = Interlocked.Increment(ref produced);
                            logger.Log(n % 5 == 0 ? LogLevel.Warning : LogLevel.Information, "steady {Index}", n);
                        }

                        await Task.Delay(10);
                    }
                });

                await Task.Delay(1500);
                await disruption();
                await Task.Delay(1500);
                stop.Cancel();
                await producing;
                var clock = Stopwatch.StartNew();
                while (provider.EntriesBuffered > 0 && clock.Elapsed < TimeSpan.FromSeconds(30)) await Task.Delay(50);
                acknowledged = provider.EntriesWritten;
                dropped = provider.EntriesDropped;
            }

            using var connection = reader();
            var store = new LogStore(connection, new StorageFormat(prefix));
            var messages = new List<string>();
            await foreach (var entry in store.QueryAsync(new LogQuery { Categories = new[] { "Steady" } })) messages.Add(entry.Message);
            var unique = messages.Distinct().Count();
            var duplicates = messages.Count - unique;

            // Notices are acknowledged too, but are not "Steady" entries.
            var notices = 0L;
            await foreach (var _ in store.QueryAsync(new LogQuery { Categories = new[] { "MonarchLogs.Logging" } })) notices++;
            var lost = Math.Max(0, acknowledged - notices - unique);
            var counts = new Counts(produced, acknowledged, dropped, messages.Count, duplicates, lost);
            _output.WriteLine(counts.ToString());
            Assert.Equal(produced, acknowledged - notices + dropped);
            return counts;
        }

        private static MonarchValkeyLoggerProvider NewProvider(string connectionString, string prefix, Action<MonarchValkeyLoggerOptions>? configure = null)
        {
            var options = new MonarchValkeyLoggerOptions
            {
                ConnectionString = connectionString,
                Prefix = prefix,
                Service = "ha",
                ServicePropertyName = "Service",
                MinRetryDelay = TimeSpan.FromMilliseconds(50),
                MaxRetryDelay = TimeSpan.FromMilliseconds(500),
                FlushTimeout = TimeSpan.FromSeconds(30),
            };
            configure?.Invoke(options);
            return new MonarchValkeyLoggerProvider(options);
        }
    }
}
