using System;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.Extensions.Logging;
using MonarchLogs.Core.Query;
using MonarchLogs.Testing;
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
                var words = DocumentedWriterLine().Words().Skip(2).Select(word =>
                    word == ">PASSWORD" ? ">writer-secret"
                    : word.Replace("~P:", "~" + prefix + ":", StringComparison.Ordinal).Replace("&P:", "&" + prefix + ":", StringComparison.Ordinal));
                await admin.GetDatabase().ExecuteAsync("ACL", new object[] { "SETUSER" }.Concat(words).ToArray());
            }

            await using var harness = await ProviderHarness.StartAsync(o =>
            {
                o.ConnectionString = server.ConnectionString + ",user=monarch-writer,password=writer-secret";
                o.Prefix = prefix;
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

        /// <summary>
        /// StackExchange.Redis does not wait for AUTH's answer: a refused password on a server whose
        /// <c>default</c> user is open (nopass, as the test server's is) would leave the writer
        /// connected as <c>default</c>. It asks the server who it is (the hosts' one user check)
        /// and writes nothing until it runs as its own user.
        /// </summary>
        [Fact]
        public async Task A_writer_whose_password_is_refused_never_writes_as_the_open_default_user()
        {
            var server = await MonarchLogs.Testing.ValkeyServer.StartAsync();
            var user = "writer-" + Guid.NewGuid().ToString("N").Substring(0, 8);
            using var admin = server.Connect();
            await admin.GetDatabase().ExecuteAsync("ACL", "SETUSER", user, "on", ">right-secret", "~*", "&*", "+@all");
            await using var harness = await ProviderHarness.StartAsync(o =>
            {
                o.User = user;
                o.Password = "wrong-secret";
            }, server: server);
            using var events = new TransportTests.WriterEvents(harness.Provider.Writer.Service);
            var logger = harness.Loggers.CreateLogger("Refused");
            for (var i = 0; i < 10; i++) logger.LogWarning("refused {Index}", i);

            var clock = System.Diagnostics.Stopwatch.StartNew();
            while (harness.Dropped(Writing.DropReason.StoreRefused) < 10 && clock.Elapsed < TimeSpan.FromSeconds(20)) await Task.Delay(20);
            Assert.Equal(10, harness.Dropped(Writing.DropReason.StoreRefused));
            Assert.Equal(0, harness.Provider.EntriesWritten);
            Assert.Empty((RedisResult[])(await admin.GetDatabase().ExecuteAsync("KEYS", harness.Prefix + ":*"))!);
            var refusal = Assert.Single(events.All.Where(e => e.Name == "StoreRefused").Take(1));
            Assert.Equal($"ValkeyAuthenticationFailed | Valkey at {server.Endpoint} refused the user name or password (user '{user}').", refusal.Text);
            Assert.DoesNotContain(events.All, e => e.Text.Contains("wrong-secret", StringComparison.Ordinal));

            // The password is put right on the server: the writer logs in again as its user and writes.
            await admin.GetDatabase().ExecuteAsync("ACL", "SETUSER", user, ">wrong-secret");
            var entries = new System.Collections.Generic.List<MonarchLogs.Core.MonarchLogEntry>();
            clock.Restart();
            while (entries.Count == 0 && clock.Elapsed < TimeSpan.FromSeconds(30))
            {
                logger.LogWarning("accepted");
                await Task.Delay(200);
                entries = (await harness.ReadAllAsync()).Where(e => e.Message == "accepted").ToList();
            }

            Assert.NotEmpty(entries);
            var clients = (string?)await admin.GetDatabase().ExecuteAsync("CLIENT", "LIST") ?? string.Empty;
            // The connection that writes (not the pub/sub one, flags=P, which sends no command of the writer's).
            var writing = Assert.Single(clients.Split('\n'), line => line.Contains(" name=MonarchLogs.Logging ", StringComparison.Ordinal) && line.Contains(" flags=N ", StringComparison.Ordinal));
            Assert.Contains(" user=" + user + " ", writing);
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
