using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Text.Json;
using System.Threading.Tasks;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MonarchLogs.Core;
using MonarchLogs.Core.Query;
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
        public async Task A_service_property_routes_the_entry_to_that_service()
        {
            await using var harness = await ProviderHarness.StartAsync();
            var logger = harness.Loggers.CreateLogger("Cat");
            using (logger.BeginScope(new Dictionary<string, object?> { ["Service"] = "billing" }))
            {
                logger.LogInformation("in billing");
            }

            logger.LogInformation("in the default service");
            var entries = await harness.WaitForAsync(2);
            Assert.Equal(new[] { ("billing", "in billing"), ("tests", "in the default service") }, entries.Select(e => (e.Service, e.Message)));
        }

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

        [Fact]
        public async Task A_batch_the_server_took_in_part_is_retried_without_storing_an_entry_twice()
        {
            await using var harness = await ProviderHarness.StartAsync(o => o.BatchDelay = TimeSpan.FromMilliseconds(200));
            using var connection = harness.Server.Connect();
            var db = connection.GetDatabase();
            var blocked = new StorageFormat(harness.Prefix).GetPartition("tests", MonarchLogLevel.Error).StreamKey;
            await db.StringSetAsync(blocked, "not a stream");
            var logger = harness.Loggers.CreateLogger("Partial");
            for (var i = 0; i < 40; i++)
            {
                if (i % 4 == 0) logger.LogError("n{Index}", i);
                else logger.LogInformation("n{Index}", i);
            }

            // The 30 informations go in; the 10 errors wait in the buffer while their stream is blocked.
            var informations = new LogQuery { Levels = new[] { MonarchLogLevel.Information } };
            var clock = Stopwatch.StartNew();
            while ((await harness.ReadAllAsync(informations)).Count < 30 && clock.Elapsed < TimeSpan.FromSeconds(10)) await Task.Delay(50);
            await Task.Delay(500);
            Assert.Equal(30, (await harness.ReadAllAsync(informations)).Count);
            Assert.Equal(10, harness.Provider.EntriesBuffered);

            await db.KeyDeleteAsync(blocked);
            await harness.WaitForAsync(40);
            await Task.Delay(300);
            Assert.Equal(Enumerable.Range(0, 40).Select(i => "n" + i).OrderBy(m => m), (await harness.ReadAllAsync()).Select(e => e.Message).OrderBy(m => m));
            Assert.Equal(0, harness.Provider.EntriesDropped);
        }

        [Fact]
        public async Task A_throwing_formatter_never_reaches_the_app_and_is_counted()
        {
            await using var harness = await ProviderHarness.StartAsync();
            var logger = harness.Loggers.CreateLogger("Bad");
            var thrower = harness.Provider.CreateLogger("Bad");
            thrower.Log(LogLevel.Error, default, "state", null, (_, _) => throw new FormatException("bad formatter"));
            logger.LogInformation("after");
            var entries = await harness.WaitForAsync(2, TimeSpan.FromSeconds(3));
            Assert.Contains(entries, e => e.Message == "after");
            Assert.Equal(1, harness.Provider.EntriesDropped);
        }

        [Fact]
        public async Task Options_bind_from_the_Logging_MonarchValkey_section()
        {
            await using var server = await Testing.ValkeyServer.StartAsync();
            var prefix = "cfg:" + Guid.NewGuid().ToString("N");
            var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Logging:MonarchValkey:ConnectionString"] = server.ConnectionString,
                ["Logging:MonarchValkey:Service"] = "from-config",
                ["Logging:MonarchValkey:KeyPrefix"] = prefix,
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
            await foreach (var e in new Core.Storage.LogStore(connection, new Core.Storage.StorageFormat(prefix)).QueryAsync(new LogQuery())) entries.Add(e);
            var entry = Assert.Single(entries);
            Assert.Equal(("from-config", "kept"), (entry.Service, entry.Message));
        }

        public static TheoryData<string, string, string> BadConfiguration => new()
        {
            { "BufferCapacity", "-5", "Logging:MonarchValkey:BufferCapacity must be at least 1; got -5." },
            { "MaxBatchSize", "0", "Logging:MonarchValkey:MaxBatchSize must be at least 1; got 0." },
            { "ConnectionString", "localhost:6379,abortConnect=maybe", "Logging:MonarchValkey:ConnectionString is not a valid connection string" },
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
            Assert.Contains("Logging:MonarchValkey:ConnectionString must not be empty.", error.Message);
        }
    }
}
