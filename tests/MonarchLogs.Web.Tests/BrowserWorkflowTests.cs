using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using System.Threading.Tasks;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Playwright;
using MonarchLogs.Core;
using Xunit;
using static Microsoft.Playwright.Assertions;
using static MonarchLogs.Web.Tests.Seed;

namespace MonarchLogs.Web.Tests
{
    /// <summary>What an operator does with the page, in headless Chromium against a real viewer and Valkey.</summary>
    [Collection(BrowserCollection.Name)]
    public sealed class BrowserWorkflowTests
    {
        private const string TraceA = "7a447039f5cb2392e2319fc3670ef2a1";
        private const string TraceB = "0af7651916cd43dd8448eb211c80319c";
        private readonly BrowserFixture _browser;

        public BrowserWorkflowTests(BrowserFixture browser)
        {
            _browser = browser;
            SetDefaultExpectTimeout(15_000);
        }

        [Fact]
        public async Task Trace_id_property_value_and_event_id_of_an_opened_entry_filter_the_list_as_removable_chips_that_survive_a_reload()
        {
            await using var viewer = await ViewerSession.StartAsync(_browser.Valkey);
            var t = DateTime.UtcNow.AddMinutes(-30);
            MonarchLogEntry With(string message, int minute, string traceId, string properties, int eventId = 0, string eventName = "") => new MonarchLogEntry
            {
                Timestamp = t.AddMinutes(minute), Level = MonarchLogLevel.Information, Service = "orders", Category = "Monarch.Orders", Message = message,
                TraceId = traceId, Properties = properties, EventId = eventId, EventName = eventName, Host = "test-host",
            };
            await viewer.AppendAsync(
                With("placed", 1, TraceA, "{\"OrderId\":4711,\"Sku\":\"a*b[1]\"}", 1005, "OrderPlaced"),
                With("paid", 2, TraceA, "{\"OrderId\":4711,\"Sku\":\"azzb1\",\"Customer\":{\"Id\":7}}", 1006, "OrderPaid"),
                With("other order", 3, TraceB, "{\"OrderId\":4712,\"Sku\":\"a*b[1]\"}", 1005, "OrderPlaced"),
                With("no trace", 4, "", "{\"OrderId\":9007199254740993}"));

            var problems = new List<string>();
            var page = await _browser.NewPageAsync(problems);
            await page.GotoAsync(viewer.BaseUri.ToString());
            var messages = page.Locator("#rows tr.row .msg-text");
            await Expect(messages).ToHaveTextAsync(new[] { "no trace", "other order", "paid", "placed" });

            // The trace id of an opened entry.
            await page.ClickAsync("#rows tr.row:has-text('paid')");
            await page.ClickAsync("#rows tr.detail dd[data-field='Trace id'] button.filter-link");
            await Expect(messages).ToHaveTextAsync(new[] { "paid", "placed" });
            await Expect(page.Locator("#active-filters .chip[data-param=traceId] .chip-value")).ToHaveTextAsync(TraceA);
            Assert.Equal(TraceA, Query(page)["traceId"].ToString());

            // A reload restores the filter and its chip; removing the chip lifts it.
            await page.ReloadAsync();
            await Expect(messages).ToHaveTextAsync(new[] { "paid", "placed" });
            await page.ClickAsync("#active-filters .chip[data-param=traceId] .chip-remove");
            await Expect(messages).ToHaveCountAsync(4);
            await Expect(page.Locator("#active-filters")).ToBeHiddenAsync();
            Assert.False(Query(page).ContainsKey("traceId"));

            // A property value with wildcard characters matches only itself (a*b[1] as a wildcard would match azzb1).
            await page.ClickAsync("#rows tr.row:has-text('placed')");
            await page.Locator("#rows tr.detail dd[data-field='Properties'] button.filter-link", new() { HasTextString = "\"a*b[1]\"" }).ClickAsync();
            await Expect(messages).ToHaveTextAsync(new[] { "other order", "placed" });
            Assert.Equal("a`*b`[1`]", Query(page)["prop.Sku"].ToString());
            await Expect(page.Locator("#active-filters .chip[data-param='prop.Sku'] .chip-value")).ToHaveTextAsync("a`*b`[1`]");

            // A number, and a nested value by its dotted path, add conditions that must all hold.
            await page.ClickAsync("#rows tr.row:has-text('placed')");
            await page.Locator("#rows tr.detail dd[data-field='Properties'] button.filter-link", new() { HasTextString = "4711" }).ClickAsync();
            await Expect(messages).ToHaveTextAsync(new[] { "placed" });
            await page.ClickAsync("#active-filters .chip[data-param='prop.Sku'] .chip-remove");
            await Expect(messages).ToHaveTextAsync(new[] { "paid", "placed" });
            await page.ClickAsync("#rows tr.row:has-text('paid')");
            await page.ClickAsync("#rows tr.detail dd[data-field='Properties'] button.filter-link:text-is('7')");
            await Expect(messages).ToHaveTextAsync(new[] { "paid" });
            Assert.Equal("7", Query(page)["prop.Customer.Id"].ToString());
            await page.ClickAsync("#active-filters .chip[data-param='prop.Customer.Id'] .chip-remove");
            await page.ClickAsync("#active-filters .chip[data-param='prop.OrderId'] .chip-remove");
            await Expect(messages).ToHaveCountAsync(4);

            // A 64-bit number keeps its digits, shown and filtered.
            await page.ClickAsync("#rows tr.row:has-text('no trace')");
            await Expect(page.Locator("#rows tr.detail dd[data-field='Properties'] pre")).ToHaveTextAsync("{\n  \"OrderId\": 9007199254740993\n}");
            await page.ClickAsync("#rows tr.detail dd[data-field='Properties'] button.filter-link");
            await Expect(messages).ToHaveTextAsync(new[] { "no trace" });
            Assert.Equal("9007199254740993", Query(page)["prop.OrderId"].ToString());
            await page.ClickAsync("#active-filters .chip-remove");

            // The event id.
            await page.ClickAsync("#rows tr.row:has-text('other order')");
            await page.ClickAsync("#rows tr.detail dd[data-field='Event'] button.filter-link:text-is('1005')");
            await Expect(messages).ToHaveTextAsync(new[] { "other order", "placed" });
            Assert.Equal("1005", Query(page)["eventId"].ToString());
            await page.ReloadAsync();
            await Expect(messages).ToHaveTextAsync(new[] { "other order", "placed" });
            await Expect(page.Locator("#active-filters .chip[data-param=eventId] .chip-value")).ToHaveTextAsync("1005");
            await page.ClickAsync("#active-filters .chip-remove");
            await Expect(messages).ToHaveCountAsync(4);

            // The search box searches trace ids too, on the server.
            await page.FillAsync("#q", TraceB.Substring(4, 12));
            await page.ClickAsync("#filters button[type=submit]");
            await Expect(messages).ToHaveTextAsync(new[] { "other order" });
            Assert.True(problems.Count == 0, string.Join("\n", problems));
        }

        [Fact]
        public async Task A_permalink_opened_fresh_shows_the_entry_highlighted_among_the_entries_before_and_after_it()
        {
            await using var viewer = await ViewerSession.StartAsync(_browser.Valkey);
            var t = DateTime.UtcNow.AddHours(-1);
            var services = new[] { "orders", "billing", "shipping" };
            var levels = new[] { MonarchLogLevel.Information, MonarchLogLevel.Error, MonarchLogLevel.Warning, MonarchLogLevel.Debug };
            await viewer.AppendAsync(Enumerable.Range(0, 60).Select(i => Entry(services[i % 3], levels[i % 4], t.AddSeconds(i), $"m{i:D2}")).ToArray());

            var problems = new List<string>();
            var page = await _browser.NewPageAsync(problems);
            await page.GotoAsync(viewer.BaseUri + "?service=orders&level=Information");
            var messages = page.Locator("#rows tr.row .msg-text");
            await Expect(messages).ToHaveCountAsync(5);
            await page.ClickAsync("#rows tr.row:has-text('m24')");
            var link = page.Locator("#rows tr.detail a.permalink");
            var href = await link.GetAttributeAsync("href");
            Assert.NotNull(href);

            // Opened fresh, in a new tab.
            var fresh = await _browser.NewPageAsync(problems);
            await fresh.GotoAsync(new Uri(viewer.Root, href!).ToString());
            var around = fresh.Locator("#rows tr.row .msg-text");
            var expected = Enumerable.Range(4, 41).Reverse().Select(i => $"m{i:D2}").ToArray();
            await Expect(around).ToHaveTextAsync(expected);
            await Expect(fresh.Locator("#rows tr.row.target .msg-text")).ToHaveTextAsync("m24");
            await Expect(fresh.Locator("#rows tr.row.target + tr.detail dd[data-field='Message'] pre")).ToHaveTextAsync("m24");
            await Expect(fresh.Locator("#context-bar")).ToBeVisibleAsync();
            await Expect(fresh.Locator("#chart-panel")).ToBeHiddenAsync();
            Assert.Equal(new[] { "billing", "orders", "shipping" }, (await fresh.Locator("#rows td.service").AllTextContentsAsync()).Distinct().OrderBy(s => s));
            Assert.True(await fresh.Locator("#rows tr.row.target").IsVisibleAsync());
            var inView = await fresh.EvaluateAsync<bool>("() => { const r = document.querySelector('#rows tr.row.target').getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight; }");
            Assert.True(inView, "the entry is scrolled into view");
            await fresh.ScreenshotAsync(new PageScreenshotOptions { Path = Artifact("viewer-permalink.png") });

            // The link works in the same tab too, and the list is one click away.
            await link.ClickAsync();
            await Expect(messages).ToHaveTextAsync(expected);
            await page.ClickAsync("#context-back");
            await Expect(messages).ToHaveCountAsync(60);
            Assert.False(Query(page).ContainsKey("entry"));
            Assert.True(problems.Count == 0, string.Join("\n", problems));
        }

        [Fact]
        public async Task A_quick_range_stays_relative_in_the_url_so_that_a_reload_shows_the_window_up_to_now()
        {
            await using var viewer = await ViewerSession.StartAsync(_browser.Valkey);
            await viewer.AppendAsync(
                Entry("orders", MonarchLogLevel.Error, DateTime.UtcNow.AddDays(-8), "eight days ago"),
                Entry("orders", MonarchLogLevel.Error, DateTime.UtcNow.AddDays(-2), "two days ago"));

            var problems = new List<string>();
            var page = await _browser.NewPageAsync(problems);
            await page.GotoAsync(viewer.BaseUri.ToString());
            var messages = page.Locator("#rows tr.row .msg-text");
            var sevenDays = page.Locator("#quick button[data-since='-7d']");
            await page.ClickAsync("#quick button[data-since='-7d']");
            await Expect(messages).ToHaveTextAsync(new[] { "two days ago" });
            var query = Query(page);
            Assert.Equal("-7d", query["since"].ToString());
            Assert.False(query.ContainsKey("until"), page.Url);
            await Expect(sevenDays).ToHaveAttributeAsync("aria-pressed", "true");

            // A permalink names one entry, whatever the range.
            await page.ClickAsync("#rows tr.row:has-text('two days ago')");
            var href = await page.Locator("#rows tr.detail a.permalink").GetAttributeAsync("href");
            var permalink = QueryHelpers.ParseQuery(new Uri(viewer.Root, href!).Query);
            Assert.Equal(new[] { "entry" }, permalink.Keys);
            Assert.Equal(await IdOfAsync(viewer.Store, "two days ago"), permalink["entry"].ToString());

            // Logged after the choice, inside the window: a reload reads the last 7 days up to now.
            await viewer.AppendAsync(Entry("orders", MonarchLogLevel.Error, DateTime.UtcNow, "written later"));
            await page.ReloadAsync();
            await Expect(messages).ToHaveTextAsync(new[] { "written later", "two days ago" });
            await Expect(sevenDays).ToHaveAttributeAsync("aria-pressed", "true");
            Assert.Equal("-7d", Query(page)["since"].ToString());
            Assert.False(Query(page).ContainsKey("until"), page.Url);
            await Expect(page.Locator("#live")).ToBeEnabledAsync();
            Assert.True(problems.Count == 0, string.Join("\n", problems));
        }

        [Fact]
        public async Task A_custom_range_goes_into_the_url_as_absolute_times_and_a_reload_restores_every_filter()
        {
            await using var viewer = await ViewerSession.StartAsync(_browser.Valkey);
            // Oldest first: a partition's entry ids only go forwards.
            await viewer.AppendAsync(
                Entry("orders", MonarchLogLevel.Error, DateTime.UtcNow.AddHours(-2), "two hours ago"),
                new MonarchLogEntry
                {
                    Timestamp = DateTime.UtcNow.AddMinutes(-10), Level = MonarchLogLevel.Error, Service = "orders", Category = "C", Message = "in the hour",
                    TraceId = TraceA, SpanId = "00f067aa0ba902b7", EventId = 12, ExceptionType = "System.TimeoutException", Exception = "System.TimeoutException: slow",
                    Properties = "{\"TenantId\":\"t-42\"}",
                });

            var problems = new List<string>();
            var page = await _browser.NewPageAsync(problems);
            await page.GotoAsync(viewer.BaseUri.ToString());
            var messages = page.Locator("#rows tr.row .msg-text");
            await Expect(messages).ToHaveCountAsync(2);

            // The browser's clock is in UTC (BrowserFixture), so the fields take UTC.
            var until = WholeSecond(DateTime.UtcNow);
            var since = until.AddHours(-1);
            await page.ClickAsync("#quick button[data-since='custom']");
            await page.FillAsync("#since", InputValue(since));
            await page.FillAsync("#until", InputValue(until));
            await Expect(messages).ToHaveTextAsync(new[] { "in the hour" });
            var query = Query(page);
            Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", query["since"].ToString());
            Assert.Equal(since, ParseUtc(query["since"].ToString()));
            Assert.Equal(until, ParseUtc(query["until"].ToString()));

            // An entry written after the end is outside the shared range.
            await viewer.AppendAsync(Entry("orders", MonarchLogLevel.Error, DateTime.UtcNow.AddSeconds(1), "written later"));

            // Every filter in one URL, structure filters included; a reload restores them all.
            await page.CheckAsync("input[name=level][value=Error]");
            await Expect(messages).ToHaveTextAsync(new[] { "in the hour" });
            var url = page.Url + "&traceId=" + TraceA.ToUpperInvariant() + "&spanId=00f067aa0ba902b7&eventId=12&exceptionType=System.Timeout*&hasException=true&prop.TenantId=t-4*&category=C&q=hour";
            await page.GotoAsync(url);
            await Expect(messages).ToHaveTextAsync(new[] { "in the hour" });
            await Expect(page.Locator("#quick button[data-since='custom']")).ToHaveAttributeAsync("aria-pressed", "true");
            await Expect(page.Locator("#since")).ToHaveValueAsync(InputValue(since));
            await Expect(page.Locator("#until")).ToHaveValueAsync(InputValue(until));
            await Expect(page.Locator("input[name=level][value=Error]")).ToBeCheckedAsync();
            await Expect(page.Locator("#q")).ToHaveValueAsync("hour");
            await Expect(page.Locator("#category")).ToHaveValueAsync("C");
            Assert.Equal(
                new[] { "traceId", "spanId", "eventId", "exceptionType", "prop.TenantId", "hasException" },
                await page.Locator("#active-filters .chip").EvaluateAllAsync<string[]>("chips => chips.map(c => c.getAttribute('data-param'))"));

            // Each chip filters: without the property condition that no entry meets, the entry is back.
            await page.GotoAsync(url.Replace("prop.TenantId=t-4*", "prop.TenantId=t-5*", StringComparison.Ordinal));
            await Expect(page.Locator("#empty")).ToBeVisibleAsync();
            await page.ClickAsync("#active-filters .chip[data-param='prop.TenantId'] .chip-remove");
            await Expect(messages).ToHaveTextAsync(new[] { "in the hour" });
            Assert.Equal(since, ParseUtc(Query(page)["since"].ToString()));
            Assert.True(problems.Count == 0, string.Join("\n", problems));
        }

        [Fact]
        public async Task A_range_with_an_end_turns_the_live_tail_off_and_a_range_open_at_the_end_allows_it_again()
        {
            await using var viewer = await ViewerSession.StartAsync(_browser.Valkey);
            await viewer.AppendAsync(Entry("tail", MonarchLogLevel.Error, DateTime.UtcNow.AddMinutes(-5), "before"));

            var problems = new List<string>();
            var page = await _browser.NewPageAsync(problems);
            var live = page.Locator("#live");
            var liveSwitch = page.Locator("label:has(#live)");
            await page.GotoAsync(viewer.BaseUri + "?live=1");
            await Expect(page.Locator("body")).ToHaveAttributeAsync("data-live", "on");

            // An end chosen in the To field: the tail stops and cannot be turned on, and says why.
            await page.ClickAsync("#quick button[data-since='custom']");
            await page.FillAsync("#until", InputValue(WholeSecond(DateTime.UtcNow.AddMinutes(1))));
            await Expect(page).ToHaveURLAsync(new Regex("until="));
            await Expect(page.Locator("body")).ToHaveAttributeAsync("data-live", "off");
            await Expect(live).Not.ToBeCheckedAsync();
            await Expect(live).ToBeDisabledAsync();
            await Expect(liveSwitch).ToHaveAttributeAsync("title", new Regex("end of the time range"));
            Assert.False(Query(page).ContainsKey("live"), page.Url);

            // A shared link with an end and live=1 opens with the tail off.
            var since = WholeSecond(DateTime.UtcNow.AddHours(-1));
            await page.GotoAsync(viewer.BaseUri + "?since=" + Iso(since) + "&until=" + Iso(since.AddMinutes(90)) + "&live=1");
            await Expect(page.Locator("#rows tr.row .msg-text")).ToHaveTextAsync(new[] { "before" });
            await Expect(live).Not.ToBeCheckedAsync();
            await Expect(live).ToBeDisabledAsync();
            await Expect(page.Locator("body")).ToHaveAttributeAsync("data-live", "off");
            Assert.False(Query(page).ContainsKey("live"), page.Url);

            // A range open at the end: the tail may run again.
            await page.ClickAsync("#quick button[data-since='-1h']");
            await Expect(live).ToBeEnabledAsync();
            await Expect(live).Not.ToBeCheckedAsync();
            await liveSwitch.ClickAsync();
            await Expect(page.Locator("body")).ToHaveAttributeAsync("data-live", "on");
            Assert.Equal("1", Query(page)["live"].ToString());
            Assert.Equal("-1h", Query(page)["since"].ToString());
            Assert.True(problems.Count == 0, string.Join("\n", problems));
        }

        [Fact]
        public async Task At_phone_width_the_page_fits_the_screen_the_message_has_room_and_the_downloads_are_reachable()
        {
            await using var viewer = await ViewerSession.StartAsync(_browser.Valkey);
            var now = DateTime.UtcNow;
            await viewer.AppendAsync(
                Entry("orders", MonarchLogLevel.Information, now.AddMinutes(-3), "Order 1 placed for customer 42 with three items and express shipping"),
                Entry("a-service-with-a-rather-long-name", MonarchLogLevel.Critical, now.AddMinutes(-2), new string('x', 400),
                    exception: "System.InvalidOperationException: " + new string('y', 300), properties: "{\"Key\":\"" + new string('z', 300) + "\"}"),
                Entry("billing", MonarchLogLevel.Warning, now.AddMinutes(-1), "Invoice 8 slow"));

            var problems = new List<string>();
            var page = await _browser.NewPageAsync(problems);
            await page.SetViewportSizeAsync(390, 844);
            await page.GotoAsync(viewer.BaseUri.ToString());
            await Expect(page.Locator("#rows tr.row .msg-text")).ToHaveCountAsync(3);
            await Expect(page.Locator("body")).ToHaveAttributeAsync("data-loading", "0");
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Artifact("viewer-phone.png"), FullPage = true });

            Assert.True(await PageWidthAsync(page) <= 390, $"the page is {await PageWidthAsync(page)} px wide");
            var message = await page.Locator("#rows tr.row td.msg").First.BoundingBoxAsync();
            Assert.NotNull(message);
            Assert.True(message!.Width >= 300, $"the message has {message.Width} px");
            Assert.True(message.X >= 0 && message.X + message.Width <= 390);
            Assert.Equal("Invoice 8 slow", await page.Locator("#rows tr.row .msg-text").First.InnerTextAsync());
            foreach (var id in new[] { "#download-csv", "#download-json", "#filters button[type=submit]", "label:has(#live)", "label:has(#utc)" })
            {
                var box = await page.Locator(id).BoundingBoxAsync();
                Assert.True(box is not null && box.X >= 0 && box.X + box.Width <= 390 && box.Width > 20, $"{id} is at {box?.X}+{box?.Width}");
            }

            var download = await page.RunAndWaitForDownloadAsync(() => page.ClickAsync("#download-json"));
            Assert.EndsWith(".json", download.SuggestedFilename);

            // An opened entry with long unbroken text wraps inside the screen too.
            await page.ClickAsync("#rows tr.row:has-text('xxxx')");
            await Expect(page.Locator("#rows tr.detail dd[data-field='Properties'] button.filter-link")).ToBeVisibleAsync();
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Artifact("viewer-phone-detail.png"), FullPage = true });
            Assert.True(await PageWidthAsync(page) <= 390, $"with an opened entry the page is {await PageWidthAsync(page)} px wide");
            var detail = await page.Locator("#rows tr.detail dd[data-field='Message']").BoundingBoxAsync();
            Assert.True(detail is not null && detail.X + detail.Width <= 390 && detail.Width >= 300, $"the opened message is at {detail?.X}+{detail?.Width}");
            Assert.True(problems.Count == 0, string.Join("\n", problems));
        }

        [Fact]
        public async Task Load_more_goes_on_past_5000_rows_and_the_summary_offers_more_only_when_the_button_can_load_it()
        {
            await using var viewer = await ViewerSession.StartAsync(_browser.Valkey);
            var start = DateTime.UtcNow.AddHours(-2);
            await viewer.AppendAsync(Enumerable.Range(0, 5150).Select(i => Entry("bulk", MonarchLogLevel.Information, start.AddSeconds(i), $"bulk {i:D4}")).ToArray());

            var problems = new List<string>();
            var page = await _browser.NewPageAsync(problems);
            await page.GotoAsync(viewer.BaseUri.ToString());
            var messages = page.Locator("#rows tr.row .msg-text");
            var summary = page.Locator("#summary");
            await Expect(messages).ToHaveCountAsync(100);
            for (var shown = 100; shown < 5000; shown += 100)
            {
                await page.ClickAsync("#load-more");
                await Expect(messages).ToHaveCountAsync(shown + 100);
            }

            await Expect(messages.Last).ToHaveTextAsync("bulk 0150");
            await Expect(summary).ToContainTextAsync("more available");

            // Past the cap the newest rows make room, and the summary says so.
            await page.ClickAsync("#load-more");
            await Expect(messages.Last).ToHaveTextAsync("bulk 0050");
            await Expect(messages).ToHaveCountAsync(5000);
            await Expect(messages.First).ToHaveTextAsync("bulk 5049");
            await Expect(summary).ToContainTextAsync("100 newest");
            await Expect(summary).ToContainTextAsync("more available");

            await page.ClickAsync("#load-more");
            await Expect(messages.Last).ToHaveTextAsync("bulk 0000");
            await Expect(page.Locator("#load-more")).ToBeHiddenAsync();
            await Expect(summary).Not.ToContainTextAsync("more available");
            await Expect(messages).ToHaveCountAsync(5000);
            await Expect(messages.First).ToHaveTextAsync("bulk 4999");
            Assert.True(problems.Count == 0, string.Join("\n", problems));
        }

        [Fact]
        public async Task A_service_with_a_comma_in_its_name_is_one_box_that_filters_by_it_and_survives_a_reload()
        {
            await using var viewer = await ViewerSession.StartAsync(_browser.Valkey);
            var now = DateTime.UtcNow;
            await viewer.AppendAsync(
                Entry("eu,west", MonarchLogLevel.Information, now.AddMinutes(-3), "from eu,west"),
                Entry("eu", MonarchLogLevel.Information, now.AddMinutes(-2), "from eu"),
                Entry("west", MonarchLogLevel.Information, now.AddMinutes(-1), "from west"));

            var problems = new List<string>();
            var page = await _browser.NewPageAsync(problems);
            await page.GotoAsync(viewer.BaseUri.ToString());
            var messages = page.Locator("#rows tr.row .msg-text");
            var boxes = page.Locator("#services input[name=service]");
            await Expect(messages).ToHaveCountAsync(3);
            await Expect(boxes).ToHaveCountAsync(3);

            await page.Locator("#services label", new() { HasTextString = "eu,west" }).Locator("input").CheckAsync();
            await Expect(messages).ToHaveTextAsync(new[] { "from eu,west" });
            Assert.Equal(new[] { "eu`,west" }, Query(page)["service"].ToArray());

            await page.ReloadAsync();
            await Expect(messages).ToHaveTextAsync(new[] { "from eu,west" });
            await Expect(boxes).ToHaveCountAsync(3);
            Assert.Equal(new[] { "eu,west" }, await page.Locator("#services label:has(input:checked)").AllTextContentsAsync());

            // Two boxes: two parameters.
            await page.Locator("#services label", new() { HasTextString = "west" }).Filter(new() { HasNotTextString = "," }).Locator("input").CheckAsync();
            await Expect(messages).ToHaveTextAsync(new[] { "from west", "from eu,west" });
            Assert.Equal(new[] { "eu`,west", "west" }, Query(page)["service"].ToArray().OrderBy(s => s, StringComparer.Ordinal));
            Assert.True(problems.Count == 0, string.Join("\n", problems));
        }

        [Fact]
        public async Task With_the_utc_switch_on_the_custom_range_fields_show_and_take_utc()
        {
            await using var viewer = await ViewerSession.StartAsync(_browser.Valkey);
            var context = await _browser.NewZonedContextAsync("Asia/Kolkata");   // UTC+05:30 all year
            try
            {
                var problems = new List<string>();
                var page = await context.NewPageAsync();
                page.PageError += (_, error) => problems.Add("page error: " + error);
                // Seconds that are not zero: a datetime-local field writes 10:15:00 as 10:15.
                await page.GotoAsync(viewer.BaseUri + "?tz=utc&since=2025-01-02T03:04:05.000Z&until=2025-01-02T05:00:09.000Z");
                await Expect(page.Locator("#since")).ToHaveValueAsync("2025-01-02T03:04:05");
                await Expect(page.Locator("#until")).ToHaveValueAsync("2025-01-02T05:00:09");
                await Expect(page.Locator("#custom-zone")).ToHaveTextAsync("UTC");

                await page.FillAsync("#since", "2025-01-02T01:00:07");
                await Expect(page).ToHaveURLAsync(new Regex("since=2025-01-02T01%3A00%3A07.000Z"));
                await Expect(page.Locator("#since")).ToHaveValueAsync("2025-01-02T01:00:07");

                // Switched off, the same instants show in the browser's zone, and a typed time is local.
                await page.ClickAsync("label:has(#utc)");
                await Expect(page.Locator("#since")).ToHaveValueAsync("2025-01-02T06:30:07");
                await Expect(page.Locator("#custom-zone")).ToHaveTextAsync("local time");
                await page.FillAsync("#until", "2025-01-02T12:00:11");
                await Expect(page).ToHaveURLAsync(new Regex("until=2025-01-02T06%3A30%3A11.000Z"));
                Assert.True(problems.Count == 0, string.Join("\n", problems));
            }
            finally
            {
                await context.CloseAsync();
            }
        }

        /// <summary>A page on <paramref name="viewer"/> with the live tail on, after one entry of a minute ago ("before", service "first").</summary>
        private async Task<IPage> OpenLiveAfterOneEntryAsync(ViewerSession viewer, List<string> problems)
        {
            await viewer.AppendAsync(Entry("first", MonarchLogLevel.Information, DateTime.UtcNow.AddMinutes(-1), "before"));
            var page = await _browser.NewPageAsync(problems);
            await page.GotoAsync(viewer.BaseUri + "?live=1");
            await Expect(page.Locator("body")).ToHaveAttributeAsync("data-live", "on");
            return page;
        }

        [Fact]
        public async Task A_live_entry_older_than_rows_shown_goes_below_them()
        {
            // The tail may bring an entry after a newer one (of a partition it found a moment
            // later): the table stays newest first by event time.
            await using var viewer = await ViewerSession.StartAsync(_browser.Valkey);
            var problems = new List<string>();
            var page = await OpenLiveAfterOneEntryAsync(viewer, problems);

            var now = DateTime.UtcNow;
            await viewer.AppendAsync(Entry("first", MonarchLogLevel.Information, now, "newer"));
            await Expect(page.Locator("#rows tr.row .msg-text")).ToHaveTextAsync(new[] { "newer", "before" });
            await viewer.AppendAsync(Entry("first", MonarchLogLevel.Warning, now.AddSeconds(-5), "older"));
            await Expect(page.Locator("#rows tr.row .msg-text")).ToHaveTextAsync(new[] { "newer", "older", "before" });
            Assert.True(problems.Count == 0, string.Join("\n", problems));
        }

        [Fact]
        public async Task A_service_first_seen_in_the_live_tail_gets_its_box()
        {
            await using var viewer = await ViewerSession.StartAsync(_browser.Valkey);
            var problems = new List<string>();
            var page = await OpenLiveAfterOneEntryAsync(viewer, problems);
            await Expect(page.Locator("#services input[name=service]")).ToHaveCountAsync(1);

            var now = DateTime.UtcNow;
            await viewer.AppendAsync(
                Entry("newcomer", MonarchLogLevel.Critical, now, "arrived live"),
                Entry("first", MonarchLogLevel.Information, now.AddMilliseconds(10), "again"));
            await Expect(page.Locator("#rows tr.row .msg-text")).ToHaveTextAsync(new[] { "again", "arrived live", "before" });
            await Expect(page.Locator("#services input[name=service]")).ToHaveCountAsync(2);
            await Expect(page.Locator("#services input[name=service][value=newcomer]")).Not.ToBeCheckedAsync();
            await Expect(page.Locator("#levels input[name=level][value=Critical]")).ToHaveCountAsync(1);

            // The new box filters like any other.
            await page.CheckAsync("#services input[name=service][value=newcomer]");
            await Expect(page.Locator("#rows tr.row .msg-text")).ToHaveTextAsync(new[] { "arrived live" });
            Assert.True(problems.Count == 0, string.Join("\n", problems));
        }

        [Fact]
        public async Task The_services_box_never_cuts_a_row_and_shows_while_more_is_below()
        {
            await using var viewer = await ViewerSession.StartAsync(_browser.Valkey);
            var now = DateTime.UtcNow;
            var names = Enumerable.Range(1, 24).Select(i => $"service-{i:D2}").ToArray();
            await viewer.AppendAsync(names.Select((name, i) => Entry(name, MonarchLogLevel.Information, now.AddMinutes(-i - 1), "from " + name)).ToArray());

            var problems = new List<string>();
            var page = await _browser.NewPageAsync(problems);
            await page.GotoAsync(viewer.BaseUri.ToString());
            await Expect(page.Locator("#services input[name=service]")).ToHaveCountAsync(names.Length);
            await Expect(page.Locator("#services")).ToHaveClassAsync(new Regex("more-below"));
            Assert.True(await page.EvaluateAsync<bool>("() => { const b = document.getElementById('services'); return b.scrollHeight > b.clientHeight; }"));
            Assert.Equal(string.Empty, await CutLabelsAsync(page));

            await page.EvaluateAsync("() => { const b = document.getElementById('services'); b.scrollTop = b.scrollHeight; }");
            await Expect(page.Locator("#services")).Not.ToHaveClassAsync(new Regex("more-below"));
            Assert.Equal(string.Empty, await CutLabelsAsync(page));
            await Expect(page.Locator("#services label", new() { HasTextString = "service-24" })).ToBeInViewportAsync();
            Assert.True(problems.Count == 0, string.Join("\n", problems));
        }

        [Fact]
        public async Task Every_bad_parameter_of_a_url_is_listed_on_the_page()
        {
            await using var viewer = await ViewerSession.StartAsync(_browser.Valkey);
            var problems = new List<string>();
            var page = await _browser.NewPageAsync(problems);
            await page.GotoAsync(viewer.BaseUri + "?since=never&level=loud&prop.OrderId=%5B4");
            var error = page.Locator("#error");
            await Expect(error).ToBeVisibleAsync();
            var lines = (await error.InnerTextAsync()).Split('\n');
            Assert.Equal("Invalid request parameters:", lines[0]);
            Assert.Equal(3, lines.Length - 1);
            Assert.StartsWith("• since: ", lines[1]);
            Assert.EndsWith("[InvalidTimeExpression]", lines[1]);
            Assert.StartsWith("• level: ", lines[2]);
            Assert.EndsWith("[InvalidLevel]", lines[2]);
            Assert.StartsWith("• prop.OrderId: ", lines[3]);
            Assert.EndsWith("[InvalidWildcard]", lines[3]);
        }

        /// <summary>The labels of the services box that show only in part, at its current scroll position.</summary>
        private static Task<string> CutLabelsAsync(IPage page) => page.EvaluateAsync<string>(@"() => {
            const box = document.getElementById('services');
            const outer = box.getBoundingClientRect();
            const top = outer.top + box.clientTop, bottom = top + box.clientHeight;
            return Array.from(box.querySelectorAll('label')).filter(l => {
                const r = l.getBoundingClientRect();
                const inside = r.top >= top - 0.5 && r.bottom <= bottom + 0.5;
                const outside = r.bottom <= top + 0.5 || r.top >= bottom - 0.5;
                return !inside && !outside;
            }).map(l => l.textContent).join(', ');
        }");

        private static DateTime WholeSecond(DateTime utc) => new DateTime(utc.Ticks / TimeSpan.TicksPerSecond * TimeSpan.TicksPerSecond, DateTimeKind.Utc);

        private static DateTime ParseUtc(string iso) => DateTime.Parse(iso, null, System.Globalization.DateTimeStyles.RoundtripKind);

        /// <summary>A time as a datetime-local field in UTC holds it: without the seconds when they are zero.</summary>
        private static string InputValue(DateTime utc) => utc.ToString(utc.Second == 0 ? "yyyy-MM-dd'T'HH:mm" : "yyyy-MM-dd'T'HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture);

        private static Task<int> PageWidthAsync(IPage page) => page.EvaluateAsync<int>("() => document.scrollingElement.scrollWidth");

        private static Dictionary<string, Microsoft.Extensions.Primitives.StringValues> Query(IPage page) => QueryHelpers.ParseQuery(new Uri(page.Url).Query);

        private static string Artifact(string name) => Path.Combine(BrowserFixture.ArtifactsDirectory, name);
    }
}
