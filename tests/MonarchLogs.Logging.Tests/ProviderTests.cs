using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Threading.Tasks;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MonarchLogs.Core;
using MonarchLogs.Core.Query;
using MonarchLogs.Core.Format;
using MonarchLogs.Core.Storage;

namespace MonarchLogs.Logging.Tests
{
    public sealed class ProviderTests
    {
        [Fact]
        public async Task Every_captured_field_is_stored()
        {
            await using var harness = await ProviderHarness.StartAsync();
            var logger = harness.Loggers.CreateLogger("Monarch.Orders.OrderProcessor");
            using var activity = new Activity("test").SetIdFormat(ActivityIdFormat.W3C).Start();
            InvalidOperationException thrown;
            try
            {
                throw new InvalidOperationException("no address", new TimeoutException("inner"));
            }
            catch (InvalidOperationException ex)
            {
                thrown = ex;
            }

            var before = DateTime.UtcNow;
            using (logger.BeginScope(new Dictionary<string, object?> { ["TenantId"] = 7, ["OrderId"] = "overridden by state" }))
            using (logger.BeginScope("Batch {BatchNo}", 12))
            using (logger.BeginScope("plain text scope"))
            {
                logger.LogError(new EventId(1005, "OrderFailed"), thrown, "Order {OrderId} failed for {Customer} at {Amount}", 42, "acme", 9.5m);
            }

            var after = DateTime.UtcNow;
            var entry = Assert.Single(await harness.WaitForAsync(1));
            Assert.InRange(entry.Timestamp, before, after);
            Assert.Equal(MonarchLogLevel.Error, entry.Level);
            Assert.Equal("tests", entry.Service);
            Assert.Equal("Monarch.Orders.OrderProcessor", entry.Category);
            Assert.Equal("Order 42 failed for acme at 9.5", entry.Message);
            Assert.Equal("Order {OrderId} failed for {Customer} at {Amount}", entry.Template);
            Assert.Equal(1005, entry.EventId);
            Assert.Equal("OrderFailed", entry.EventName);
            Assert.Equal("System.InvalidOperationException", entry.ExceptionType);
            Assert.Equal("no address", entry.ExceptionMessage);
            Assert.Contains("System.TimeoutException: inner", entry.Exception);
            Assert.Contains(nameof(Every_captured_field_is_stored), entry.Exception);
            Assert.Equal(activity.TraceId.ToHexString(), entry.TraceId);
            Assert.Equal(activity.SpanId.ToHexString(), entry.SpanId);
            Assert.Equal(Environment.MachineName, entry.Host);

            using var props = JsonDocument.Parse(entry.Properties);
            var root = props.RootElement;
            Assert.Equal(7, root.GetProperty("TenantId").GetInt32());
            Assert.Equal(42, root.GetProperty("OrderId").GetInt32());
            Assert.Equal("acme", root.GetProperty("Customer").GetString());
            Assert.Equal(9.5m, root.GetProperty("Amount").GetDecimal());
            Assert.Equal(12, root.GetProperty("BatchNo").GetInt32());
            Assert.Equal(new[] { "Batch 12", "plain text scope" }, root.GetProperty("Scope").EnumerateArray().Select(e => e.GetString()));
            Assert.False(root.TryGetProperty("{OriginalFormat}", out _));
        }

        [Fact]
        public async Task A_template_argument_never_routes_an_entry_and_a_scope_property_routes_only_when_asked()
        {
            await using (var harness = await ProviderHarness.StartAsync())
            {
                var logger = harness.Loggers.CreateLogger("Cat");
                using (logger.BeginScope(new Dictionary<string, object?> { ["Service"] = "billing" }))
                {
                    logger.LogWarning("Lookup for {Service} failed", "not-a-service");
                }

                var entry = Assert.Single(await harness.WaitForAsync(1));
                Assert.Equal(("tests", "Lookup for not-a-service failed"), (entry.Service, entry.Message));
            }

            await using (var harness = await ProviderHarness.StartAsync(o => o.ServicePropertyName = "Service"))
            {
                var logger = harness.Loggers.CreateLogger("Cat");
                using (logger.BeginScope(new Dictionary<string, object?> { ["Service"] = "billing" }))
                {
                    logger.LogInformation("in billing");
                }

                logger.LogWarning("Lookup for {Service} failed", "not-a-service");
                var entries = await harness.WaitForAsync(2);
                Assert.Equal(new[] { ("billing", "in billing"), ("tests", "Lookup for not-a-service failed") }, entries.Select(e => (e.Service, e.Message)).OrderBy(e => e.Item2));
            }
        }

        [Fact]
        public async Task Past_the_service_limit_entries_stay_with_the_host_service_counted_and_reported()
        {
            await using var harness = await ProviderHarness.StartAsync(o =>
            {
                o.ServicePropertyName = "Service";
                o.MaxServices = 3;
            });
            var logger = harness.Loggers.CreateLogger("Cat");
            for (var i = 0; i < 10; i++)
            {
                using (logger.BeginScope(new Dictionary<string, object?> { ["Service"] = "svc" + i }))
                {
                    logger.LogInformation("entry {Index}", i);
                }
            }

            // The entries may reach the writer in more than one batch, and each batch that
            // re-routes entries may report them in a notice of its own: the notices add up to 8.
            // A notice held back by the one-notice-a-second limit follows within a few seconds.
            var entries = await harness.WaitForAsync(11);
            var clock = Stopwatch.StartNew();
            while (Reported(entries) < 8 && clock.Elapsed < TimeSpan.FromSeconds(10))
            {
                await Task.Delay(100);
                entries = await harness.ReadAllAsync();
            }

            var services = await harness.Store().GetServicesAsync();
            Assert.Equal(new[] { "svc0", "svc1", "tests" }, services);
            var rerouted = entries.Where(e => e.Category == "Cat" && e.Service == "tests").ToList();
            Assert.Equal(8, rerouted.Count);
            Assert.All(rerouted, e => Assert.StartsWith("svc", JsonDocument.Parse(e.Properties).RootElement.GetProperty("RequestedService").GetString()));
            Assert.Equal(8, Reported(entries));
            Assert.Equal(0, harness.Provider.EntriesDropped);
        }

        /// <summary>The entries that the writer's notices say were asked for a service past the limit, summed.</summary>
        private static int Reported(IEnumerable<MonarchLogEntry> entries) => entries
            .Where(e => e.Category == "MonarchLogs.Logging")
            .Select(e => Regex.Match(e.Message, @"(\d+) entries asked for a service past the limit"))
            .Where(m => m.Success)
            .Sum(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture));

        [Fact]
        public async Task Many_entries_arrive_complete_and_in_order()
        {
            await using var harness = await ProviderHarness.StartAsync(o => o.MaxBatchSize = 100);
            var logger = harness.Loggers.CreateLogger("Bulk");
            for (var i = 0; i < 5000; i++) logger.LogInformation("entry {Index}", i);

            var entries = await harness.WaitForAsync(5000);
            Assert.Equal(Enumerable.Range(0, 5000).Select(i => "entry " + i), entries.Select(e => e.Message));
            Assert.Equal(5000, harness.Provider.EntriesWritten);
            Assert.Equal(0, harness.Provider.EntriesDropped);
        }

        [Fact]
        public async Task Dispose_flushes_what_is_queued()
        {
            // A generous limit: this is about draining on dispose, not about speed on a busy machine.
            var harness = await ProviderHarness.StartAsync(o => o.FlushTimeout = TimeSpan.FromSeconds(60));
            var store = harness.Store();
            var logger = harness.Loggers.CreateLogger("Flush");
            for (var i = 0; i < 20_000; i++) logger.LogWarning("queued {Index}", i);
            await harness.Services.DisposeAsync();

            var count = 0;
            await foreach (var _ in store.QueryAsync(new LogQuery())) count++;
            Assert.Equal(20_000, count);
            harness.Server.Dispose();
        }

        [Fact]
        public async Task An_outage_loses_nothing_within_the_buffer_and_entries_keep_their_event_time()
        {
            await using var harness = await ProviderHarness.StartAsync();
            var logger = harness.Loggers.CreateLogger("Outage");
            logger.LogInformation("before");
            await harness.WaitForAsync(1);

            await harness.Server.StopAsync(save: true);
            var outageStart = DateTime.UtcNow;
            var logging = Stopwatch.StartNew();
            for (var i = 0; i < 30; i++)
            {
                logger.LogInformation("during {Index}", i);
                await Task.Delay(100);
            }

            var outageEnd = DateTime.UtcNow;
            // Log() never waited on the network: 30 calls with 100 ms pauses take about 3 s.
            Assert.True(logging.Elapsed < TimeSpan.FromSeconds(8), $"logging took {logging.Elapsed}");
            await harness.Server.StartAgainAsync();

            var entries = await harness.WaitForAsync(31);
            Assert.Equal(new[] { "before" }.Concat(Enumerable.Range(0, 30).Select(i => "during " + i)), entries.Select(e => e.Message));
            var during = await harness.ReadAllAsync(new LogQuery { Since = outageStart, Until = outageEnd, OldestFirst = true });
            Assert.Equal(30, during.Count);
            Assert.All(during, e => Assert.InRange(e.Timestamp, outageStart, outageEnd));
            Assert.Equal(0, harness.Provider.EntriesDropped);
        }

        [Fact]
        public async Task Entries_past_the_buffer_are_dropped_counted_exactly_and_reported()
        {
            await using var harness = await ProviderHarness.StartAsync(o => o.BufferCapacity = 100);
            var logger = harness.Loggers.CreateLogger("Drops");
            logger.LogInformation("before");
            await harness.WaitForAsync(1);
            await harness.WaitUntilWriterIdleAsync();
            await harness.Server.StopAsync(save: true);

            for (var i = 0; i < 175; i++) logger.LogInformation("during {Index}", i);
            Assert.Equal(75, harness.Provider.EntriesDropped);
            await harness.Server.StartAgainAsync();

            var entries = await harness.WaitForAsync(1 + 100 + 1);
            Assert.Equal(102, entries.Count);
            // The oldest entries are kept: the start of the incident.
            Assert.Equal(Enumerable.Range(0, 100).Select(i => "during " + i), entries.Where(e => e.Category == "Drops").Skip(1).Select(e => e.Message));
            var notice = Assert.Single(entries, e => e.Category == "MonarchLogs.Logging");
            Assert.Equal(MonarchLogLevel.Warning, notice.Level);
            Assert.Equal("75 log entries were dropped because the buffer of 100 entries was full", notice.Message);
            using var props = JsonDocument.Parse(notice.Properties);
            Assert.Equal(75, props.RootElement.GetProperty("DroppedEntries").GetInt64());
        }

        [Theory]
        [InlineData(Topology.OneServer)]
        [InlineData(Topology.MasterAndReplica)]
        public async Task A_partition_that_cannot_be_written_costs_its_own_entries_only_counted_with_the_reason(Topology path)
        {
            await using var harness = await ProviderHarness.StartAsync(path: path);
            using var connection = harness.Server.Connect();
            var db = connection.GetDatabase();
            var blocked = await ProviderHarness.BlockPartitionAsync(db, harness.Prefix, "tests", MonarchLogLevel.Error);
            var logger = harness.Loggers.CreateLogger("Partial");
            for (var i = 0; i < 40; i++)
            {
                if (i % 4 == 0) logger.LogError("n{Index}", i);
                else logger.LogInformation("n{Index}", i);
            }

            // The 30 informations go in; the 10 errors are counted as refused by their partition,
            // and nothing waits in the buffer for a key that will not change by itself.
            await harness.WaitForAsync(31);
            await harness.WaitUntilWriterIdleAsync();
            var informations = new LogQuery { Levels = new[] { MonarchLogLevel.Information } };
            Assert.Equal(30, (await harness.ReadAllAsync(informations)).Count);
            Assert.Equal(0, harness.Provider.EntriesBuffered);
            Assert.Equal(10, harness.Dropped(Writing.DropReason.PartitionRefused));
            Assert.Equal(10, harness.Provider.EntriesDropped);
            var notice = Assert.Single(await harness.ReadAllAsync(new LogQuery { Categories = new[] { "MonarchLogs.Logging" } }));
            Assert.Contains("10 log entries were not stored: 10 refused by their partition", notice.Message);
            Assert.Contains(blocked + ": PartitionWrongType", notice.Message);
            Assert.Equal(10, JsonDocument.Parse(notice.Properties).RootElement.GetProperty("PartitionRefused").GetInt64());
            Assert.True(await harness.ProviderConnectionsAsync() > 0);

            // Repaired, the partition takes entries again after its backoff.
            await ProviderHarness.BlockPartitionAsync(db, harness.Prefix, "tests", MonarchLogLevel.Error, repair: true);
            var clock = Stopwatch.StartNew();
            while ((await harness.ReadAllAsync(new LogQuery { Levels = new[] { MonarchLogLevel.Error } })).Count == 0 && clock.Elapsed < TimeSpan.FromSeconds(15))
            {
                logger.LogError("after the repair");
                await Task.Delay(100);
            }

            Assert.NotEmpty(await harness.ReadAllAsync(new LogQuery { Levels = new[] { MonarchLogLevel.Error } }));
        }

        [Fact]
        public async Task A_failure_that_may_pass_is_retried_and_stores_each_entry_once()
        {
            await using var harness = await ProviderHarness.StartAsync();
            using var connection = harness.Server.Connect();
            var admin = connection.GetDatabase();
            var logger = harness.Loggers.CreateLogger("Memory");
            logger.LogInformation("before");
            await harness.WaitForAsync(1);
            await harness.WaitUntilWriterIdleAsync();

            // Out of memory: every write is refused with OOM, which passes once memory is freed.
            await admin.ExecuteAsync("CONFIG", "SET", "maxmemory", "1");
            for (var i = 0; i < 50; i++)
            {
                if (i % 2 == 0) logger.LogError("n{Index}", i);
                else logger.LogInformation("n{Index}", i);
            }

            await Task.Delay(700);
            Assert.Equal(50, harness.Provider.EntriesBuffered);
            await admin.ExecuteAsync("CONFIG", "SET", "maxmemory", "0");

            var entries = await harness.WaitForAsync(51);
            await harness.WaitUntilWriterIdleAsync();
            // Each partition in the order logged; across partitions, entries of one millisecond
            // read in stream-key order (docs/storage-format.md).
            var all = await harness.ReadAllAsync();
            Assert.Equal(new[] { "before" }.Concat(Enumerable.Range(0, 50).Select(i => "n" + i)).OrderBy(m => m), all.Select(e => e.Message).OrderBy(m => m));
            Assert.Equal(Enumerable.Range(0, 25).Select(i => "n" + (2 * i)), all.Where(e => e.Level == MonarchLogLevel.Error).Select(e => e.Message));
            Assert.Equal(Enumerable.Range(0, 25).Select(i => "n" + (2 * i + 1)), all.Where(e => e.Level == MonarchLogLevel.Information && e.Message != "before").Select(e => e.Message));
            Assert.Equal(0, harness.Provider.EntriesDropped);
        }

        [Fact]
        public async Task A_throwing_formatter_costs_only_the_message_text_and_the_entry_is_stored()
        {
            await using var harness = await ProviderHarness.StartAsync();
            var logger = harness.Loggers.CreateLogger("Bad");
            var thrower = harness.Provider.CreateLogger("Bad");
            thrower.Log(LogLevel.Error, default, "state", null, (_, _) => throw new FormatException("bad formatter"));
            logger.LogInformation("after");
            var entries = await harness.WaitForAsync(2, TimeSpan.FromSeconds(10));
            Assert.Equal(new[] { "[The message could not be rendered: System.FormatException]", "after" }, entries.Select(e => e.Message));
            Assert.Equal(0, harness.Provider.EntriesDropped);
        }

        /// <summary>KeyPrefix is the old name of Prefix: its configuration key still sets it.</summary>
        [Theory]
        [InlineData("Prefix")]
        [InlineData("KeyPrefix")]
        public async Task Options_bind_from_the_Logging_MonarchValkey_section(string prefixKey)
        {
            await using var server = await Testing.ValkeyServer.StartAsync();
            var prefix = "cfg:" + Guid.NewGuid().ToString("N");
            var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Logging:MonarchValkey:ConnectionString"] = server.ConnectionString,
                ["Logging:MonarchValkey:Service"] = "from-config",
                ["Logging:MonarchValkey:" + prefixKey] = prefix,
                ["Logging:MonarchValkey:LogLevel:Default"] = "Warning",
            }).Build();
            var services = new ServiceCollection()
                .AddLogging(builder => builder.AddConfiguration(configuration.GetSection("Logging")).AddMonarchValkey())
                .BuildServiceProvider();
            var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("Cfg");
            logger.LogInformation("filtered out by the provider's own level");
            logger.LogWarning("kept");
            await services.DisposeAsync();

            using var connection = server.Connect();
            var entries = new List<MonarchLogEntry>();
            await foreach (var e in new Core.Storage.LogStore(connection, new Core.Format.StorageFormat(prefix)).QueryAsync(new LogQuery())) entries.Add(e);
            var entry = Assert.Single(entries);
            Assert.Equal(("from-config", "kept"), (entry.Service, entry.Message));
        }

        /// <summary>Logs one warning through a provider configured from <paramref name="settings"/> and returns what its prefix holds.</summary>
        private static async Task<List<MonarchLogEntry>> LogOnceAsync(Testing.ValkeyServer server, string prefix, Dictionary<string, string?> settings)
        {
            var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
            var services = new ServiceCollection()
                .AddSingleton<IConfiguration>(configuration)
                .AddLogging(builder => builder.AddConfiguration(configuration.GetSection("Logging")).AddMonarchValkey())
                .BuildServiceProvider();
            services.GetRequiredService<ILoggerFactory>().CreateLogger("Shared").LogWarning("one");
            await services.DisposeAsync();

            using var connection = server.Connect();
            var entries = new List<MonarchLogEntry>();
            await foreach (var e in new Core.Storage.LogStore(connection, new Core.Format.StorageFormat(prefix)).QueryAsync(new LogQuery())) entries.Add(e);
            return entries;
        }

        [Fact]
        public async Task The_shared_Valkey_section_names_the_store_and_the_provider_section_wins_over_it()
        {
            await using var server = await Testing.ValkeyServer.StartAsync();
            var (shared, own) = ("shared:" + Guid.NewGuid().ToString("N"), "own:" + Guid.NewGuid().ToString("N"));
            var settings = new Dictionary<string, string?>
            {
                ["Valkey:ConnectionString"] = server.ConnectionString,
                ["Valkey:Prefix"] = shared,
                ["Logging:MonarchValkey:Service"] = "shared-section",
            };
            Assert.Single(await LogOnceAsync(server, shared, settings));

            settings["Logging:MonarchValkey:Prefix"] = own;
            Assert.Single(await LogOnceAsync(server, own, settings));
            Assert.Single(await LogOnceAsync(server, shared, settings));
        }

        /// <summary>
        /// The provider's own connection string with the writer user in it, the shared section with
        /// the viewer's reader user: the reader's credentials do not follow into the provider's connection.
        /// </summary>
        [Fact]
        public async Task A_provider_section_with_its_own_connection_string_takes_no_credentials_from_the_shared_section()
        {
            await using var server = await Testing.ValkeyServer.StartAsync();
            using (var admin = server.Connect())
            {
                await admin.GetDatabase().ExecuteAsync("ACL", "SETUSER", "shared-writer", "on", ">w-secret", "~*", "&*", "+@all");
                await admin.GetDatabase().ExecuteAsync("ACL", "SETUSER", "shared-reader", "on", ">r-secret", "~*", "&*", "+@all", "-@write", "-@scripting");
            }

            var prefix = "own:" + Guid.NewGuid().ToString("N");
            var entries = await LogOnceAsync(server, prefix, new Dictionary<string, string?>
            {
                ["Logging:MonarchValkey:ConnectionString"] = server.ConnectionString + ",user=shared-writer,password=w-secret",
                ["Logging:MonarchValkey:Prefix"] = prefix,
                ["Valkey:ConnectionString"] = server.ConnectionString,
                ["Valkey:User"] = "shared-reader",
                ["Valkey:Password"] = "r-secret",
            });
            Assert.Single(entries);
        }

        /// <summary>
        /// The provider's own connection string (its writer user) and the prefix in the shared
        /// section only: the provider writes where the viewer reads.
        /// </summary>
        [Fact]
        public async Task A_provider_section_with_its_own_connection_string_still_takes_the_shared_prefix()
        {
            await using var server = await Testing.ValkeyServer.StartAsync();
            var prefix = "shared:" + Guid.NewGuid().ToString("N");
            var entries = await LogOnceAsync(server, prefix, new Dictionary<string, string?>
            {
                ["Logging:MonarchValkey:ConnectionString"] = server.ConnectionString,
                ["Valkey:ConnectionString"] = server.ConnectionString,
                ["Valkey:Prefix"] = prefix,
            });
            Assert.Single(entries);
        }

        public static TheoryData<string, string, string> BadConfiguration => new()
        {
            { "BufferCapacity", "-5", "Logging:MonarchValkey:BufferCapacity must be at least 1; got -5." },
            { "MaxBatchSize", "0", "Logging:MonarchValkey:MaxBatchSize must be at least 1; got 0." },
            { "BacklogBatchSize", "-1", "Logging:MonarchValkey:BacklogBatchSize must not be negative; got -1." },
            { "ConnectionString", "localhost:6379,abortConnect=maybe", "Logging:MonarchValkey:ConnectionString: The connection string is not valid: " },
            { "Prefix", " ", "Logging:MonarchValkey:Prefix: The key prefix must not be empty. [InvalidPrefix]" },
            { "MinRetryDelay", "-00:00:01", "Logging:MonarchValkey:MinRetryDelay must be positive." },
        };

        [Theory]
        [MemberData(nameof(BadConfiguration))]
        public void Bad_configuration_stops_the_host_at_start_up_with_a_clear_message(string key, string value, string message)
        {
            var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Logging:MonarchValkey:" + key] = value,
            }).Build();
            using var services = new ServiceCollection()
                .AddLogging(builder => builder.AddConfiguration(configuration.GetSection("Logging")).AddMonarchValkey())
                .BuildServiceProvider();

            var error = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<ILoggerFactory>());
            Assert.Contains(message, error.Message);
        }

        /// <summary>
        /// A host that names its store once, in the shared Valkey section, is told about that key,
        /// not about the provider's own key that it never wrote; the provider's key when it wrote that.
        /// </summary>
        [Theory]
        [InlineData("Valkey:TrustedCertificateAuthorityPath", "/nonexistent/shared-ca.pem", null,
            "Valkey:TrustedCertificateAuthorityPath: The trusted certificate authority file '/nonexistent/shared-ca.pem' does not exist. [InvalidTrustedCertificateAuthority]")]
        [InlineData("Valkey:ConnectionString", "localhost:6379,abortConnect=maybe", null, "Valkey:ConnectionString: The connection string is not valid: ")]
        [InlineData("Valkey:TrustedCertificateAuthorityPath", "/nonexistent/shared-ca.pem", "/nonexistent/own-ca.pem",
            "Logging:MonarchValkey:TrustedCertificateAuthorityPath: The trusted certificate authority file '/nonexistent/own-ca.pem' does not exist.")]
        public void A_bad_store_setting_names_the_configuration_key_it_came_from(string sharedKey, string sharedValue, string? ownValue, string message)
        {
            var settings = new Dictionary<string, string?> { [sharedKey] = sharedValue };
            if (ownValue is not null) settings["Logging:MonarchValkey:" + sharedKey.Substring("Valkey:".Length)] = ownValue;
            var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
            using var services = new ServiceCollection()
                .AddSingleton<IConfiguration>(configuration)
                .AddLogging(builder => builder.AddConfiguration(configuration.GetSection("Logging")).AddMonarchValkey())
                .BuildServiceProvider();

            var error = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<ILoggerFactory>());
            Assert.StartsWith(message, error.Message);
        }

        [Theory]
        [InlineData("", "Logging:MonarchValkey:Service must be 1 to 200 characters without control characters; got ''.")]
        [InlineData("bad\nname", "Logging:MonarchValkey:Service must be 1 to 200 characters without control characters")]
        public void An_empty_or_unprintable_service_name_is_refused(string service, string message)
        {
            using var services = new ServiceCollection()
                .AddLogging(builder => builder.AddMonarchValkey(o => o.Service = service))
                .BuildServiceProvider();
            var error = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<ILoggerFactory>());
            Assert.Contains(message, error.Message);
        }

        [Fact]
        public void An_empty_connection_string_is_refused_without_dependency_injection_too()
        {
            var error = Assert.Throws<OptionsValidationException>(() => new MonarchValkeyLoggerProvider(new MonarchValkeyLoggerOptions { ConnectionString = " " }));
            Assert.Contains("Logging:MonarchValkey:ConnectionString: The connection string is empty; give host:port, for example localhost:6379. [InvalidConnectionString]", error.Message);
        }

        [Fact]
        public void The_connection_string_defaults_to_MONARCHLOGS_CONNECTION_as_for_the_cmdlets_and_the_viewer()
        {
            var before = Environment.GetEnvironmentVariable(Core.Connection.StoreConnection.EnvironmentVariable);
            try
            {
                Environment.SetEnvironmentVariable(Core.Connection.StoreConnection.EnvironmentVariable, "from-environment:6390");
                Assert.Equal("from-environment:6390", new MonarchValkeyLoggerOptions().ConnectionString);
                Environment.SetEnvironmentVariable(Core.Connection.StoreConnection.EnvironmentVariable, null);
                Assert.Equal("localhost:6379", new MonarchValkeyLoggerOptions().ConnectionString);
            }
            finally
            {
                Environment.SetEnvironmentVariable(Core.Connection.StoreConnection.EnvironmentVariable, before);
            }
        }
    }
}
