using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.Playwright;
using MonarchLogs.Core;
using Xunit;
using static Microsoft.Playwright.Assertions;
using static MonarchLogs.Web.Tests.Seed;

namespace MonarchLogs.Web.Tests
{
    /// <summary>The page in real headless Chromium against a real viewer and a real Valkey.</summary>
    [Collection(BrowserCollection.Name)]
    public sealed class BrowserTests
    {
        private const string ScriptMessage = "<script>window.__pwned=1</script>";
        private const string ImageMessage = "<img src=x onerror=\"window.__pwned=1\">";
        private readonly BrowserFixture _browser;

        public BrowserTests(BrowserFixture browser)
        {
            _browser = browser;
            SetDefaultExpectTimeout(15_000);
        }

        [Fact]
        public async Task Filtering_by_level_and_by_service_shows_exactly_the_right_rows()
        {
            await using var viewer = await ViewerSession.StartAsync(_browser.Valkey);
            var now = DateTime.UtcNow;
            await viewer.AppendAsync(
                Entry("orders", MonarchLogLevel.Error, now.AddDays(-3), "Order 0 failed long ago"),
                Entry("orders", MonarchLogLevel.Information, now.AddMinutes(-50), "Order 1 placed", category: "Monarch.Orders.Checkout"),
                Entry("orders", MonarchLogLevel.Error, now.AddMinutes(-40), "Order 2 failed", category: "Monarch.Orders.Payment",
                    exception: "System.InvalidOperationException: card declined\n   at Monarch.Orders.Payment.Charge()", properties: "{\"OrderId\":2,\"Amount\":19.99}"),
                Entry("billing", MonarchLogLevel.Error, now.AddMinutes(-30), "Invoice 7 failed", category: "Monarch.Billing.Invoices"),
                Entry("billing", MonarchLogLevel.Warning, now.AddMinutes(-20), "Invoice 8 slow", category: "Monarch.Billing.Invoices"),
                Entry("shipping", MonarchLogLevel.Information, now.AddMinutes(-10), "Parcel 3 sent", category: "Monarch.Shipping"));

            var problems = new List<string>();
            var page = await _browser.NewPageAsync(problems);
            await page.GotoAsync(viewer.BaseUri.ToString());
            var messages = page.Locator("#rows tr.row .msg-text");

            // The default range is the last 24 hours, newest first.
            await Expect(messages).ToHaveTextAsync(new[] { "Parcel 3 sent", "Invoice 8 slow", "Invoice 7 failed", "Order 2 failed", "Order 1 placed" });
            await Expect(page.Locator("input[name=level]")).ToHaveCountAsync(3);
            await Expect(page.Locator("input[name=service]")).ToHaveCountAsync(3);
            await Expect(page.Locator("#legend")).ToContainTextAsync("Error 2");
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Artifact("viewer-overview.png"), FullPage = true });

            await page.CheckAsync("input[name=level][value=Error]");
            await Expect(messages).ToHaveTextAsync(new[] { "Invoice 7 failed", "Order 2 failed" });
            Assert.Contains("level=Error", page.Url);

            await page.UncheckAsync("input[name=level][value=Error]");
            await page.CheckAsync("input[name=service][value=billing]");
            await Expect(messages).ToHaveTextAsync(new[] { "Invoice 8 slow", "Invoice 7 failed" });

            await page.CheckAsync("input[name=level][value=Warning]");
            await Expect(messages).ToHaveTextAsync(new[] { "Invoice 8 slow" });
            Assert.Contains("service=billing", page.Url);

            await page.UncheckAsync("input[name=level][value=Warning]");
            await page.UncheckAsync("input[name=service][value=billing]");
            await page.CheckAsync("input[name=service][value=orders]");
            await page.ClickAsync("#quick button[data-since=all]");
            await Expect(messages).ToHaveTextAsync(new[] { "Order 2 failed", "Order 1 placed", "Order 0 failed long ago" });

            // A row opens to show every field.
            await page.ClickAsync("#rows tr.row:has-text('Order 2 failed')");
            var detail = page.Locator("#rows tr.detail");
            await Expect(detail.Locator("dd[data-field='Exception'] pre")).ToHaveTextAsync("System.InvalidOperationException: card declined\n   at Monarch.Orders.Payment.Charge()");
            await Expect(detail.Locator("dd[data-field='Properties'] pre")).ToHaveTextAsync("{\n  \"OrderId\": 2,\n  \"Amount\": 19.99\n}");
            await Expect(detail.Locator("dd[data-field='Category']")).ToHaveTextAsync("Monarch.Orders.Payment");
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Artifact("viewer-expanded-row.png"), FullPage = true });
            Assert.True(problems.Count == 0, string.Join("\n", problems));
        }

        [Fact]
        public async Task A_shared_url_restores_the_filters_and_the_download_holds_the_same_result()
        {
            await using var viewer = await ViewerSession.StartAsync(_browser.Valkey);
            var now = DateTime.UtcNow;
            await viewer.AppendAsync(
                Entry("billing", MonarchLogLevel.Error, now.AddMinutes(-50), "Invoice 1 failed"),
                Entry("billing", MonarchLogLevel.Error, now.AddMinutes(-40), "Refund 2 failed"),
                Entry("billing", MonarchLogLevel.Information, now.AddMinutes(-30), "Invoice 3 paid"),
                Entry("billing", MonarchLogLevel.Error, now.AddMinutes(-20), "Invoice 4 failed"),
                Entry("orders", MonarchLogLevel.Error, now.AddMinutes(-10), "Invoice 5 failed in orders"));

            var problems = new List<string>();
            var page = await _browser.NewPageAsync(problems);
            await page.GotoAsync(viewer.BaseUri + "?since=-1h&level=Error&service=billing&q=invoice");
            var messages = page.Locator("#rows tr.row .msg-text");
            await Expect(messages).ToHaveTextAsync(new[] { "Invoice 4 failed", "Invoice 1 failed" });
            await Expect(page.Locator("input[name=level][value=Error]")).ToBeCheckedAsync();
            await Expect(page.Locator("input[name=level][value=Information]")).Not.ToBeCheckedAsync();
            await Expect(page.Locator("input[name=service][value=billing]")).ToBeCheckedAsync();
            await Expect(page.Locator("input[name=service][value=orders]")).Not.ToBeCheckedAsync();
            await Expect(page.Locator("#q")).ToHaveValueAsync("invoice");
            await Expect(page.Locator("#quick button[data-since='-1h']")).ToHaveAttributeAsync("aria-pressed", "true");

            // The chart counts the same entries: two error bars.
            await Expect(page.Locator("#legend")).ToHaveTextAsync("Error 2");
            var errorPixels = await page.EvaluateAsync<int>(@"() => {
                const c = document.getElementById('chart');
                const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                let n = 0;
                for (let i = 0; i < d.length; i += 4) if (d[i] === 220 && d[i + 1] === 38 && d[i + 2] === 38) n++;
                return n;
            }");
            Assert.True(errorPixels > 50, $"expected error-coloured bars on the chart, found {errorPixels} pixels");

            var download = await page.RunAndWaitForDownloadAsync(() => page.ClickAsync("#download-csv"));
            Assert.EndsWith(".csv", download.SuggestedFilename);
            var csv = await File.ReadAllTextAsync((await download.PathAsync())!);
            var lines = csv.Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(3, lines.Length);
            Assert.Contains("\"Invoice 4 failed\"", lines[1]);
            Assert.Contains("\"Invoice 1 failed\"", lines[2]);
            Assert.True(problems.Count == 0, string.Join("\n", problems));
        }

        [Fact]
        public async Task Load_more_continues_with_the_next_page()
        {
            await using var viewer = await ViewerSession.StartAsync(_browser.Valkey);
            var start = DateTime.UtcNow.AddHours(-2);
            await viewer.AppendAsync(Enumerable.Range(0, 130).Select(i => Entry("bulk", MonarchLogLevel.Information, start.AddSeconds(i), $"bulk {i:D3}")).ToArray());

            var problems = new List<string>();
            var page = await _browser.NewPageAsync(problems);
            await page.GotoAsync(viewer.BaseUri.ToString());
            var messages = page.Locator("#rows tr.row .msg-text");
            await Expect(messages).ToHaveCountAsync(100);
            await Expect(messages.First).ToHaveTextAsync("bulk 129");
            await page.ClickAsync("#load-more");
            await Expect(messages).ToHaveCountAsync(130);
            await Expect(messages.Last).ToHaveTextAsync("bulk 000");
            await Expect(page.Locator("#load-more")).ToBeHiddenAsync();
            var texts = await messages.AllTextContentsAsync();
            Assert.Equal(130, texts.Distinct().Count());
            Assert.True(problems.Count == 0, string.Join("\n", problems));
        }

        [Fact]
        public async Task With_live_tail_on_a_new_entry_appears_without_a_reload()
        {
            await using var viewer = await ViewerSession.StartAsync(_browser.Valkey);
            await viewer.AppendAsync(Entry("tail", MonarchLogLevel.Error, DateTime.UtcNow.AddMinutes(-5), "before live"));

            var problems = new List<string>();
            var page = await _browser.NewPageAsync(problems);
            await page.GotoAsync(viewer.BaseUri + "?level=Error");
            var messages = page.Locator("#rows tr.row .msg-text");
            await Expect(messages).ToHaveTextAsync(new[] { "before live" });

            await page.ClickAsync("label:has(#live)");
            await Expect(page.Locator("body")).ToHaveAttributeAsync("data-live", "on");
            await Expect(page.Locator("#status")).ToHaveTextAsync("Live");
            Assert.Contains("live=1", page.Url);

            await viewer.AppendAsync(
                Entry("tail", MonarchLogLevel.Information, DateTime.UtcNow, "filtered out by level"),
                Entry("tail", MonarchLogLevel.Error, DateTime.UtcNow, "arrived live"));
            await Expect(messages).ToHaveTextAsync(new[] { "arrived live", "before live" });
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Artifact("viewer-live-tail.png") });

            await page.ClickAsync("label:has(#live)");
            await Expect(page.Locator("body")).ToHaveAttributeAsync("data-live", "off");
            Assert.True(problems.Count == 0, string.Join("\n", problems));
        }

        [Fact]
        public async Task Hostile_messages_show_literally_and_run_nothing()
        {
            await using var viewer = await ViewerSession.StartAsync(_browser.Valkey);
            const string hostileService = "<img src=x onerror=window.__pwned=2>";
            var now = DateTime.UtcNow;
            await viewer.AppendAsync(
                Entry("web", MonarchLogLevel.Error, now.AddMinutes(-3), ScriptMessage),
                Entry("web", MonarchLogLevel.Error, now.AddMinutes(-2), ImageMessage),
                Entry(hostileService, MonarchLogLevel.Warning, now.AddMinutes(-1), "<b>not bold</b>\n<i>line two</i>",
                    category: "<svg onload=window.__pwned=3>", exception: "<iframe src=\"javascript:window.__pwned=4\"></iframe>",
                    properties: "{\"html\":\"<img src=x onerror=window.__pwned=5>\"}"));

            var problems = new List<string>();
            var page = await _browser.NewPageAsync(problems);
            await page.GotoAsync(viewer.BaseUri + "?live=1");
            await Expect(page.Locator("body")).ToHaveAttributeAsync("data-live", "on");
            // The same through the live tail.
            const string liveMessage = "<img src=y onerror=\"window.__pwned=6\">live";
            await viewer.AppendAsync(Entry("web", MonarchLogLevel.Critical, DateTime.UtcNow, liveMessage));

            var messages = page.Locator("#rows tr.row .msg-text");
            await Expect(messages).ToHaveTextAsync(new[] { liveMessage, "<b>not bold</b>\n<i>line two</i>", ImageMessage, ScriptMessage });
            await Expect(page.Locator($"input[name=service][value='{hostileService}'] + span")).ToHaveTextAsync(hostileService);
            await Expect(page.Locator("#rows td.service").Nth(1)).ToHaveTextAsync(hostileService);

            await page.ClickAsync("#rows tr.row:nth-child(2)");
            var detail = page.Locator("#rows tr.detail");
            await Expect(detail.Locator("dd[data-field='Message'] pre")).ToHaveTextAsync("<b>not bold</b>\n<i>line two</i>");
            await Expect(detail.Locator("dd[data-field='Category']")).ToHaveTextAsync("<svg onload=window.__pwned=3>");
            await Expect(detail.Locator("dd[data-field='Exception'] pre")).ToHaveTextAsync("<iframe src=\"javascript:window.__pwned=4\"></iframe>");
            await Expect(detail.Locator("dd[data-field='Properties'] pre")).ToHaveTextAsync("{\n  \"html\": \"<img src=x onerror=window.__pwned=5>\"\n}");

            await page.WaitForTimeoutAsync(500);
            Assert.Equal("undefined", await page.EvaluateAsync<string>("() => typeof window.__pwned"));
            Assert.Equal(0, await page.EvaluateAsync<int>("() => document.querySelectorAll('main img, #rows img, #rows script, #rows svg, #rows iframe, #services img, #rows b, #rows i').length"));
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Artifact("viewer-hostile-entries.png"), FullPage = true });
            Assert.True(problems.Count == 0, string.Join("\n", problems));
        }

        [Fact]
        public async Task Bidi_overrides_and_control_characters_show_as_marked_tokens_and_the_download_keeps_them()
        {
            await using var viewer = await ViewerSession.StartAsync(_browser.Valkey);
            const string spoofed = "invoice_\u202Efdp.exe";                // shows as "invoice_exe.pdf" if applied
            const string overwritten = "transfer approved\rtransfer DENIED";  // a terminal shows only the second half
            const string controls = "bell\u0007 del\u007F nel\u0085 isolate\u2067x\u2069 mark\u200F";
            const string windowsLines = "line one\r\nline two";
            var now = DateTime.UtcNow;
            await viewer.AppendAsync(
                Entry("files", MonarchLogLevel.Warning, now.AddMinutes(-4), windowsLines),
                Entry("files", MonarchLogLevel.Warning, now.AddMinutes(-3), controls),
                Entry("files", MonarchLogLevel.Warning, now.AddMinutes(-2), overwritten, category: "Monarch.\u001B[31mRed"),
                Entry("fil\u202Ees", MonarchLogLevel.Error, now.AddMinutes(-1), spoofed, exception: "System.IO.IOException: " + spoofed));

            var problems = new List<string>();
            var page = await _browser.NewPageAsync(problems);
            await page.GotoAsync(viewer.BaseUri.ToString());
            var messages = page.Locator("#rows tr.row .msg-text");
            await Expect(messages).ToHaveCountAsync(4);

            // What the reader sees: the escape token where the override was, the text in its order.
            Assert.Equal(new[] { "invoice_\\u202Efdp.exe", "transfer approved\\u000Dtransfer DENIED", "bell\\u0007 del\\u007F nel\\u0085 isolate\\u2067x\\u2069 mark\\u200F", "line one\r\nline two" },
                await page.EvalOnSelectorAllAsync<string[]>("#rows tr.row .msg-text", "spans => spans.map(s => s.textContent)"));
            Assert.Equal("invoice_\\u202Efdp.exe", await messages.First.InnerTextAsync());
            await Expect(messages.First.Locator("span.ctl")).ToHaveTextAsync("\\u202E");
            await Expect(messages.First.Locator("span.ctl")).ToHaveAttributeAsync("title", new System.Text.RegularExpressions.Regex("RIGHT-TO-LEFT OVERRIDE"));
            await Expect(messages.Nth(3).Locator("span.ctl")).ToHaveCountAsync(0);
            await Expect(page.Locator("#rows td.service").First).ToHaveTextAsync("fil\\u202Ees");
            Assert.Equal("fil\\u202Ees", await page.Locator("#rows td.service").First.GetAttributeAsync("title"));
            await Expect(page.Locator("#rows td.category").Nth(1)).ToHaveTextAsync("Monarch.\\u001B[31mRed");
            await Expect(page.Locator("#services span.ctl")).ToHaveTextAsync("\\u202E");

            // The same in the opened entry.
            await page.ClickAsync("#rows tr.row:nth-child(1)");
            var detail = page.Locator("#rows tr.detail");
            Assert.Equal("invoice_\\u202Efdp.exe", await detail.Locator("dd[data-field='Message'] pre").InnerTextAsync());
            Assert.Equal("System.IO.IOException: invoice_\\u202Efdp.exe", await detail.Locator("dd[data-field='Exception'] pre").InnerTextAsync());
            await Expect(detail.Locator("dd[data-field='Service'] span.ctl")).ToHaveTextAsync("\\u202E");

            // No such character is left anywhere in the rendered entries.
            Assert.False(await page.EvaluateAsync<bool>(@"() => /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]|\r(?!\n)/.test(document.getElementById('rows').textContent + document.getElementById('services').textContent)"));
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Artifact("viewer-control-characters.png"), FullPage = true });

            // Display is not data: the downloads keep the exact text.
            using (var json = await viewer.GetJsonAsync("api/logs.json"))
            {
                var stored = json.RootElement.EnumerateArray().Select(e => e.GetProperty("message").GetString()).ToList();
                Assert.Equal(new[] { spoofed, overwritten, controls, windowsLines }, stored);
            }

            var csv = await viewer.Http.GetStringAsync("api/logs.csv");
            Assert.Contains("\"" + spoofed + "\"", csv);
            Assert.Contains("\"" + overwritten + "\"", csv);
            Assert.True(problems.Count == 0, string.Join("\n", problems));
        }

        private static string Artifact(string name) => Path.Combine(BrowserFixture.ArtifactsDirectory, name);
    }
}
