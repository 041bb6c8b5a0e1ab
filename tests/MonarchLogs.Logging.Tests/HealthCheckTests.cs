using System;
using System.Diagnostics;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;

namespace MonarchLogs.Logging.Tests
{
    /// <summary>
    /// <c>AddHealthChecks().AddMonarchValkey()</c> through the host's HealthCheckService, while a
    /// real Valkey is stopped and started under the provider.
    /// </summary>
    public sealed class HealthCheckTests
    {
        [Fact]
        public async Task Healthy_while_writing_degraded_when_writes_fail_unhealthy_when_nothing_is_written_for_long_and_healthy_again_after()
        {
            await using var harness = await ProviderHarness.StartAsync(addServices: services => WithHealthChecks(services).AddMonarchValkey(o =>
            {
                o.NotWrittenFor = TimeSpan.FromSeconds(3);
                o.DroppedWithin = TimeSpan.FromSeconds(3);
            }));
            var logger = harness.Loggers.CreateLogger("health");
            logger.LogInformation("before");
            await harness.WaitForAsync(1);
            var report = await CheckAsync(harness);
            Assert.Equal(HealthStatus.Healthy, report.Status);
            Assert.Matches("^writing to Valkey; [0-9]+ entries buffered$", report.Description);

            await harness.Server.StopAsync(save: true);
            logger.LogInformation("during the outage");
            report = await WaitForStatusAsync(harness, HealthStatus.Degraded, TimeSpan.FromSeconds(3));
            Assert.Contains("writes to Valkey are failing", report.Description, StringComparison.Ordinal);
            Assert.Equal(true, report.Data["failing"]);

            report = await WaitForStatusAsync(harness, HealthStatus.Unhealthy, TimeSpan.FromSeconds(10));
            Assert.Matches("^nothing could be written to Valkey for [0-9]+ s; [0-9]+ entries wait$", report.Description);

            await harness.Server.StartAgainAsync();
            await harness.WaitForAsync(2);
            report = await WaitForStatusAsync(harness, HealthStatus.Healthy, TimeSpan.FromSeconds(10));
            Assert.Equal(0L, harness.Provider.EntriesDropped);
        }

        [Fact]
        public async Task Dropped_entries_make_it_unhealthy_for_the_configured_time_and_say_why()
        {
            await using var harness = await ProviderHarness.StartAsync(
                configure: o => o.BufferCapacity = 10,
                addServices: services => WithHealthChecks(services).AddMonarchValkey(o => o.DroppedWithin = TimeSpan.FromSeconds(3)));
            var logger = harness.Loggers.CreateLogger("health");
            logger.LogInformation("before");
            await harness.WaitForAsync(1);
            await harness.WaitUntilWriterIdleAsync();

            await harness.Server.StopAsync(save: true);
            for (var i = 0; i < 25; i++) logger.LogInformation("during {Index}", i);
            var dropped = harness.Dropped(Writing.DropReason.BufferFull);
            Assert.InRange(dropped, 15, 25);
            var report = await CheckAsync(harness);
            Assert.Equal(HealthStatus.Unhealthy, report.Status);
            Assert.StartsWith($"log entries were dropped 0 s ago (BufferFull {dropped} since start)", report.Description, StringComparison.Ordinal);
            Assert.Contains("the buffer holds 10 of 10 entries", report.Description, StringComparison.Ordinal);
            Assert.Equal(dropped, report.Data["dropped.BufferFull"]);

            await harness.Server.StartAgainAsync();
            await harness.WaitForAsync(1 + 10 + 1);
            Assert.Equal(HealthStatus.Unhealthy, (await CheckAsync(harness)).Status);
            report = await WaitForStatusAsync(harness, HealthStatus.Healthy, TimeSpan.FromSeconds(10));
            Assert.True((long)report.Data["dropped.BufferFull"] >= dropped, "the count since start stays in the data");
        }

        [Fact]
        public async Task A_failure_status_given_at_registration_replaces_unhealthy()
        {
            await using var harness = await ProviderHarness.StartAsync(
                configure: o => o.BufferCapacity = 2,
                addServices: services => WithHealthChecks(services).AddMonarchValkey(failureStatus: HealthStatus.Degraded));
            await harness.Server.StopAsync(save: true);
            var logger = harness.Loggers.CreateLogger("health");
            for (var i = 0; i < 5; i++) logger.LogInformation("during {Index}", i);
            Assert.Equal(HealthStatus.Degraded, (await CheckAsync(harness)).Status);
        }

        [Fact]
        public async Task Without_the_provider_the_check_says_it_is_not_registered()
        {
            await using var services = new ServiceCollection().AddLogging().AddHealthChecks().AddMonarchValkey().Services.BuildServiceProvider();
            var report = await services.GetRequiredService<HealthCheckService>().CheckHealthAsync();
            var entry = Assert.Single(report.Entries);
            Assert.Equal("monarchlogs", entry.Key);
            Assert.Equal(HealthStatus.Unhealthy, entry.Value.Status);
            Assert.Contains("AddMonarchValkey", entry.Value.Description, StringComparison.Ordinal);
        }

        /// <summary>The health checks, whose own Trace and Debug lines (as in a host's defaults) stay out of the store.</summary>
        private static IHealthChecksBuilder WithHealthChecks(IServiceCollection services) =>
            services.AddLogging(builder => builder.AddFilter("Microsoft.Extensions.Diagnostics.HealthChecks", LogLevel.Information)).AddHealthChecks();

        private static async Task<HealthReportEntry> CheckAsync(ProviderHarness harness)
        {
            var report = await harness.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();
            return Assert.Single(report.Entries, e => e.Key == "monarchlogs").Value;
        }

        private static async Task<HealthReportEntry> WaitForStatusAsync(ProviderHarness harness, HealthStatus wanted, TimeSpan timeout)
        {
            var clock = Stopwatch.StartNew();
            while (true)
            {
                var report = await CheckAsync(harness);
                if (report.Status == wanted) return report;
                Assert.True(clock.Elapsed < timeout, $"still {report.Status} after {timeout.TotalSeconds} s: {report.Description}");
                await Task.Delay(100);
            }
        }
    }
}
