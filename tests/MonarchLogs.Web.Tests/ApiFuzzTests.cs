using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Text.Json;
using System.Threading.Tasks;
using MonarchLogs.Core;
using MonarchLogs.Core.Format;
using MonarchLogs.Core.Storage;
using MonarchLogs.Viewer;
using Xunit;
using static MonarchLogs.Web.Tests.Seed;

namespace MonarchLogs.Web.Tests
{
    /// <summary>
    /// Every endpoint, every parameter, hostile values: each answer is a success or a 400 problem
    /// with an errorId, never a 500 and never an empty error. Run against the standalone viewer,
    /// the way Start-MonarchLogViewer and `dotnet run` serve it.
    /// </summary>
    public sealed class ApiFuzzTests : IClassFixture<ValkeyFixture>
    {
        private static readonly string[] Endpoints =
        {
            "api/logs", "api/logs.csv", "api/logs.json", "api/export", "api/stats", "api/stream", "api/services", "api/levels", "api/context",
        };

        private static readonly string[] Parameters =
        {
            "since", "until", "level", "minLevel", "service", "category", "q", "order", "after", "limit", "format", "interval", "backlog", "id", "n", "unknown",
        };

        private readonly ValkeyFixture _valkey;

        public ApiFuzzTests(ValkeyFixture valkey) => _valkey = valkey;

        /// <summary>Values as they go into the query string: already percent-encoded, some of them deliberately wrong.</summary>
        private static IEnumerable<string> HostileValues()
        {
            var plain = new[]
            {
                "", " ", "0", "-1", "1", "NaN", "-NaN", "Infinity", "-Infinity", "1e308", "0x10", "1.5", "99999999999999999999",
                "-99999999999999999999", "9223372036854775808", "-9223372036854775809", "2147483648",
                "-99999999999999999999d", "-100000d", "99999999999999999999999999999999.5w ago", "-0.0000001ms", "1000000000h",
                "0001-01-01T00:00Z", "0001-01-01", "1969-12-31T23:59:59.999Z", "1970-01-01T00:00:00Z", "9999-12-31T23:59:59.9999999Z",
                "9999-12-31", "10000-01-01", "9999-12-31T23:59:59-05:00", "0001-01-01T00:00+01:00", "now", "today",
                "[", "a[", "[]", "[z-a]", "[a-", "`", "``[", "*", "?", "*[*", ",", ",,,", "error,", "Error,Error,loud",
                "0-0@x/error", "1-0@x/error", "9223372036854775807-9223372036854775807@x/error", "99999999999999999999-0@x/error",
                "1-0@/error", "1-0@x/", "@", "-", "1-0@x\u202E/error",
                "1s", "999999w", "0s", "1ms", "1000000d", "csv", "json", "oldest",
                "\u202Efdp.exe", "\u200F\u2066\u061C", "<script>alert(1)</script>", "'; DROP TABLE logs; --", "%s%n%x",
            };
            foreach (var value in plain) yield return Uri.EscapeDataString(value);

            // Control characters, percent-encoded so they reach the server.
            yield return "%00";
            yield return "a%0D%0Ab";
            yield return "%0D";
            yield return "%09%0B%0C%1B%7F";
            yield return "%C2%85%C2%9B";
            // Invalid UTF-8: lone continuation bytes, overlong forms, a surrogate half, a truncated sequence.
            yield return "%FF%FE";
            yield return "%80";
            yield return "%C0%AF";
            yield return "%ED%A0%80";
            yield return "%E2%82";
            yield return "%";
            yield return "%G1";
            yield return "%%%";
            // Long values: 10 kB of one character, of a bracket, of digits, and a long relative time.
            yield return new string('a', 10_000);
            yield return new string('[', 10_000);
            yield return new string('9', 10_000);
            yield return "-" + new string('9', 10_000) + "d";
            yield return Uri.EscapeDataString(new string('*', 5_000) + "a");
        }

        [Fact]
        public async Task Every_parameter_of_every_endpoint_answers_hostile_values_with_success_or_a_400_problem()
        {
            var prefix = ViewerSession.NewPrefix();
            await using var app = StandaloneViewer.Build(new[]
            {
                "--urls", "http://127.0.0.1:0", "--Valkey:ConnectionString", _valkey.Server.ConnectionString, "--Valkey:Prefix", prefix,
                "--Logging:LogLevel:Default", "None",
            });
            await app.StartAsync();
            try
            {
                var store = new LogStore(_valkey.Connection, new StorageFormat(prefix));
                await store.AppendAsync(new[]
                {
                    Entry("orders", MonarchLogLevel.Error, HourStart, "Order 1 failed", category: "Monarch.Orders"),
                    Entry("billing", MonarchLogLevel.Information, HourStart.AddMinutes(1), "Invoice \u202Efdp.exe\r sent", category: "Monarch.Billing"),
                });

                using var http = new HttpClient { BaseAddress = new Uri(app.Urls.First().TrimEnd('/') + "/"), Timeout = TimeSpan.FromSeconds(30) };
                var failures = new List<string>();
                var requests = 0;
                var values = HostileValues().ToList();
                foreach (var endpoint in Endpoints)
                {
                    foreach (var parameter in Parameters)
                    {
                        foreach (var value in values)
                        {
                            await CheckAsync(http, $"{endpoint}?{parameter}={value}", failures);
                            requests++;
                        }

                        // The same parameter twice, equal and different.
                        await CheckAsync(http, $"{endpoint}?{parameter}=1&{parameter}=1", failures);
                        await CheckAsync(http, $"{endpoint}?{parameter}=&{parameter}=-1h", failures);
                        requests += 2;
                    }
                }

                Assert.True(requests > 5000, $"only {requests} requests");
                Assert.True(failures.Count == 0, $"{failures.Count} of {requests} answers were neither a success nor a 400 problem:\n" + string.Join("\n", failures.Take(40)));
            }
            finally
            {
                await app.StopAsync();
            }
        }

        private static async Task CheckAsync(HttpClient http, string url, List<string> failures)
        {
            var shown = url.Length > 160 ? url.Substring(0, 160) + "…" : url;
            try
            {
                // The live stream answers 200 and then runs until the client goes away: headers decide.
                using var response = await http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead);
                var status = (int)response.StatusCode;
                if (status == 200 || status == 204)
                {
                    // A download that fails midway is cut off, which reading it to the end shows.
                    if (!url.StartsWith("api/stream", StringComparison.Ordinal)) await response.Content.ReadAsByteArrayAsync();
                    return;
                }

                var body = await response.Content.ReadAsStringAsync();
                if (status != 400)
                {
                    failures.Add($"{status} {shown}: {Shorten(body)}");
                    return;
                }

                if (response.Content.Headers.ContentType?.MediaType != "application/problem+json")
                {
                    failures.Add($"400 without a problem body {shown}: {Shorten(body)}");
                    return;
                }

                using var json = JsonDocument.Parse(body);
                if (!json.RootElement.TryGetProperty("errorId", out var errorId) || string.IsNullOrEmpty(errorId.GetString()))
                {
                    failures.Add($"400 without an errorId {shown}: {Shorten(body)}");
                }
            }
            catch (Exception ex) when (ex is HttpRequestException || ex is JsonException || ex is TaskCanceledException)
            {
                failures.Add($"{ex.GetType().Name} {shown}: {ex.Message}");
            }
        }

        private static string Shorten(string text) => text.Length > 300 ? text.Substring(0, 300) + "…" : text;
    }
}
