using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Text.Json;
using System.Threading.Tasks;
using MonarchLogs.Core;
using Xunit;
using static MonarchLogs.Web.Tests.Seed;

namespace MonarchLogs.Web.Tests
{
    public sealed class ExportApiTests : IClassFixture<ValkeyFixture>
    {
        private const string Hostile = "a,\"b\"\r\nforged-id,2026-01-01,Critical,evil,x,\"injected row\"\n\u0000\u001b[31m\u2028end";
        private readonly ValkeyFixture _valkey;

        public ExportApiTests(ValkeyFixture valkey) => _valkey = valkey;

        [Fact]
        public async Task Csv_quotes_every_field_so_control_characters_cannot_forge_rows()
        {
            await using var viewer = await ViewerSession.StartAsync(_valkey);
            var t = HourStart;
            await viewer.AppendAsync(
                Entry("csv", MonarchLogLevel.Information, t.AddSeconds(1), "plain"),
                Entry("csv", MonarchLogLevel.Error, t.AddSeconds(2), Hostile, category: "Cat\r\nEgory", properties: "{\"k\":\"v\\n\"}"),
                Entry("csv", MonarchLogLevel.Warning, t.AddSeconds(3), "=HYPERLINK(\"http://example.invalid\")"));

            using var response = await viewer.Http.GetAsync("api/logs.csv?service=csv");
            response.EnsureSuccessStatusCode();
            Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
            Assert.StartsWith("attachment;", response.Content.Headers.ContentDisposition?.ToString());
            var rows = ParseCsv(await response.Content.ReadAsStringAsync());

            Assert.Equal(4, rows.Count);
            Assert.Equal("id", rows[0][0]);
            Assert.Equal("message", rows[0][5]);
            Assert.All(rows, r => Assert.Equal(16, r.Count));
            Assert.Equal("'=HYPERLINK(\"http://example.invalid\")", rows[1][5]);
            Assert.Equal(Hostile, rows[2][5]);
            Assert.Equal("Cat\r\nEgory", rows[2][4]);
            Assert.Equal("Error", rows[2][2]);
            Assert.Equal("plain", rows[3][5]);
        }

        [Fact]
        public async Task Json_download_keeps_every_value_exact_and_honours_filters_and_limit()
        {
            await using var viewer = await ViewerSession.StartAsync(_valkey);
            var t = HourStart;
            await viewer.AppendAsync(
                Entry("json", MonarchLogLevel.Information, t.AddSeconds(1), "one"),
                Entry("json", MonarchLogLevel.Error, t.AddSeconds(2), Hostile),
                Entry("json", MonarchLogLevel.Error, t.AddSeconds(3), "three"),
                Entry("json", MonarchLogLevel.Error, t.AddSeconds(4), "four"));

            using var response = await viewer.Http.GetAsync("api/logs.json?level=error&limit=2&order=oldest");
            response.EnsureSuccessStatusCode();
            Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
            Assert.StartsWith("attachment;", response.Content.Headers.ContentDisposition?.ToString());
            using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            Assert.Equal(new[] { Hostile, "three" }, json.RootElement.EnumerateArray().Select(e => e.GetProperty("message").GetString()));

            using var viaFormat = await viewer.Http.GetAsync("api/export?format=json&level=information");
            using var formatJson = JsonDocument.Parse(await viaFormat.Content.ReadAsStringAsync());
            Assert.Equal(new[] { "one" }, formatJson.RootElement.EnumerateArray().Select(e => e.GetProperty("message").GetString()));
        }

        /// <summary>An RFC 4180 reader: the way a spreadsheet or a CSV library splits the file.</summary>
        private static List<List<string>> ParseCsv(string text)
        {
            var rows = new List<List<string>>();
            var row = new List<string>();
            var field = new StringBuilder();
            var quoted = false;
            for (var i = 0; i < text.Length; i++)
            {
                var c = text[i];
                if (quoted)
                {
                    if (c == '"' && i + 1 < text.Length && text[i + 1] == '"') { field.Append('"'); i++; }
                    else if (c == '"') quoted = false;
                    else field.Append(c);
                }
                else if (c == '"') quoted = true;
                else if (c == ',') { row.Add(field.ToString()); field.Clear(); }
                else if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n') { }
                else if (c == '\n' || c == '\r') { row.Add(field.ToString()); field.Clear(); rows.Add(row); row = new List<string>(); }
                else field.Append(c);
            }

            if (field.Length > 0 || row.Count > 0) { row.Add(field.ToString()); rows.Add(row); }
            return rows;
        }
    }
}
