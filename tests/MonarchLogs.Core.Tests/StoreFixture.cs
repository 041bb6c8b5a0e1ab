using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using MonarchLogs.Core;
using MonarchLogs.Core.Append;
using MonarchLogs.Core.Query;
using MonarchLogs.Core.Format;
using MonarchLogs.Core.Storage;
using MonarchLogs.Testing;
using StackExchange.Redis;

namespace MonarchLogs.Core.Tests
{
    /// <summary>One real valkey-server per test class; each test takes its own key prefix.</summary>
    public sealed class ValkeyFixture : IAsyncLifetime
    {
        public ValkeyServer Server { get; private set; } = null!;

        public ConnectionMultiplexer Connection { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            Server = await ValkeyServer.StartAsync();
            Connection = Server.Connect();
        }

        public Task DisposeAsync()
        {
            Connection.Dispose();
            Server.Dispose();
            return Task.CompletedTask;
        }

        public LogStore NewStore() => new LogStore(Connection, new StorageFormat("test:" + Guid.NewGuid().ToString("N")));
    }

    internal static class StoreExtensions
    {
        public static readonly DateTime BaseTime = new DateTime(2026, 11, 1, 12, 0, 0, DateTimeKind.Utc);

        public static MonarchLogEntry Entry(string service, MonarchLogLevel level, DateTime time, string message = "m", string category = "Cat") =>
            new MonarchLogEntry { Service = service, Level = level, Timestamp = time, Message = message, Category = category };

        /// <summary>
        /// The store as a release before this one writes it: its appends go through the test
        /// writer of format 1 (<see cref="Version1Writer"/>), which marks a new store version 1.
        /// For tests of what this version does with such a store (reads, retention, status, the
        /// upgrade); once the store is upgraded the same writer writes blocks.
        /// </summary>
        public static LogStore AsVersion1(this LogStore store) =>
            new LogStore(store.Connection, store.Format, new Version1Writer(store.Connection, store.Format));

        public static async Task<List<MonarchLogEntry>> ToListAsync(this LogStore store, LogQuery query)
        {
            var list = new List<MonarchLogEntry>();
            await foreach (var entry in store.QueryAsync(query)) list.Add(entry);
            return list;
        }

        /// <summary>Stops reading after <paramref name="count"/> entries, as a caller of -First does.</summary>
        public static async Task<List<MonarchLogEntry>> TakeAsync(this LogStore store, LogQuery query, int count)
        {
            var list = new List<MonarchLogEntry>();
            await foreach (var entry in store.QueryAsync(query))
            {
                list.Add(entry);
                if (list.Count == count) break;
            }

            return list;
        }

        /// <summary>Appends a batch through an append path; returns the count stored, throws the first partition's failure.</summary>
        public static async Task<int> AppendBatchAsync(this ILogAppender appender, IReadOnlyList<MonarchLogEntry> entries)
        {
            var result = await appender.AppendAsync(new AppendBatch(entries));
            if (result.Failures.Count > 0) throw result.Failures[0].Error;
            return result.Stored;
        }

        public static async Task AppendAllAsync(this LogStore store, IEnumerable<MonarchLogEntry> entries)
        {
            foreach (var chunk in entries.Chunk(500)) await store.AppendAsync(chunk);
        }
    }
}
