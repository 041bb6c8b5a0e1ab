using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Text.Json;
using System.Threading.Tasks;
using MonarchLogs.Core;
using Xunit;
using static MonarchLogs.Web.Tests.Seed;

namespace MonarchLogs.Web.Tests
{
    public sealed class LogsApiTests : IClassFixture<ValkeyFixture>
    {
        private readonly ValkeyFixture _valkey;

        public LogsApiTests(ValkeyFixture valkey) => _valkey = valkey;

        [Fact]
        public async Task Logs_filtered_by_level_and_service_are_exactly_the_matching_entries_newest_first()
        {
            await using var viewer = await ViewerSession.StartAsync(_valkey);
            var t = HourStart;
            await viewer.AppendAsync(
                Entry("orders", MonarchLogLevel.Information, t.AddMinutes(1), "o-info"),
                Entry("orders", MonarchLogLevel.Error, t.AddMinutes(2), "o-error-1"),
                Entry("billing", MonarchLogLevel.Error, t.AddMinutes(3), "b-error"),
                Entry("orders", MonarchLogLevel.Warning, t.AddMinutes(4), "o-warning"),
                Entry("orders", MonarchLogLevel.Error, t.AddMinutes(5), "o-error-2"),
                Entry("shipping", MonarchLogLevel.Critical, t.AddMinutes(6), "s-critical"));

            Assert.Equal(new[] { "o-error-2", "o-warning", "o-error-1" }, await MessagesAsync(viewer, "api/logs?level=error,warning&service=orders"));
            Assert.Equal(new[] { "o-error-2", "o-warning", "o-error-1" }, await MessagesAsync(viewer, "api/logs?level=Error&level=Warn&service=orders"));
            Assert.Equal(new[] { "s-critical", "o-error-2", "b-error", "o-error-1" }, await MessagesAsync(viewer, "api/logs?minLevel=error"));
            Assert.Equal(new[] { "s-critical", "o-error-2", "o-warning", "o-error-1", "o-info" }, await MessagesAsync(viewer, "api/logs?service=orders&service=ship*"));
            Assert.Equal(new[] { "o-error-1", "o-error-2" }, await MessagesAsync(viewer, "api/logs?level=error&service=orders&order=oldest"));

            // The time range is half-open: [since, until).
            var range = $"since={Iso(t.AddMinutes(2))}&until={Iso(t.AddMinutes(5))}";
            Assert.Equal(new[] { "o-warning", "b-error", "o-error-1" }, await MessagesAsync(viewer, "api/logs?" + range));
        }

        [Fact]
        public async Task Logs_text_and_category_filters_search_message_exception_and_properties()
        {
            await using var viewer = await ViewerSession.StartAsync(_valkey);
            var t = HourStart;
            await viewer.AppendAsync(
                Entry("api", MonarchLogLevel.Information, t.AddSeconds(1), "Order 17 shipped", category: "Monarch.Orders.Shipper"),
                Entry("api", MonarchLogLevel.Error, t.AddSeconds(2), "Payment failed", category: "Monarch.Billing", exception: "System.TimeoutException: gateway TIMEOUT"),
                Entry("api", MonarchLogLevel.Information, t.AddSeconds(3), "Cart saved", category: "Monarch.Orders.Cart", properties: "{\"CartId\":\"timeout-cart\"}"),
                Entry("api", MonarchLogLevel.Information, t.AddSeconds(4), "Nothing to see", category: "Monarch.Other"));

            Assert.Equal(new[] { "Cart saved", "Payment failed" }, await MessagesAsync(viewer, "api/logs?q=timeout"));
            Assert.Equal(new[] { "Cart saved", "Order 17 shipped" }, await MessagesAsync(viewer, "api/logs?category=Monarch.Orders.*"));
            Assert.Equal(new[] { "Cart saved" }, await MessagesAsync(viewer, "api/logs?category=monarch.orders.*&q=TIMEOUT"));
        }

        [Theory]
        [InlineData("newest")]
        [InlineData("oldest")]
        public async Task Pages_follow_the_next_cursor_with_no_gap_and_no_duplicate(string order)
        {
            await using var viewer = await ViewerSession.StartAsync(_valkey);
            var t = HourStart;
            var entries = new List<MonarchLogEntry>();
            // Several partitions and entries that share a millisecond, so ties between partitions are paged too.
            for (var i = 0; i < 23; i++)
            {
                entries.Add(Entry(i % 2 == 0 ? "alpha" : "beta", i % 3 == 0 ? MonarchLogLevel.Warning : MonarchLogLevel.Information, t.AddMilliseconds(i / 2 * 10), "m" + i));
            }

            await viewer.AppendAsync(entries.ToArray());
            using var all = await viewer.GetJsonAsync($"api/logs?order={order}&limit=1000");
            var expected = all.RootElement.GetProperty("entries").EnumerateArray().Select(e => e.GetProperty("id").GetString()!).ToList();
            Assert.Equal(23, expected.Count);

            var paged = new List<string>();
            string? next = null;
            var pages = 0;
            do
            {
                var (ids, cursor) = await viewer.GetIdsAsync($"api/logs?order={order}&limit=5" + (next is null ? string.Empty : "&after=" + Uri.EscapeDataString(next)));
                paged.AddRange(ids);
                next = cursor;
                pages++;
            }
            while (next is not null && pages < 20);

            Assert.Equal(5, pages);
            Assert.Equal(expected, paged);
        }

        [Fact]
        public async Task Limit_is_capped_at_1000_and_defaults_to_100()
        {
            await using var viewer = await ViewerSession.StartAsync(_valkey);
            var t = HourStart;
            await viewer.AppendAsync(Enumerable.Range(0, 1100).Select(i => Entry("bulk", MonarchLogLevel.Information, t.AddMilliseconds(i), "bulk " + i)).ToArray());

            using var capped = await viewer.GetJsonAsync("api/logs?limit=50000");
            Assert.Equal(1000, capped.RootElement.GetProperty("entries").GetArrayLength());
            Assert.Equal(1000, capped.RootElement.GetProperty("limit").GetInt32());
            Assert.Equal(JsonValueKind.String, capped.RootElement.GetProperty("next").ValueKind);

            using var byDefault = await viewer.GetJsonAsync("api/logs");
            Assert.Equal(100, byDefault.RootElement.GetProperty("entries").GetArrayLength());
            Assert.Equal("bulk 1099", byDefault.RootElement.GetProperty("entries")[0].GetProperty("message").GetString());
        }

        [Fact]
        public async Task An_entry_has_every_field_in_camel_case_with_the_level_by_name()
        {
            await using var viewer = await ViewerSession.StartAsync(_valkey);
            var entry = Entry("fields", MonarchLogLevel.Critical, HourStart.AddSeconds(7), "all fields", category: "Monarch.Fields",
                exception: "System.InvalidOperationException: boom\n   at Somewhere()", properties: "{\"OrderId\":42}");
            await viewer.AppendAsync(entry);

            using var json = await viewer.GetJsonAsync("api/logs");
            var e = json.RootElement.GetProperty("entries")[0];
            Assert.Equal("Critical", e.GetProperty("level").GetString());
            Assert.Equal("fields", e.GetProperty("service").GetString());
            Assert.Equal("Monarch.Fields", e.GetProperty("category").GetString());
            Assert.Equal("System.InvalidOperationException: boom\n   at Somewhere()", e.GetProperty("exception").GetString());
            Assert.Equal("System.InvalidOperationException", e.GetProperty("exceptionType").GetString());
            Assert.Equal("{\"OrderId\":42}", e.GetProperty("properties").GetString());
            Assert.Equal("test-host", e.GetProperty("host").GetString());
            Assert.Equal(HourStart.AddSeconds(7), e.GetProperty("timestamp").GetDateTime().ToUniversalTime());
            Assert.EndsWith("@fields/critical", e.GetProperty("id").GetString());
        }

        [Theory]
        [InlineData("api/logs?since=yesterdayish", "InvalidTimeExpression", "since")]
        [InlineData("api/logs?until=13:99", "InvalidTimeExpression", "until")]
        [InlineData("api/logs?since=-1h&until=-2h", "InvalidTimeRange", "until")]
        [InlineData("api/logs?since=-100000d", "TimeOutOfRange", "since")]
        [InlineData("api/logs?since=-99999999999999999999d", "TimeOutOfRange", "since")]
        [InlineData("api/logs?since=0001-01-01T00:00Z", "TimeOutOfRange", "since")]
        [InlineData("api/stats?since=1969-12-31T23:59:59Z", "TimeOutOfRange", "since")]
        [InlineData("api/stats?until=-100000d", "TimeOutOfRange", "until")]
        [InlineData("api/logs.json?until=1900-01-01", "TimeOutOfRange", "until")]
        [InlineData("api/stream?since=10000-01-01", "InvalidTimeExpression", "since")]
        [InlineData("api/logs?service=orders,[a-", "InvalidWildcard", "service")]
        [InlineData("api/stats?category=Monarch.[z-a]", "InvalidWildcard", "category")]
        [InlineData("api/logs?level=loud", "InvalidLevel", "level")]
        [InlineData("api/logs?level=error,loud", "InvalidLevel", "level")]
        [InlineData("api/logs?minLevel=0", "InvalidLevel", "minLevel")]
        [InlineData("api/logs?limit=0", "InvalidLimit", "limit")]
        [InlineData("api/logs?limit=ten", "InvalidLimit", "limit")]
        [InlineData("api/logs?limit=1&limit=2", "DuplicateParameter", "limit")]
        [InlineData("api/logs?after=not-a-cursor", "InvalidCursor", "after")]
        [InlineData("api/logs?order=sideways", "InvalidOrder", "order")]
        [InlineData("api/export?format=xml", "InvalidFormat", "format")]
        [InlineData("api/logs.csv?since=never", "InvalidTimeExpression", "since")]
        [InlineData("api/stats?interval=fortnightly", "InvalidInterval", "interval")]
        [InlineData("api/stats?interval=0s", "InvalidInterval", "interval")]
        [InlineData("api/stats?since=-30d&interval=1s", "InvalidInterval", "interval")]
        [InlineData("api/stream?backlog=-1", "InvalidBacklog", "backlog")]
        [InlineData("api/stream?level=loud", "InvalidLevel", "level")]
        [InlineData("api/logs?hasException=maybe", "InvalidBoolean", "hasException")]
        [InlineData("api/logs?prop.OrderId=%5B4", "InvalidWildcard", "prop.OrderId")]
        [InlineData("api/logs?exceptionType=%5Bx", "InvalidWildcard", "exceptionType")]
        public async Task A_bad_parameter_is_400_problem_details_with_a_stable_error_id(string url, string errorId, string? parameter)
        {
            await using var viewer = await ViewerSession.StartAsync(_valkey);
            using var response = await viewer.Http.GetAsync(url);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            Assert.Equal(400, problem.RootElement.GetProperty("status").GetInt32());
            Assert.Equal(errorId, problem.RootElement.GetProperty("errorId").GetString());
            Assert.False(string.IsNullOrWhiteSpace(problem.RootElement.GetProperty("detail").GetString()));
            if (parameter is null) Assert.False(problem.RootElement.TryGetProperty("parameter", out _));
            else Assert.Equal(parameter, problem.RootElement.GetProperty("parameter").GetString());
            var only = Assert.Single(problem.RootElement.GetProperty("errors").EnumerateArray());
            Assert.Equal(errorId, only.GetProperty("errorId").GetString());
            Assert.Equal(parameter, only.GetProperty("parameter").GetString());
            Assert.Equal(problem.RootElement.GetProperty("detail").GetString(), only.GetProperty("detail").GetString());
        }

        [Theory]
        [InlineData("api/logs?since=never&level=loud&prop.OrderId=%5B4&after=nope&limit=0",
            "since:InvalidTimeExpression level:InvalidLevel prop.OrderId:InvalidWildcard after:InvalidCursor limit:InvalidLimit")]
        [InlineData("api/stats?order=up&minLevel=0&interval=fortnightly", "minLevel:InvalidLevel order:InvalidOrder interval:InvalidInterval")]
        [InlineData("api/export?format=xml&hasException=maybe&q=a&q=b", "format:InvalidFormat q:DuplicateParameter hasException:InvalidBoolean")]
        [InlineData("api/stream?category=%5Bx&backlog=-1", "category:InvalidWildcard backlog:InvalidBacklog")]
        [InlineData("api/logs?since=-1h&until=-2h&level=loud", "level:InvalidLevel until:InvalidTimeRange")]
        public async Task Every_bad_parameter_of_a_request_is_named_in_one_answer(string url, string expected)
        {
            await using var viewer = await ViewerSession.StartAsync(_valkey);
            using var response = await viewer.Http.GetAsync(url);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            var errors = problem.RootElement.GetProperty("errors").EnumerateArray().ToList();
            Assert.Equal(expected, string.Join(" ", errors.Select(e => e.GetProperty("parameter").GetString() + ":" + e.GetProperty("errorId").GetString())));
            Assert.All(errors, e => Assert.False(string.IsNullOrWhiteSpace(e.GetProperty("detail").GetString())));

            // The top-level fields stay those of the first, as for a single bad parameter.
            Assert.Equal(errors[0].GetProperty("parameter").GetString(), problem.RootElement.GetProperty("parameter").GetString());
            Assert.Equal(errors[0].GetProperty("errorId").GetString(), problem.RootElement.GetProperty("errorId").GetString());
            Assert.Equal(errors[0].GetProperty("detail").GetString(), problem.RootElement.GetProperty("detail").GetString());
        }

        [Fact]
        public async Task A_comma_after_a_backtick_is_part_of_the_name_so_a_service_with_a_comma_can_be_filtered()
        {
            await using var viewer = await ViewerSession.StartAsync(_valkey);
            var t = HourStart;
            await viewer.AppendAsync(
                Entry("eu,west", MonarchLogLevel.Information, t.AddSeconds(1), "from eu,west"),
                Entry("eu", MonarchLogLevel.Information, t.AddSeconds(2), "from eu"),
                Entry("west", MonarchLogLevel.Information, t.AddSeconds(3), "from west"),
                Entry("a,b*", MonarchLogLevel.Information, t.AddSeconds(4), "from a,b*"));

            // As the page sends a name: a wildcard with a backtick before each special character and comma.
            Assert.Equal(new[] { "from eu,west" }, await MessagesAsync(viewer, "api/logs?service=eu%60%2Cwest"));
            Assert.Equal(new[] { "from a,b*", "from eu,west" }, await MessagesAsync(viewer, "api/logs?service=eu%60%2Cwest&service=a%60%2Cb%60*"));
            Assert.Equal(new[] { "from west", "from eu,west" }, await MessagesAsync(viewer, "api/logs?service=eu%60%2Cwest,west"));

            // A bare comma still separates values, as documented; a doubled backtick is a literal one and does not escape.
            Assert.Equal(new[] { "from west", "from eu" }, await MessagesAsync(viewer, "api/logs?service=eu%2Cwest"));
            Assert.Equal(new[] { "from west" }, await MessagesAsync(viewer, "api/logs?service=eu%60%60,west"));
            using (var stats = await viewer.GetJsonAsync("api/stats?since=-1d&service=eu%60%2Cwest")) Assert.Equal(1, stats.RootElement.GetProperty("total").GetInt32());
        }

        [Fact]
        public async Task Structure_filters_find_entries_by_property_trace_event_and_exception()
        {
            await using var viewer = await ViewerSession.StartAsync(_valkey);
            var t = HourStart;
            MonarchLogEntry With(string message, int minute, string properties, string traceId = "", int eventId = 0, string eventName = "", string exceptionType = "") => new MonarchLogEntry
            {
                Timestamp = t.AddMinutes(minute), Level = MonarchLogLevel.Error, Service = minute % 2 == 0 ? "orders" : "billing", Category = "C", Message = message,
                Properties = properties, TraceId = traceId, EventId = eventId, EventName = eventName, ExceptionType = exceptionType,
                Exception = exceptionType.Length == 0 ? "" : exceptionType + ": failed",
            };
            await viewer.AppendAsync(
                With("a", 1, "{\"OrderId\":4711,\"TenantId\":\"t-42\"}", "7a447039f5cb2392e2319fc3670ef2a1", 1005, "OrderFailed", "System.TimeoutException"),
                With("b", 2, "{\"OrderId\":\"4711\",\"TenantId\":\"t-43\"}", "7a447039f5cb2392e2319fc3670ef2a1", 1006, "OrderShipped"),
                With("c", 3, "{\"OrderId\":4712,\"Customer\":{\"Id\":7}}", "0af7651916cd43dd8448eb211c80319c", 2001, "PaymentDeclined", "System.InvalidOperationException"),
                With("d", 4, ""));

            Assert.Equal(new[] { "b", "a" }, await MessagesAsync(viewer, "api/logs?prop.OrderId=4711"));
            Assert.Equal(new[] { "b" }, await MessagesAsync(viewer, "api/logs?prop.orderid=4711&prop.TenantId=T-4%5B3-9%5D"));
            Assert.Equal(new[] { "c" }, await MessagesAsync(viewer, "api/logs?prop.Customer.Id=7"));
            Assert.Equal(new[] { "b", "a" }, await MessagesAsync(viewer, "api/logs?traceId=7A447039F5CB2392E2319FC3670EF2A1"));
            Assert.Equal(new[] { "c", "a" }, await MessagesAsync(viewer, "api/logs?eventId=1005,Payment*"));
            Assert.Equal(new[] { "c", "a" }, await MessagesAsync(viewer, "api/logs?hasException=true"));
            Assert.Equal(new[] { "d", "b" }, await MessagesAsync(viewer, "api/logs?hasException=false"));
            Assert.Equal(new[] { "a" }, await MessagesAsync(viewer, "api/logs?exceptionType=System.Timeout*"));
            Assert.Equal(new[] { "c" }, await MessagesAsync(viewer, "api/logs?q=0af76519"));
            using (var stats = await viewer.GetJsonAsync("api/stats?since=-1d&prop.OrderId=4711")) Assert.Equal(2, stats.RootElement.GetProperty("total").GetInt32());
        }

        [Fact]
        public async Task Services_and_levels_are_read_from_the_store()
        {
            await using var viewer = await ViewerSession.StartAsync(_valkey);
            using (var empty = await viewer.GetJsonAsync("api/services"))
            {
                Assert.Equal(0, empty.RootElement.GetProperty("services").GetArrayLength());
            }

            await viewer.AppendAsync(
                Entry("zeta", MonarchLogLevel.Warning, HourStart, "z"),
                Entry("Alpha", MonarchLogLevel.Debug, HourStart, "a"),
                Entry("mid", MonarchLogLevel.Warning, HourStart, "m"));

            using var services = await viewer.GetJsonAsync("api/services");
            Assert.Equal(new[] { "Alpha", "mid", "zeta" }, services.RootElement.GetProperty("services").EnumerateArray().Select(s => s.GetString()));
            using var levels = await viewer.GetJsonAsync("api/levels");
            Assert.Equal(new[] { "Debug", "Warning" }, levels.RootElement.GetProperty("levels").EnumerateArray().Select(s => s.GetString()));
        }

        [Fact]
        public async Task A_host_registered_log_store_is_the_one_the_viewer_reads()
        {
            await using var viewer = await ViewerSession.StartAsync(_valkey, hostRegistersStore: true);
            await viewer.AppendAsync(Entry("hosted", MonarchLogLevel.Information, HourStart, "from the host's store"));
            Assert.Equal(new[] { "from the host's store" }, await MessagesAsync(viewer, "api/logs"));
        }

        [Fact]
        public async Task An_unreachable_store_is_503_ValkeyUnreachable_as_in_the_cmdlets()
        {
            var closedPort = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
            closedPort.Start();
            var port = ((IPEndPoint)closedPort.LocalEndpoint).Port;
            closedPort.Stop();
            await using var viewer = await ViewerSession.StartAsync(_valkey, options =>
                options.ConnectionString = $"127.0.0.1:{port},connectTimeout=300,asyncTimeout=500,connectRetry=0");
            var started = DateTime.UtcNow;
            using var response = await viewer.Http.GetAsync("api/logs");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            Assert.Equal("ValkeyUnreachable", problem.RootElement.GetProperty("errorId").GetString());
            Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(10));
        }

        [Fact]
        public async Task Store_failures_carry_the_cmdlets_error_ids()
        {
            // A key of another type where the partition registry belongs: permanent, 500 with its id.
            await using (var viewer = await ViewerSession.StartAsync(_valkey))
            {
                await _valkey.Connection.GetDatabase().StringSetAsync(viewer.Store.Format.PartitionsKey, "not a hash");
                await AssertProblemAsync(viewer, "api/services", HttpStatusCode.InternalServerError, "PartitionWrongType");
            }

            // A Valkey user whose ACL lacks a command the viewer needs: the viewer cannot serve, 503.
            var prefix = ViewerSession.NewPrefix();
            var admin = _valkey.Connection.GetDatabase();
            var user = "no-hgetall-" + Guid.NewGuid().ToString("N");
            await admin.ExecuteAsync("ACL", "SETUSER", user, "on", ">pw", "resetkeys", "~*", "&*", "+@all", "-hgetall");
            await using (var viewer = await ViewerSession.StartAsync(_valkey, options =>
            {
                options.User = user;
                options.Password = "pw";
            }, prefix: prefix))
            {
                await AssertProblemAsync(viewer, "api/services", HttpStatusCode.ServiceUnavailable, "ValkeyPermissionDenied");
            }
        }

        private static async Task AssertProblemAsync(ViewerSession viewer, string url, HttpStatusCode status, string errorId)
        {
            using var response = await viewer.Http.GetAsync(url);
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == status, $"{(int)response.StatusCode} {body}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            using var problem = JsonDocument.Parse(body);
            Assert.Equal(errorId, problem.RootElement.GetProperty("errorId").GetString());
        }

        internal static async Task<List<string>> MessagesAsync(ViewerSession viewer, string url)
        {
            using var json = await viewer.GetJsonAsync(url);
            return json.RootElement.GetProperty("entries").EnumerateArray().Select(e => e.GetProperty("message").GetString()!).ToList();
        }
    }
}
