using System;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.Extensions.Logging;
using MonarchLogs.Core.Query;
using StackExchange.Redis;

namespace MonarchLogs.Logging.Tests
{
    /// <summary>The provider runs as the documented writer user of docs/operations.md: it stores, and that user cannot read what it stored.</summary>
    public sealed class WriterRoleTests
    {
        [Fact]
        public async Task The_provider_works_as_the_documented_writer_user_which_cannot_read_entries()
        {
            var server = await MonarchLogs.Testing.ValkeyServer.StartAsync();
            var prefix = "role:" + Guid.NewGuid().ToString("N");
            using (var admin = server.Connect())
            {
                var words = DocumentedWriterLine().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(2).Select(word =>
                    word == ">PASSWORD" ? ">writer-secret"
                    : word.Replace("~P:", "~" + prefix + ":", StringComparison.Ordinal).Replace("&P:", "&" + prefix + ":", StringComparison.Ordinal));
                await admin.GetDatabase().ExecuteAsync("ACL", new object[] { "SETUSER" }.Concat(words).ToArray());
            }

            await using var harness = await ProviderHarness.StartAsync(o =>
            {
                o.ConnectionString = server.ConnectionString + ",user=monarch-writer,password=writer-secret";
                o.KeyPrefix = prefix;
            }, server: server);
            using var events = new TransportTests.WriterEvents(harness.Provider.Writer.Service);
            var logger = harness.Loggers.CreateLogger("Role");
            for (var i = 0; i < 20; i++) logger.Log(i % 2 == 0 ? LogLevel.Error : LogLevel.Information, "as the writer {Index}", i);

            // Read back as the default user, under the prefix the writer was given.
            await harness.WaitUntilWriterIdleAsync();
            using var reader = server.Connect();
            var store = new MonarchLogs.Core.Storage.LogStore(reader, new MonarchLogs.Core.Format.StorageFormat(prefix));
            var entries = new System.Collections.Generic.List<MonarchLogs.Core.MonarchLogEntry>();
            var clock = System.Diagnostics.Stopwatch.StartNew();
            while (entries.Count < 20 && clock.Elapsed < TimeSpan.FromSeconds(20))
            {
                entries.Clear();
                await foreach (var entry in store.QueryAsync(new LogQuery())) entries.Add(entry);
                if (entries.Count < 20) await Task.Delay(50);
            }

            Assert.True(20 == entries.Count(e => e.Category == "Role"), harness.Provider.Writer.Ledger.Snapshot().Message(100) + " written " + harness.Provider.EntriesWritten + " buffered " + harness.Provider.EntriesBuffered + " " + string.Join(" / ", events.All.Select(e => e.Name + ": " + e.Text).Take(5)));
            Assert.Equal(0, harness.Provider.EntriesDropped);

            using var writer = await ConnectionMultiplexer.ConnectAsync(server.ConnectionString + ",user=monarch-writer,password=writer-secret");
            var stream = prefix + ":stream:tests:error";
            var read = await Assert.ThrowsAsync<RedisServerException>(() => writer.GetDatabase().StreamRangeAsync(stream));
            Assert.Contains("NOPERM", read.Message);
            var delete = await Assert.ThrowsAsync<RedisServerException>(() => writer.GetDatabase().KeyDeleteAsync(stream));
            Assert.Contains("NOPERM", delete.Message);
        }

        private static string DocumentedWriterLine()
        {
            var directory = new DirectoryInfo(AppContext.BaseDirectory);
            while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "docs", "operations.md"))) directory = directory.Parent;
            Assert.NotNull(directory);
            return Assert.Single(File.ReadAllLines(Path.Combine(directory!.FullName, "docs", "operations.md")), line => line.StartsWith("ACL SETUSER monarch-writer ", StringComparison.Ordinal));
        }
    }
}
