using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Diagnostics.Tracing;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MonarchLogs.Core;
using MonarchLogs.Core.Query;
using MonarchLogs.Testing;

namespace MonarchLogs.Logging.Tests
{
    /// <summary>
    /// How the provider reaches Valkey: TLS with a private CA, and the StackExchange.Redis write
    /// path (several endpoints), each against real servers.
    /// </summary>
    [Collection(ServerGroups.Name)]
    public sealed class TransportTests
    {
        [Theory]
        [InlineData(Topology.OneServer, "")]
        [InlineData(Topology.OneServer, ",sslHost=localhost")]
        [InlineData(Topology.MasterAndReplica, "")]
        [InlineData(Topology.MasterAndReplica, ",sslHost=localhost")]
        public async Task Over_TLS_with_a_private_CA_entries_are_stored(Topology path, string sslHost)
        {
            var server = await ValkeyServer.StartWithTlsAsync();
            await using var harness = await ProviderHarness.StartAsync(o => o.ConnectionString += sslHost, server: server, path: path);
            var logger = harness.Loggers.CreateLogger("Tls");
            for (var i = 0; i < 20; i++) logger.LogInformation("secure {Index}", i);

            var entries = await harness.WaitForAsync(20);
            Assert.Equal(Enumerable.Range(0, 20).Select(i => "secure " + i), entries.Select(e => e.Message));
            Assert.True(await harness.ProviderConnectionsAsync() > 0);
            Assert.Equal(0, harness.Provider.EntriesDropped);
        }

        [Theory]
        [InlineData(Topology.OneServer)]
        [InlineData(Topology.MasterAndReplica)]
        public async Task A_server_certificate_not_signed_by_the_trusted_CA_is_refused(Topology path)
        {
            var server = await ValkeyServer.StartWithTlsAsync();
            var otherAuthority = TestCertificateAuthority.Create(server.Directory, "other-ca");
            await using var harness = await ProviderHarness.StartAsync(
                o =>
                {
                    o.TrustedCertificateAuthorityPath = otherAuthority.CertificatePath;
                    o.RetryTimeLimit = TimeSpan.FromSeconds(1);
                },
                service: "untrusted-" + path, server: server, path: path);
            await AssertRefusedAsync(harness, $"is not signed by the trusted certificate authority '{otherAuthority.CertificatePath}'");
        }

        [Theory]
        [InlineData(Topology.OneServer)]
        [InlineData(Topology.MasterAndReplica)]
        public async Task A_certificate_for_another_host_is_refused_even_from_the_trusted_CA(Topology path)
        {
            var server = await ValkeyServer.StartWithTlsAsync();
            await using var harness = await ProviderHarness.StartAsync(
                o =>
                {
                    o.ConnectionString += ",sslHost=valkey.example";
                    o.RetryTimeLimit = TimeSpan.FromSeconds(1);
                },
                service: "wronghost-" + path, server: server, path: path);
            await AssertRefusedAsync(harness, "does not name the host 'valkey.example'");
        }

        /// <summary>
        /// Nothing is stored and every entry is counted, with the reason reported. A refused
        /// certificate may pass (a certificate being replaced), so the batch is retried until the
        /// retry time limit, then counted; each failed attempt says why (ValkeyCertificateRejected).
        /// </summary>
        private static async Task AssertRefusedAsync(ProviderHarness harness, string reason)
        {
            using var events = new WriterEvents(harness.Provider.Writer.Service);
            var logger = harness.Loggers.CreateLogger("Refused");
            for (var i = 0; i < 10; i++) logger.LogInformation("refused {Index}", i);

            var dropReason = Writing.DropReason.RetryTimeLimit;
            var clock = Stopwatch.StartNew();
            while (harness.Dropped(dropReason) < 10 && clock.Elapsed < TimeSpan.FromSeconds(30)) await Task.Delay(50);

            Assert.Equal(10, harness.Dropped(dropReason));
            Assert.Equal(10, harness.Provider.EntriesDropped);
            Assert.Equal(0, harness.Provider.EntriesBuffered);
            Assert.Equal(0, harness.Provider.EntriesWritten);
            Assert.Empty(await harness.ReadAllAsync());
            var failed = $"ValkeyCertificateRejected: Valkey at {harness.Server.Endpoint}";
            Assert.Contains(events.All, e => e.Name == "WriteFailed" && e.Text.StartsWith("10 | ", StringComparison.Ordinal) && e.Text.Contains(failed, StringComparison.Ordinal) && e.Text.Contains(reason, StringComparison.Ordinal));
            Assert.Contains(events.All, e => e.Name == "EntriesNotStored" && e.Text.StartsWith("10 | RetryTimeLimit", StringComparison.Ordinal) && e.Text.Contains(reason, StringComparison.Ordinal));
        }

        [Fact]
        public void A_trusted_CA_file_that_does_not_exist_stops_the_host_at_start_up()
        {
            var missing = Path.Combine(Path.GetTempPath(), "monarchlogs-" + Guid.NewGuid().ToString("N"), "ca.pem");
            using var services = new ServiceCollection()
                .AddLogging(builder => builder.AddMonarchValkey(o => o.TrustedCertificateAuthorityPath = missing))
                .BuildServiceProvider();
            var error = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<ILoggerFactory>());
            Assert.Contains($"Logging:MonarchValkey:TrustedCertificateAuthorityPath: The trusted certificate authority file '{missing}' does not exist. [InvalidTrustedCertificateAuthority]", error.Message);
        }

        [Fact]
        public async Task Through_StackExchange_Redis_entries_are_stored_on_the_master_in_order()
        {
            await using var harness = await ProviderHarness.StartAsync(o => o.MaxBatchSize = 50, path: Topology.MasterAndReplica);
            var logger = harness.Loggers.CreateLogger("Replicated");
            for (var i = 0; i < 500; i++)
            {
                if (i % 5 == 0) logger.LogWarning("entry {Index}", i);
                else logger.LogInformation("entry {Index}", i);
            }

            // Entries of one millisecond in two partitions have no order between them; within a partition they keep the order logged.
            var entries = await harness.WaitForAsync(500);
            Assert.Equal(500, entries.Count);
            Assert.Equal(Enumerable.Range(0, 500).Where(i => i % 5 == 0).Select(i => "entry " + i), entries.Where(e => e.Level == MonarchLogLevel.Warning).Select(e => e.Message));
            Assert.Equal(Enumerable.Range(0, 500).Where(i => i % 5 != 0).Select(i => "entry " + i), entries.Where(e => e.Level == MonarchLogLevel.Information).Select(e => e.Message));
            Assert.True(await harness.ProviderConnectionsAsync() > 0);
            Assert.Equal(500, harness.Provider.EntriesWritten);
            Assert.Equal(0, harness.Provider.EntriesDropped);
        }

        [Fact]
        public async Task Through_StackExchange_Redis_an_outage_of_the_master_loses_nothing_within_the_buffer()
        {
            await using var harness = await ProviderHarness.StartAsync(path: Topology.MasterAndReplica);
            var logger = harness.Loggers.CreateLogger("Outage");
            logger.LogInformation("before");
            await harness.WaitForAsync(1);
            await harness.WaitUntilWriterIdleAsync();

            await harness.Server.StopAsync(save: true);
            for (var i = 0; i < 30; i++)
            {
                logger.LogInformation("during {Index}", i);
                await Task.Delay(50);
            }

            // Nothing can be written while the master is away, and nothing is given up.
            Assert.Equal(30, harness.Provider.EntriesBuffered);
            await harness.Server.StartAgainAsync();

            // StackExchange.Redis reconnects with a backoff of its own: a generous wait, not a speed check.
            var entries = await harness.WaitForAsync(31, TimeSpan.FromSeconds(60));
            await harness.WaitUntilWriterIdleAsync();
            Assert.Equal(31, harness.Provider.EntriesWritten);
            Assert.Equal(new[] { "before" }.Concat(Enumerable.Range(0, 30).Select(i => "during " + i)), entries.Select(e => e.Message));
            Assert.True(await harness.ProviderConnectionsAsync() > 0);
            Assert.Equal(0, harness.Provider.EntriesDropped);
        }
    
        /// <summary>The writer's EventSource events of one service.</summary>
        internal sealed class WriterEvents : EventListener
        {
            private readonly string _service;
            private readonly ConcurrentQueue<(string Name, string Text)> _events = new ConcurrentQueue<(string, string)>();

            public WriterEvents(string service) => _service = service;

            public IReadOnlyCollection<(string Name, string Text)> All => _events.ToArray();

            protected override void OnEventSourceCreated(EventSource source)
            {
                if (source.Name == "MonarchLogs-Logging") EnableEvents(source, EventLevel.Verbose);
            }

            protected override void OnEventWritten(EventWrittenEventArgs e)
            {
                if (e.EventSource.Name != "MonarchLogs-Logging" || e.Payload is not { Count: > 0 } payload || _service is null || !Equals(payload[0], _service)) return;
                _events.Enqueue((e.EventName ?? string.Empty, string.Join(" | ", payload.Skip(1))));
            }
        }
    }
}
