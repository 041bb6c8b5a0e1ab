using System;
using System.Collections.Generic;
using System.Linq;
using System.Net.Http;
using System.Text.Json;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using MonarchLogs.Core;
using MonarchLogs.Core.Format;
using MonarchLogs.Core.Storage;
using MonarchLogs.Testing;
using StackExchange.Redis;
using Xunit;

namespace MonarchLogs.Web.Tests
{
    /// <summary>One real valkey-server for a test class, and a connection for seeding and assertions.</summary>
    public sealed class ValkeyFixture : IAsyncLifetime
    {
        public ValkeyServer Server { get; private set; } = null!;

        public ConnectionMultiplexer Connection { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            Server = await ValkeyServer.StartAsync();
            Connection = Server.Connect();
        }

        public async Task DisposeAsync()
        {
            await Connection.DisposeAsync();
            await Server.DisposeAsync();
        }
    }

    /// <summary>One real Valkey Cluster (three masters, one replica each) for a test class, and a connection for seeding and assertions.</summary>
    public sealed class ValkeyClusterFixture : IAsyncLifetime
    {
        public ValkeyCluster Cluster { get; private set; } = null!;

        public ConnectionMultiplexer Connection { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            Cluster = await ValkeyCluster.StartAsync();
            Connection = Cluster.Connect();
        }

        public async Task DisposeAsync()
        {
            await Connection.DisposeAsync();
            await Cluster.DisposeAsync();
        }
    }

    /// <summary>
    /// A viewer mounted at /logs in a real Kestrel host on a free loopback port, over a store
    /// with a key prefix of its own, so that every test sees only the entries it wrote.
    /// </summary>
    public sealed class ViewerSession : IAsyncDisposable
    {
        private ViewerSession(WebApplication app, LogStore store, Uri root, string mount)
        {
            App = app;
            Store = store;
            Root = root;
            BaseUri = new Uri(root, mount.TrimStart('/') + (mount.Length > 0 ? "/" : string.Empty));
            Http = new HttpClient { BaseAddress = BaseUri, Timeout = TimeSpan.FromSeconds(30) };
        }

        public WebApplication App { get; }

        /// <summary>The store the test seeds; the same prefix as the viewer's.</summary>
        public LogStore Store { get; }

        /// <summary>The server's root, e.g. http://127.0.0.1:41234/.</summary>
        public Uri Root { get; }

        /// <summary>The page's address, e.g. http://127.0.0.1:41234/logs/.</summary>
        public Uri BaseUri { get; }

        public HttpClient Http { get; }

        public static Task<ViewerSession> StartAsync(
            ValkeyFixture valkey,
            Action<MonarchLogViewerOptions>? configure = null,
            string mount = "/logs",
            bool hostRegistersStore = false,
            string? prefix = null) =>
            StartAsync(valkey.Server.ConnectionString, valkey.Connection, configure, mount, hostRegistersStore, prefix);

        /// <summary>
        /// A viewer over the Valkey (a server, a cluster) that <paramref name="connectionString"/>
        /// names; the test seeds and checks the store through <paramref name="testConnection"/>.
        /// </summary>
        public static async Task<ViewerSession> StartAsync(
            string connectionString,
            IConnectionMultiplexer testConnection,
            Action<MonarchLogViewerOptions>? configure = null,
            string mount = "/logs",
            bool hostRegistersStore = false,
            string? prefix = null)
        {
            prefix ??= NewPrefix();
            var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production" });
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Logging.ClearProviders();
            if (hostRegistersStore)
            {
                // As the demo service does: the host's own multiplexer and store, which the viewer takes from DI.
                builder.Services.AddSingleton<IConnectionMultiplexer>(_ => ConnectionMultiplexer.Connect(connectionString));
                builder.Services.AddSingleton(sp => new LogStore(sp.GetRequiredService<IConnectionMultiplexer>(), new StorageFormat(prefix)));
            }

            builder.Services.AddMonarchLogViewer(options =>
            {
                options.ConnectionString = connectionString;
                options.Prefix = prefix;
                configure?.Invoke(options);
            });
            var app = builder.Build();
            app.MapMonarchLogViewer(mount);
            await app.StartAsync();
            var root = new Uri(app.Urls.First().TrimEnd('/') + "/");
            return new ViewerSession(app, new LogStore(testConnection, new StorageFormat(prefix)), root, mount.Trim('/').Length == 0 ? string.Empty : mount);
        }

        public static string NewPrefix() => "test:" + Guid.NewGuid().ToString("N");

        public Task<int> AppendAsync(params MonarchLogEntry[] entries) => Store.AppendAsync(entries);

        /// <summary>Appends as a release before this one did into a store of format 1 (marking a new store version 1).</summary>
        public Task<int> AppendAsVersion1Async(params MonarchLogEntry[] entries) => new MonarchLogs.Testing.Version1Writer(Store.Connection, Store.Format).AppendAllAsync(entries);

        public async Task<JsonDocument> GetJsonAsync(string relative)
        {
            using var response = await Http.GetAsync(relative);
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.IsSuccessStatusCode, $"GET {relative}: {(int)response.StatusCode} {body}");
            return JsonDocument.Parse(body);
        }

        /// <summary>The ids of api/logs entries, in the order the API returned them.</summary>
        public async Task<(List<string> Ids, string? Next)> GetIdsAsync(string relative)
        {
            using var json = await GetJsonAsync(relative);
            var ids = json.RootElement.GetProperty("entries").EnumerateArray().Select(e => e.GetProperty("id").GetString()!).ToList();
            var next = json.RootElement.GetProperty("next");
            return (ids, next.ValueKind == JsonValueKind.Null ? null : next.GetString());
        }

        public async ValueTask DisposeAsync()
        {
            Http.Dispose();
            await App.StopAsync();
            await App.DisposeAsync();
        }
    }

    /// <summary>Entries with known times, levels and services; read back to learn their Ids.</summary>
    public static class Seed
    {
        /// <summary>A whole hour some hours ago, so that buckets and ranges are exact and "-24h" holds it.</summary>
        public static DateTime HourStart { get; } = new DateTime(DateTime.UtcNow.AddHours(-3).Ticks / TimeSpan.TicksPerHour * TimeSpan.TicksPerHour, DateTimeKind.Utc);

        public static MonarchLogEntry Entry(string service, MonarchLogLevel level, DateTime time, string message,
            string category = "Monarch.Tests", string exception = "", string properties = "") => new MonarchLogEntry
            {
                Timestamp = time,
                Level = level,
                Service = service,
                Category = category,
                Message = message,
                Exception = exception,
                ExceptionType = exception.Length > 0 ? "System.InvalidOperationException" : string.Empty,
                Properties = properties,
                Host = "test-host",
            };

        public static string Iso(DateTime time) => time.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture);

        /// <summary>The stored Id of the entry with this message (messages are unique within a test).</summary>
        public static async Task<string> IdOfAsync(LogStore store, string message)
        {
            await foreach (var entry in store.QueryAsync(new MonarchLogs.Core.Query.LogQuery { Text = message }))
            {
                if (entry.Message == message) return entry.Id!;
            }

            throw new InvalidOperationException($"No entry with message '{message}'.");
        }
    }
}
