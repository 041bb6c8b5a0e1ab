using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Net.Http;
using System.Text.Json;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using MonarchLogs.Logging;
using Xunit;

namespace MonarchLogs.Web.Tests
{
    /// <summary>
    /// A host that stores its logs (AddMonarchValkey) and shows them (AddMonarchLogViewer) names
    /// its store once, in the shared <c>Valkey</c> section; each part may still log in as a user of
    /// its own (<c>Logging:MonarchValkey:User</c>, <c>Viewer:Valkey:User</c>).
    /// </summary>
    public sealed class StoringHostTests : IClassFixture<ValkeyFixture>
    {
        private readonly ValkeyFixture _valkey;

        public StoringHostTests(ValkeyFixture valkey) => _valkey = valkey;

        private static async Task<WebApplication> StartHostAsync(Dictionary<string, string?> settings)
        {
            var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production" });
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Configuration.AddInMemoryCollection(settings);
            builder.Logging.ClearProviders();
            builder.Logging.AddMonarchValkey();
            builder.Services.AddMonarchLogViewer();
            var app = builder.Build();
            app.MapMonarchLogViewer("/logs");
            await app.StartAsync();
            return app;
        }

        /// <summary>Logs <paramref name="message"/> through the host's provider and waits until its viewer shows it.</summary>
        private static async Task<JsonElement> LogAndShowAsync(WebApplication app, string message)
        {
            app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Host").LogWarning("{What}", message);
            using var http = new HttpClient { BaseAddress = new Uri(app.Urls.First().TrimEnd('/') + "/logs/") };
            var clock = Stopwatch.StartNew();
            while (true)
            {
                using var response = await http.GetAsync("api/logs?message=" + Uri.EscapeDataString(message));
                var body = await response.Content.ReadAsStringAsync();
                if (response.IsSuccessStatusCode)
                {
                    var entries = JsonDocument.Parse(body).RootElement.GetProperty("entries");
                    if (entries.GetArrayLength() > 0) return entries[0].Clone();
                }

                Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"The viewer did not show the entry: {(int)response.StatusCode} {body}");
                await Task.Delay(100);
            }
        }

        [Fact]
        public async Task A_host_that_stores_and_shows_logs_names_its_store_once()
        {
            var prefix = ViewerSession.NewPrefix();
            await using var app = await StartHostAsync(new Dictionary<string, string?>
            {
                ["Valkey:ConnectionString"] = _valkey.Server.ConnectionString,
                ["Valkey:Prefix"] = prefix,
                ["Logging:MonarchValkey:Service"] = "stores-and-shows",
            });

            var entry = await LogAndShowAsync(app, "stored and shown");
            Assert.Equal("stores-and-shows", entry.GetProperty("service").GetString());
            // The registry names every partition written (a new store keeps a few entries in heads, not streams).
            var keys = (await _valkey.Connection.GetDatabase().HashKeysAsync(prefix + ":partitions")).Select(key => (string)key!).ToArray();
            // The host's own entries (Microsoft.Hosting.Lifetime) went there too; nothing went elsewhere.
            Assert.Contains(prefix + ":stream:stores-and-shows:warning", keys);
            Assert.All(keys, key => Assert.StartsWith(prefix + ":stream:stores-and-shows:", key));
        }

        [Fact]
        public async Task The_viewer_reads_as_its_own_user_beside_the_provider_s_writer_user()
        {
            var suffix = Guid.NewGuid().ToString("N").Substring(0, 8);
            var (writer, reader) = ("writer-" + suffix, "reader-" + suffix);
            var admin = _valkey.Connection.GetDatabase();
            await admin.ExecuteAsync("ACL", "SETUSER", writer, "on", ">w-secret", "~*", "&*", "+@all");
            await admin.ExecuteAsync("ACL", "SETUSER", reader, "on", ">r-secret", "~*", "&*", "+@all");
            await using var app = await StartHostAsync(new Dictionary<string, string?>
            {
                ["Valkey:ConnectionString"] = _valkey.Server.ConnectionString,
                ["Valkey:Prefix"] = ViewerSession.NewPrefix(),
                ["Logging:MonarchValkey:User"] = writer,
                ["Logging:MonarchValkey:Password"] = "w-secret",
                ["Viewer:Valkey:User"] = reader,
                ["Viewer:Valkey:Password"] = "r-secret",
            });

            await LogAndShowAsync(app, "two users");
            var clients = ((string?)await admin.ExecuteAsync("CLIENT", "LIST") ?? string.Empty).Split('\n');
            Assert.Contains(clients, line => line.Contains(" name=MonarchLogs.Logging ", StringComparison.Ordinal) && line.Contains(" flags=N ", StringComparison.Ordinal) && line.Contains(" user=" + writer + " ", StringComparison.Ordinal));
            Assert.Contains(clients, line => line.Contains(" name=monarchlogs-viewer ", StringComparison.Ordinal) && line.Contains(" flags=N ", StringComparison.Ordinal) && line.Contains(" user=" + reader + " ", StringComparison.Ordinal));
            Assert.DoesNotContain(clients, line => (line.Contains(" name=MonarchLogs.Logging ", StringComparison.Ordinal) || line.Contains(" name=monarchlogs-viewer ", StringComparison.Ordinal)) && line.Contains(" flags=N ", StringComparison.Ordinal) && line.Contains(" user=default ", StringComparison.Ordinal));
        }
    }
}
