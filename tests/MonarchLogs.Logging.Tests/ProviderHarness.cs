using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using MonarchLogs.Core;
using MonarchLogs.Core.Query;
using MonarchLogs.Core.Storage;
using MonarchLogs.Testing;
using StackExchange.Redis;

namespace MonarchLogs.Logging.Tests
{
    /// <summary>A real Valkey, a logger factory with the provider, and a reader of what was stored.</summary>
    internal sealed class ProviderHarness : IAsyncDisposable
    {
        private ConnectionMultiplexer? _reader;

        private ProviderHarness(ValkeyServer server, string prefix, ServiceProvider services)
        {
            Server = server;
            Prefix = prefix;
            Services = services;
        }

        public ValkeyServer Server { get; }

        public string Prefix { get; }

        public ServiceProvider Services { get; }

        public ILoggerFactory Loggers => Services.GetRequiredService<ILoggerFactory>();

        public MonarchValkeyLoggerProvider Provider => Services.GetServices<ILoggerProvider>().OfType<MonarchValkeyLoggerProvider>().Single();

        public static async Task<ProviderHarness> StartAsync(Action<MonarchValkeyLoggerOptions>? configure = null, string service = "tests", ValkeyServer? server = null)
        {
            server ??= await ValkeyServer.StartAsync();
            var prefix = "t:" + Guid.NewGuid().ToString("N");
            var services = new ServiceCollection()
                .AddLogging(builder =>
                {
                    builder.SetMinimumLevel(LogLevel.Trace);
                    builder.AddMonarchValkey(options =>
                    {
                        options.ConnectionString = server.ConnectionString;
                        options.KeyPrefix = prefix;
                        options.Service = service;
                        options.MinRetryDelay = TimeSpan.FromMilliseconds(50);
                        options.MaxRetryDelay = TimeSpan.FromMilliseconds(500);
                        configure?.Invoke(options);
                    });
                })
                .BuildServiceProvider();
            return new ProviderHarness(server, prefix, services);
        }

        /// <summary>Entries not stored for one reason.</summary>
        internal long Dropped(Writing.DropReason reason) => Provider.Writer.Ledger.Count(reason);

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
        public async Task WaitUntilWriterIdleAsync()
        {
            var clock = Stopwatch.StartNew();
            while (Provider.EntriesBuffered > 0 && clock.Elapsed < TimeSpan.FromSeconds(10)) await Task.Delay(20);
        }

        public async ValueTask DisposeAsync()
        {
            await Services.DisposeAsync();
            _reader?.Dispose();
            Server.Dispose();
        }
    }
}
