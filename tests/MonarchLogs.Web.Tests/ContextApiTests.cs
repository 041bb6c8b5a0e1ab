using System;
using System.Linq;
using System.Net;
using System.Text.Json;
using System.Threading.Tasks;
using MonarchLogs.Core;
using Xunit;
using static MonarchLogs.Web.Tests.Seed;

namespace MonarchLogs.Web.Tests
{
    /// <summary>api/context: an entry with the entries around it, whatever their service and level.</summary>
    public sealed class ContextApiTests : IClassFixture<ValkeyFixture>
    {
        private readonly ValkeyFixture _valkey;

        public ContextApiTests(ValkeyFixture valkey) => _valkey = valkey;

        [Fact]
        public async Task Context_holds_the_entry_and_its_neighbours_across_services_and_levels_in_time_order()
        {
            await using var viewer = await ViewerSession.StartAsync(_valkey);
            var t = HourStart;
            var services = new[] { "orders", "billing", "shipping" };
            var levels = new[] { MonarchLogLevel.Information, MonarchLogLevel.Error, MonarchLogLevel.Warning, MonarchLogLevel.Debug };
            await viewer.AppendAsync(Enumerable.Range(0, 40)
                .Select(i => Entry(services[i % 3], levels[i % 4], t.AddSeconds(i), $"m{i:D2}"))
                .ToArray());
            var id = await IdOfAsync(viewer.Store, "m20");

            using (var json = await viewer.GetJsonAsync("api/context?n=5&id=" + Uri.EscapeDataString(id)))
            {
                var root = json.RootElement;
                Assert.Equal("m20", root.GetProperty("entry").GetProperty("message").GetString());
                Assert.Equal(id, root.GetProperty("entry").GetProperty("id").GetString());
                Assert.Equal(new[] { "m15", "m16", "m17", "m18", "m19" }, Messages(root, "before"));
                Assert.Equal(new[] { "m21", "m22", "m23", "m24", "m25" }, Messages(root, "after"));
            }

            // At the ends of the store the context is shorter; n defaults to 20.
            using (var json = await viewer.GetJsonAsync("api/context?id=" + Uri.EscapeDataString(await IdOfAsync(viewer.Store, "m02"))))
            {
                Assert.Equal(new[] { "m00", "m01" }, Messages(json.RootElement, "before"));
                Assert.Equal(Enumerable.Range(3, 20).Select(i => $"m{i:D2}"), Messages(json.RootElement, "after"));
            }

            using (var json = await viewer.GetJsonAsync("api/context?n=3&id=" + Uri.EscapeDataString(await IdOfAsync(viewer.Store, "m39"))))
            {
                Assert.Equal(new[] { "m36", "m37", "m38" }, Messages(json.RootElement, "before"));
                Assert.Empty(Messages(json.RootElement, "after"));
            }
        }

        [Fact]
        public async Task An_entry_the_store_no_longer_holds_gets_the_entries_around_its_place()
        {
            await using var viewer = await ViewerSession.StartAsync(_valkey);
            var t = HourStart;
            await viewer.AppendAsync(Enumerable.Range(0, 6).Select(i => Entry("orders", MonarchLogLevel.Information, t.AddSeconds(i * 10), $"m{i}")).ToArray());
            var gone = LogEntryId.Parse(await IdOfAsync(viewer.Store, "m3"));
            // A place between m2 and m3, in another partition, where no entry is.
            var missing = new LogEntryId(new StreamId(gone.Position.Milliseconds - 5000, 0), "billing", MonarchLogLevel.Error).ToString();

            using var json = await viewer.GetJsonAsync("api/context?n=2&id=" + Uri.EscapeDataString(missing));
            Assert.Equal(JsonValueKind.Null, json.RootElement.GetProperty("entry").ValueKind);
            Assert.Equal(new[] { "m1", "m2" }, Messages(json.RootElement, "before"));
            Assert.Equal(new[] { "m3", "m4" }, Messages(json.RootElement, "after"));
        }

        [Theory]
        [InlineData("api/context", "InvalidCursor", "id")]
        [InlineData("api/context?id=not-an-id", "InvalidCursor", "id")]
        [InlineData("api/context?id=1-0@x/error&id=2-0@x/error", "DuplicateParameter", "id")]
        [InlineData("api/context?id=1-0@x/error&n=0", "InvalidLimit", "n")]
        [InlineData("api/context?id=1-0@x/error&n=many", "InvalidLimit", "n")]
        public async Task A_bad_id_or_count_is_a_400_problem(string url, string errorId, string parameter)
        {
            await using var viewer = await ViewerSession.StartAsync(_valkey);
            using var response = await viewer.Http.GetAsync(url);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            Assert.Equal(errorId, problem.RootElement.GetProperty("errorId").GetString());
            Assert.Equal(parameter, problem.RootElement.GetProperty("parameter").GetString());
        }

        [Fact]
        public async Task The_count_is_capped()
        {
            await using var viewer = await ViewerSession.StartAsync(_valkey);
            var t = HourStart;
            await viewer.AppendAsync(Enumerable.Range(0, 1200).Select(i => Entry("bulk", MonarchLogLevel.Information, t.AddMilliseconds(i), $"b{i}")).ToArray());
            using var json = await viewer.GetJsonAsync("api/context?n=100000&id=" + Uri.EscapeDataString(await IdOfAsync(viewer.Store, "b600")));
            Assert.Equal(500, json.RootElement.GetProperty("before").GetArrayLength());
            Assert.Equal(500, json.RootElement.GetProperty("after").GetArrayLength());
        }

        private static string[] Messages(JsonElement root, string name) =>
            root.GetProperty(name).EnumerateArray().Select(e => e.GetProperty("message").GetString()!).ToArray();
    }
}
