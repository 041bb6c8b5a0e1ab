using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using MonarchLogs.Core;
using MonarchLogs.Core.Query;
using MonarchLogs.Core.Format;
using MonarchLogs.Core.Storage;
using MonarchLogs.Testing;
using StackExchange.Redis;

namespace MonarchLogs.Logging.Tests
{
    /// <summary>The provider's two ways of writing, chosen by the connection string.</summary>
    public enum Topology
    {
        /// <summary>One endpoint in the connection string.</summary>
        OneServer,

        /// <summary>Several endpoints (here a master and its replica): the client picks the master.</summary>
        MasterAndReplica,
    }

    /// <summary>A real Valkey, a logger factory with the provider, and a reader of what was stored.</summary>
    internal sealed class ProviderHarness : IAsyncDisposable
    {
        private ConnectionMultiplexer? _reader;

        private ProviderHarness(ValkeyServer server, ValkeyServer? replica, string prefix, ServiceProvider services)
        {
            Server = server;
            Replica = replica;
            Prefix = prefix;
            Services = services;
        }

        /// <summary>The server written to (the master when there is a replica); the harness reads from it.</summary>
        public ValkeyServer Server { get; }

        /// <summary>The replica named as a second endpoint on the StackExchange.Redis path.</summary>
        public ValkeyServer? Replica { get; }

        public string Prefix { get; }

        public ServiceProvider Services { get; }

        public ILoggerFactory Loggers => Services.GetRequiredService<ILoggerFactory>();

        public MonarchValkeyLoggerProvider Provider => Services.GetServices<ILoggerProvider>().OfType<MonarchValkeyLoggerProvider>().Single();

        /// <summary>
        /// Starts the provider against <paramref name="server"/> (a new plain one by default). On
        /// <see cref="Topology.MasterAndReplica"/> a replica of it is started and both are
        /// named in the connection string. A TLS server's CA is the trusted one unless
        /// <paramref name="configure"/> says otherwise.
        /// </summary>
        public static async Task<ProviderHarness> StartAsync(Action<MonarchValkeyLoggerOptions>? configure = null, string service = "tests", ValkeyServer? server = null, Topology path = Topology.OneServer, Action<IServiceCollection>? addServices = null)
        {
            server ??= await ValkeyServer.StartAsync();
            var replica = path == Topology.MasterAndReplica ? await server.StartReplicaAsync() : null;
            var connectionString = replica is null ? server.ConnectionString : server.Endpoint + "," + replica.Endpoint + (server.UsesTls ? ",ssl=true" : "");
            var prefix = "t:" + Guid.NewGuid().ToString("N");
            var services = new ServiceCollection()
                .AddLogging(builder =>
                {
                    builder.SetMinimumLevel(LogLevel.Trace);
                    builder.AddMonarchValkey(options =>
                    {
                        options.ConnectionString = connectionString;
                        options.TrustedCertificateAuthorityPath = server.CertificateAuthority?.CertificatePath;
                        options.Prefix = prefix;
                        options.Service = service;
                        options.MinRetryDelay = TimeSpan.FromMilliseconds(50);
                        options.MaxRetryDelay = TimeSpan.FromMilliseconds(500);
                        configure?.Invoke(options);
                    });
                });
            addServices?.Invoke(services);
            return new ProviderHarness(server, replica, prefix, services.BuildServiceProvider());
        }

        /// <summary>Entries not stored for one reason.</summary>
        internal long Dropped(Writing.DropReason reason) => Provider.Writer.Ledger.Count(reason);

        /// <summary>How many connections the provider holds to the server (CLIENT LIST, by its client name).</summary>
        public async Task<int> ProviderConnectionsAsync()
        {
            _reader ??= Server.Connect();
            var clients = (string?)await _reader.GetDatabase().ExecuteAsync("CLIENT", "LIST") ?? string.Empty;
            return clients.Split('\n').Count(line => line.Contains(" name=MonarchLogs.Logging ", StringComparison.Ordinal));
        }

        public LogStore Store()
        {
            _reader ??= Server.Connect();
            return new LogStore(_reader, new StorageFormat(Prefix));
        }

        public async Task<List<MonarchLogEntry>> ReadAllAsync(LogQuery? query = null)
        {
            var list = new List<MonarchLogEntry>();
            await foreach (var entry in Store().QueryAsync(query ?? new LogQuery { OldestFirst = true })) list.Add(entry);
            return list;
        }

        /// <summary>Waits until the store holds at least <paramref name="count"/> entries.</summary>
        public async Task<List<MonarchLogEntry>> WaitForAsync(int count, TimeSpan? timeout = null)
        {
            var clock = Stopwatch.StartNew();
            while (true)
            {
                var entries = await ReadAllAsync();
                if (entries.Count >= count || clock.Elapsed > (timeout ?? TimeSpan.FromSeconds(20))) return entries;
                await Task.Delay(50);
            }
        }

        /// <summary>
        /// Waits until the writer holds nothing: it counts an entry out of its buffer once the
        /// server's reply is read, a moment after the entry can show in the store.
        /// </summary>
        /// <summary>
        /// Makes a partition refuse every write: its stream and its head (where format 2 puts a
        /// batch's few entries) become strings. Answers the stream key, which names the partition
        /// in drop notices; <paramref name="repair"/> deletes both again.
        /// </summary>
        public static async Task<string> BlockPartitionAsync(IDatabase db, string prefix, string service, MonarchLogLevel level, bool repair = false)
        {
            var partition = new StorageFormat(prefix).GetPartition(service, level);
            if (repair) await db.KeyDeleteAsync(new RedisKey[] { partition.StreamKey, partition.HeadKey });
            else await Task.WhenAll(db.StringSetAsync(partition.StreamKey, "not a stream"), db.StringSetAsync(partition.HeadKey, "not a stream"));
            return partition.StreamKey;
        }

        public async Task WaitUntilWriterIdleAsync()
        {
            var clock = Stopwatch.StartNew();
            while (Provider.EntriesBuffered > 0 && clock.Elapsed < TimeSpan.FromSeconds(10)) await Task.Delay(20);
        }

        public async ValueTask DisposeAsync()
        {
            await Services.DisposeAsync();
            _reader?.Dispose();
            Replica?.Dispose();
            Server.Dispose();
        }
    }
}
