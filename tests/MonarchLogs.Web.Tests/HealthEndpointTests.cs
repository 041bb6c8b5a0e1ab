using System;
using System.Diagnostics;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Threading.Tasks;
using MonarchLogs.Testing;
using Xunit;

namespace MonarchLogs.Web.Tests
{
    /// <summary><c>{prefix}/healthz</c> against a real Valkey that is stopped and started, and a refused user.</summary>
    public sealed class HealthEndpointTests
    {
        [Fact]
        public async Task Healthy_while_the_store_reads_unhealthy_with_the_error_id_while_valkey_is_down_and_healthy_again_after()
        {
            var valkey = new ValkeyFixture();
            await valkey.InitializeAsync();
            try
            {
                // With a bearer token required for the viewer: the probe needs none.
                await using var viewer = await ViewerSession.StartAsync(valkey, options => options.BearerToken = "probe-needs-no-token");
                using (var page = await viewer.Http.GetAsync("api/logs")) Assert.Equal(HttpStatusCode.Unauthorized, page.StatusCode);

                var (status, body) = await GetAsync(viewer, "healthz");
                Assert.Equal((HttpStatusCode.OK, "Healthy"), (status, body));

                await valkey.Server.StopAsync(save: true);
                (status, body) = await WaitForAsync(viewer, HttpStatusCode.ServiceUnavailable);
                // Refused connections, or a command that waited for the connection to come back.
                Assert.Matches("^Unhealthy: Valkey(Unreachable|Timeout)$", body);

                await valkey.Server.StartAgainAsync();
                (status, body) = await WaitForAsync(viewer, HttpStatusCode.OK);
                Assert.Equal("Healthy", body);
            }
            finally
            {
                await valkey.DisposeAsync();
            }
        }

        [Fact]
        public async Task Probes_share_one_check_a_second_however_many_come()
        {
            var valkey = new ValkeyFixture();
            await valkey.InitializeAsync();
            try
            {
                await using var viewer = await ViewerSession.StartAsync(valkey);
                Assert.Equal((HttpStatusCode.OK, "Healthy"), await GetAsync(viewer, "healthz"));
                var before = await RegistryReadsAsync(valkey);
                var clock = Stopwatch.StartNew();
                var answers = await Task.WhenAll(Enumerable.Range(0, 40).Select(_ => GetAsync(viewer, "healthz")));
                var elapsed = clock.Elapsed;
                Assert.All(answers, answer => Assert.Equal((HttpStatusCode.OK, "Healthy"), answer));
                var reads = await RegistryReadsAsync(valkey) - before;
                Assert.True(reads <= 1 + (long)elapsed.TotalSeconds, $"{reads} registry reads for 40 probes in {elapsed.TotalMilliseconds:0} ms");
            }
            finally
            {
                await valkey.DisposeAsync();
            }
        }

        [Fact]
        public async Task A_refused_viewer_user_is_unhealthy_and_says_only_the_error_id()
        {
            var valkey = new ValkeyFixture();
            await valkey.InitializeAsync();
            try
            {
                var user = "viewer-" + Guid.NewGuid().ToString("N").Substring(0, 8);
                await valkey.Connection.GetDatabase().ExecuteAsync("ACL", "SETUSER", user, "on", ">right-secret", "~*", "&*", "+@all");
                await using var viewer = await ViewerSession.StartAsync(valkey, options =>
                {
                    options.User = user;
                    options.Password = "wrong-secret";
                }, mount: "/");
                var (status, body) = await WaitForAsync(viewer, HttpStatusCode.ServiceUnavailable);
                Assert.Equal("Unhealthy: ValkeyAuthenticationFailed", body);
            }
            finally
            {
                await valkey.DisposeAsync();
            }
        }

        /// <summary>How often the server answered HGETALL (the registry read of a check), from INFO commandstats.</summary>
        private static async Task<long> RegistryReadsAsync(ValkeyFixture valkey)
        {
            var stats = (string?)await valkey.Connection.GetDatabase().ExecuteAsync("INFO", "commandstats") ?? string.Empty;
            var match = System.Text.RegularExpressions.Regex.Match(stats, "cmdstat_hgetall:calls=([0-9]+)");
            return match.Success ? long.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : 0;
        }

        private static async Task<(HttpStatusCode Status, string Body)> GetAsync(ViewerSession viewer, string path)
        {
            using var response = await viewer.Http.GetAsync(path);
            Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
            return (response.StatusCode, await response.Content.ReadAsStringAsync());
        }

        private static async Task<(HttpStatusCode Status, string Body)> WaitForAsync(ViewerSession viewer, HttpStatusCode wanted)
        {
            var clock = Stopwatch.StartNew();
            while (true)
            {
                var answer = await GetAsync(viewer, "healthz");
                if (answer.Status == wanted) return answer;
                Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"still {(int)answer.Status} {answer.Body}");
                await Task.Delay(200);
            }
        }
    }
}
