using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using MonarchLogs.Core.Archive;
using MonarchLogs.Core.Connection;
using MonarchLogs.Core.Query;
using MonarchLogs.Core.Format;
using MonarchLogs.Core.Storage;
using MonarchLogs.Testing;
using StackExchange.Redis;
using static MonarchLogs.Core.Tests.StoreExtensions;

namespace MonarchLogs.Core.Tests
{
    /// <summary>
    /// The ACL roles of docs/operations.md, read from that page and run against a real Valkey:
    /// each role can do its job and is refused (NOPERM) everything the page says it cannot do.
    /// </summary>
    public sealed class AccessControlTests : IClassFixture<ValkeyFixture>
    {
        private readonly ValkeyFixture _valkey;

        public AccessControlTests(ValkeyFixture valkey) => _valkey = valkey;

        [Fact]
        public async Task The_reader_reads_queries_tails_and_reports_status_and_writes_nothing()
        {
            var (store, prefix) = await SeededStoreAsync();
            using var connection = await ConnectAsRoleAsync("monarch-reader", prefix);
            var reader = new LogStore(connection, new StorageFormat(prefix));

            Assert.Equal(new[] { "newer", "older" }, (await reader.ToListAsync(new LogQuery())).Select(e => e.Message));
            Assert.Equal(new[] { "acl" }, await reader.GetServicesAsync());
            var status = await reader.GetStatusAsync(TimeSpan.FromDays(36500));
            Assert.Equal(2, status.TotalEntries);
            var counts = await reader.CountAsync(new LogQuery(), interval: null);
            Assert.Equal(2, counts.Partitions.Sum(p => p.Total));
            Assert.DoesNotContain(counts.Partitions, p => p.CountedByReading);
            Assert.NotNull(status.StoreMemoryBytes);
            using (var tail = await reader.OpenTailAsync(new LogQuery()))
            {
                Assert.Equal(new[] { "older", "newer" }, (await tail.ReadBacklogAsync(5, CancellationToken.None)).Select(e => e.Message));
                await store.AppendAsync(new[] { Entry("acl", MonarchLogLevel.Error, DateTime.UtcNow, "live") });
                var seen = new List<string>();
                for (var i = 0; i < 50 && seen.Count == 0; i++) seen.AddRange((await tail.NextAsync(TimeSpan.FromMilliseconds(200), CancellationToken.None)).Select(e => e.Message));
                Assert.Equal(new[] { "live" }, seen);
            }

            var db = connection.GetDatabase();
            var stream = prefix + ":stream:acl:error";
            await AssertRefusedAsync(db, "XADD", stream, "*", "message", "forged");
            await AssertRefusedAsync(db, "SET", prefix + ":format", "2");
            await AssertRefusedAsync(db, "HSET", prefix + ":partitions", prefix + ":stream:x:error", "error:x");
            await AssertRefusedAsync(db, "DEL", stream);
            await AssertRefusedAsync(db, "XTRIM", stream, "MAXLEN", "0");
            await AssertRefusedAsync(db, "PUBLISH", prefix + ":notify", "x");
            await AssertRefusedAsync(db, "EVAL", "return 1", "0");
            await AssertRefusedAsync(db, "GET", "other:key");
            Assert.Equal(3, await _valkey.Connection.GetDatabase().StreamLengthAsync(stream));
        }

        [Fact]
        public async Task The_maintainer_trims_streams_and_cannot_add_delete_or_change_the_format()
        {
            var (_, prefix) = await SeededStoreAsync();
            using var connection = await ConnectAsRoleAsync("monarch-maintainer", prefix);
            var maintainer = new LogStore(connection, new StorageFormat(prefix));

            var partition = Assert.Single(await maintainer.GetPartitionsAsync());
            Assert.Equal(1, (await maintainer.PreviewExpiredAsync(partition, BaseTime.AddDays(1))).ExpiredEntries);
            Assert.Equal(1, (await maintainer.RemoveExpiredAsync(partition, BaseTime.AddDays(1))).RemovedEntries);
            Assert.Equal(new[] { "newer" }, (await maintainer.ToListAsync(new LogQuery())).Select(e => e.Message));
            var counts = Assert.Single((await maintainer.CountAsync(new LogQuery(), interval: null)).Partitions);
            Assert.Equal((1, false), (counts.Total, counts.CountedByReading));

            var db = connection.GetDatabase();
            var stream = partition.StreamKey;
            await AssertRefusedAsync(db, "XADD", stream, "*", "message", "forged");
            await AssertRefusedAsync(db, "DEL", stream);
            await AssertRefusedAsync(db, "UNLINK", stream);
            await AssertRefusedAsync(db, "SET", prefix + ":format", "2");
            await AssertRefusedAsync(db, "DEL", prefix + ":format");
            await AssertRefusedAsync(db, "HSET", prefix + ":partitions", prefix + ":stream:x:error", "error:x");
            await AssertRefusedAsync(db, "XTRIM", prefix + ":partitions", "MAXLEN", "0");
            Assert.Equal("1", (string?)await _valkey.Connection.GetDatabase().StringGetAsync(prefix + ":format"));
        }

        [Fact]
        public async Task The_maintainer_removes_expired_blocks_late_blocks_included_from_a_format_2_store()
        {
            using var seeder = await RetentionBlockSeeder.CreateAsync(_valkey);
            var partition = seeder.Partition("acl", MonarchLogLevel.Error);
            var cutoff = BaseTime.AddDays(1);
            await seeder.AddAtAsync(partition, BaseTime, RetentionBlockSeeder.Entries(partition, "old", BaseTime.AddSeconds(-1), BaseTime));
            await seeder.AddAtAsync(partition, cutoff, RetentionBlockSeeder.Entries(partition, "kept", cutoff.AddMinutes(-2), cutoff));
            await seeder.AddAtAsync(partition, cutoff.AddHours(1), RetentionBlockSeeder.Entries(partition, "late", BaseTime.AddHours(-1)));
            await seeder.AppendAsync(partition, RetentionBlockSeeder.Entries(partition, "head", BaseTime), toHead: true);
            using var connection = await ConnectAsRoleAsync("monarch-maintainer", seeder.Store.Format.Prefix);
            var maintainer = new LogStore(connection, seeder.Store.Format);

            Assert.Equal(3, (await maintainer.PreviewExpiredAsync(partition, cutoff)).ExpiredEntries);
            Assert.Equal(3, (await maintainer.RemoveExpiredAsync(partition, cutoff)).RemovedEntries);
            Assert.Equal(1, await seeder.Db.StreamLengthAsync(partition.StreamKey));
            Assert.Equal(0, await seeder.Db.SortedSetLengthAsync(partition.LateKey));
            await AssertRefusedAsync(connection.GetDatabase(), "XDEL", partition.HeadKey, "0-1");
        }

        [Fact]
        public async Task The_writer_writes_entries_and_can_read_or_remove_nothing()
        {
            var (_, prefix) = await SeededStoreAsync();
            using var connection = await ConnectAsRoleAsync("monarch-writer", prefix);
            var db = connection.GetDatabase();
            var stream = prefix + ":stream:acl:error";
            var registry = prefix + ":partitions";

            // What the provider does: check the format (and mark a new store: SET on the format key
            // is all the role may SET), register, append (also through a script), wake tails.
            Assert.Equal("1", (string?)await db.ExecuteAsync("GET", prefix + ":format"));
            Assert.Equal(1, (long)await db.ExecuteAsync("EXISTS", registry));
            Assert.True((await db.ExecuteAsync("SET", prefix + ":format", "2", "NX")).IsNull);
            await db.ExecuteAsync("HSET", registry, prefix + ":stream:new:error", "error:new");
            await db.ExecuteAsync("XADD", stream, "*", "message", "written");
            const string Append = "return redis.call('XADD', KEYS[1], '*', 'message', ARGV[1])";
            await db.ExecuteAsync("EVAL", Append, "1", stream, "written by a script");
            await db.ExecuteAsync("PUBLISH", prefix + ":notify", stream);

            foreach (var command in new[]
                     {
                         new object[] { "XRANGE", stream, "-", "+" },
                         new object[] { "XREVRANGE", stream, "+", "-", "COUNT", "1" },
                         new object[] { "XREAD", "STREAMS", stream, "0" },
                         new object[] { "HGETALL", registry },
                         new object[] { "DUMP", stream },
                         new object[] { "OBJECT", "ENCODING", stream },
                         new object[] { "SCAN", "0" },
                         new object[] { "KEYS", "*" },
                         new object[] { "DEL", stream },
                         new object[] { "UNLINK", stream },
                         new object[] { "XTRIM", stream, "MAXLEN", "0" },
                         new object[] { "XDEL", stream, "1-0" },
                         new object[] { "SET", stream, "x" },
                         new object[] { "SET", registry, "x" },
                         new object[] { "RENAME", stream, prefix + ":stream:moved:error" },
                     })
            {
                await AssertRefusedAsync(db, command);
            }

            // A script runs with the user's rights: it reads or removes no more than the user.
            foreach (var call in new[] { "'XRANGE', KEYS[1], '-', '+'", "'XREVRANGE', KEYS[1], '+', '-'", "'DEL', KEYS[1]", "'UNLINK', KEYS[1]", "'XTRIM', KEYS[1], 'MAXLEN', '0'", "'XDEL', KEYS[1], '1-0'", "'SET', KEYS[1], 'x'", "'DUMP', KEYS[1]" })
            {
                await AssertRefusedAsync(db, "EVAL", "return redis.call(" + call + ")", "1", stream);
            }

            await AssertRefusedAsync(db, "EVAL", "return redis.call('HGETALL', KEYS[1])", "1", registry);
            await AssertRefusedAsync(db, "EVAL", "return redis.call('KEYS', '*')", "0");
            await AssertRefusedAsync(db, "GET", "other:key");
            var admin = _valkey.Connection.GetDatabase();
            Assert.Equal(4, await admin.StreamLengthAsync(stream));
            Assert.Equal("1", (string?)await admin.StringGetAsync(prefix + ":format"));

            // What the page says ACLs cannot refuse: XADD's own trim options.
            await db.ExecuteAsync("XADD", stream, "MAXLEN", "1", "*", "message", "trims the rest");
            Assert.Equal(1, await admin.StreamLengthAsync(stream));
        }

        [Fact]
        public async Task The_writer_adds_format_2_blocks_and_compacts_its_heads_but_reads_no_stream()
        {
            var store = _valkey.NewStore();
            var prefix = store.Format.Prefix;
            var admin = _valkey.Connection.GetDatabase();
            await admin.StringSetAsync(store.Format.FormatKey, StorageFormat.Version2);
            using var connection = await ConnectAsRoleAsync("monarch-writer", prefix);
            var writer = new LogStore(connection, new StorageFormat(prefix));
            var old = DateTime.UtcNow.AddHours(-1);
            await writer.AppendAsync(new[] { Entry("acl", MonarchLogLevel.Error, old, "head") });
            await writer.AppendAsync(Enumerable.Range(0, 300).Select(i => Entry("acl", MonarchLogLevel.Error, old.AddTicks(i), "late block")).ToList());

            var partition = store.Format.GetPartition("acl", MonarchLogLevel.Error);
            Assert.Equal(1, await writer.CompactHeadAsync(partition));
            Assert.Equal(0, await admin.StreamLengthAsync(partition.HeadKey));
            Assert.Equal(2, await admin.StreamLengthAsync(partition.StreamKey));
            Assert.Equal(2, await admin.SortedSetLengthAsync(partition.LateKey));
            Assert.Equal(301, (await admin.HashGetAllAsync(partition.CountsKey)).Sum(e => (long)e.Value));

            // Its head and late rights read and delete those keys only.
            var db = connection.GetDatabase();
            await AssertRefusedAsync(db, "XRANGE", partition.StreamKey, "-", "+");
            await AssertRefusedAsync(db, "XDEL", partition.StreamKey, "1-0");
            await AssertRefusedAsync(db, "TYPE", partition.StreamKey);
            await AssertRefusedAsync(db, "ZRANGE", partition.LateKey, "0", "-1");
            await AssertRefusedAsync(db, "DEL", partition.HeadKey);
        }

        [Fact]
        public async Task The_writer_refuses_a_store_an_older_version_left_unmarked_and_marks_a_new_one()
        {
            // Partitions and no format key: a store an older version wrote. The writer may ask whether the registry exists.
            var (old, prefix) = await SeededStoreAsync();
            var admin = _valkey.Connection.GetDatabase();
            await admin.KeyDeleteAsync(old.Format.FormatKey);
            using var connection = await ConnectAsRoleAsync("monarch-writer", prefix);
            var refused = await Assert.ThrowsAsync<MonarchLogsException>(() => new LogStore(connection, new StorageFormat(prefix)).AppendAsync(new[] { Entry("acl", MonarchLogLevel.Error, DateTime.UtcNow, "refused") }));
            Assert.Equal(StoreErrors.NeedsUpgrade, refused.ErrorId);
            Assert.EndsWith("Run Update-MonarchLogStore to upgrade it.", refused.Message, StringComparison.Ordinal);
            Assert.False(await admin.KeyExistsAsync(old.Format.FormatKey));
            Assert.Equal(2, await admin.StreamLengthAsync(old.Format.GetPartition("acl", MonarchLogLevel.Error).StreamKey));

            var fresh = _valkey.NewStore().Format.Prefix;
            using var freshConnection = await ConnectAsRoleAsync("monarch-writer", fresh);
            Assert.Equal(1, await new LogStore(freshConnection, new StorageFormat(fresh)).AppendAsync(new[] { Entry("acl", MonarchLogLevel.Error, DateTime.UtcNow, "new") }));
            Assert.Equal("2", (string?)await admin.StringGetAsync(fresh + ":format"));
        }

        [Fact]
        public async Task A_writer_that_may_not_mark_a_new_store_is_refused_with_what_to_do_and_writes_nothing()
        {
            // A role without SET on the format key (nor EXISTS): it cannot tell a new store from an old one, nor mark it.
            var prefix = _valkey.NewStore().Format.Prefix;
            var user = "unmarking-" + Guid.NewGuid().ToString("N").Substring(0, 8);
            var admin = _valkey.Connection.GetDatabase();
            await admin.ExecuteAsync("ACL", "SETUSER", user, "on", ">s", "resetkeys", "-@all", "+@connection", "+info", "+get", "+hset", "+eval", "+evalsha", "+xadd", "+hincrby", "+zadd", "+publish", "+client", "+acl|whoami",
                "~" + prefix + ":stream:*", "~" + prefix + ":counts:*", "~" + prefix + ":head:*", "~" + prefix + ":late:*", "%W~" + prefix + ":partitions", "%R~" + prefix + ":format", "&*");
            using var connection = await ConnectionMultiplexer.ConnectAsync(_valkey.Server.ConnectionString + ",user=" + user + ",password=s");
            var refused = await Assert.ThrowsAsync<MonarchLogsException>(() => new LogStore(connection, new StorageFormat(prefix)).AppendAsync(new[] { Entry("acl", MonarchLogLevel.Error, DateTime.UtcNow, "refused") }));
            Assert.Equal(StoreErrors.NeedsUpgrade, refused.ErrorId);
            Assert.Equal($"The store '{prefix}' has no storage format mark and this user may not set it; this version writes format 2 only. Run Update-MonarchLogStore to upgrade a store an older version wrote, or mark a new one as an administrator (SET {prefix}:format 2 NX).", refused.Message);
            Assert.False(await admin.KeyExistsAsync(prefix + ":format"));
            Assert.False(await admin.KeyExistsAsync(prefix + ":partitions"));

            // Marked by an administrator, the store takes the writer's entries.
            await admin.StringSetAsync(prefix + ":format", "2");
            Assert.Equal(1, await new LogStore(connection, new StorageFormat(prefix)).AppendAsync(new[] { Entry("acl", MonarchLogLevel.Error, DateTime.UtcNow, "written") }));
        }

        [Fact]
        public async Task The_importer_restores_an_archive_into_a_new_store_skips_what_it_holds_and_removes_nothing()
        {
            var archive = await ExportedArchiveAsync();

            // Restored into a store nobody wrote to yet: the importer marks it, places the blocks at their time, and a second run skips them all.
            var prefix = _valkey.NewStore().Format.Prefix;
            using var connection = await ConnectAsRoleAsync("monarch-importer", prefix);
            var importer = new LogStore(connection, new StorageFormat(prefix));
            var problems = new List<ImportProblem>();
            var first = await importer.ImportAsync(new MemoryStream(archive), "backup", new ImportDefaults(), new ImportProgress(), problems.Add);
            Assert.True(problems.Count == 0, string.Join("; ", problems.Select(p => p.Error.Message)));
            Assert.Equal((300L, 0L, 0L, 0L), (first.Imported, first.Skipped, first.Failed, first.Displaced));
            var again = await importer.ImportAsync(new MemoryStream(archive), "backup", new ImportDefaults(), new ImportProgress(), problems.Add);
            Assert.Equal((0L, 300L, 0L), (again.Imported, again.Skipped, again.Failed));
            Assert.Empty(problems);

            var admin = _valkey.Connection.GetDatabase();
            var partition = new StorageFormat(prefix).GetPartition("acl", MonarchLogLevel.Error);
            Assert.Equal("2", (string?)await admin.StringGetAsync(prefix + ":format"));
            Assert.Equal(0, await admin.SortedSetLengthAsync(partition.LateKey));
            Assert.Equal(300, (await new LogStore(_valkey.Connection, new StorageFormat(prefix)).ToListAsync(new LogQuery())).Count);
            Assert.Equal(300, (await importer.CountAsync(new LogQuery(), interval: null)).Partitions.Sum(p => p.Total));

            var db = connection.GetDatabase();
            var stream = partition.StreamKey;
            foreach (var command in new[]
                     {
                         new object[] { "DEL", stream },
                         new object[] { "UNLINK", stream },
                         new object[] { "XTRIM", stream, "MAXLEN", "0" },
                         new object[] { "XDEL", stream, "1-0" },
                         new object[] { "SET", stream, "x" },
                         new object[] { "RENAME", stream, prefix + ":stream:moved:error" },
                         new object[] { "XADD", partition.HeadKey, "*", "message", "forged" },
                         new object[] { "DEL", prefix + ":format" },
                         new object[] { "SCAN", "0" },
                         new object[] { "KEYS", "*" },
                         new object[] { "FLUSHALL" },
                         new object[] { "GET", "other:key" },
                     })
            {
                await AssertRefusedAsync(db, command);
            }

            await AssertRefusedAsync(db, "EVAL", "return redis.call('DEL', KEYS[1])", "1", stream);
            await AssertRefusedAsync(db, "EVAL", "return redis.call('XTRIM', KEYS[1], 'MAXLEN', '0')", "1", stream);
            Assert.Equal(300, (await new LogStore(_valkey.Connection, new StorageFormat(prefix)).ToListAsync(new LogQuery())).Count);
        }

        [Fact]
        public async Task An_import_whose_registry_write_is_refused_stores_the_entries_and_says_queries_will_not_list_them()
        {
            var archive = await ExportedArchiveAsync();
            var prefix = _valkey.NewStore().Format.Prefix;
            using var connection = await ConnectAsRoleAsync("monarch-importer", prefix, without: "+hmset");
            var problems = new List<ImportProblem>();
            var result = await new LogStore(connection, new StorageFormat(prefix)).ImportAsync(new MemoryStream(archive), "backup", new ImportDefaults(), new ImportProgress(), problems.Add);

            Assert.Equal((300L, 0L), (result.Imported, result.Failed));
            var problem = Assert.Single(problems);
            Assert.Equal((prefix + ":partitions", StoreErrors.PermissionDenied), (problem.Target, problem.ErrorId));
            Assert.StartsWith($"The entries of backup were imported, but the partition registry {prefix}:partitions could not be updated, so queries do not list a partition new to the store until a write registers it: ", problem.Error.Message, StringComparison.Ordinal);
            Assert.Contains("hmset", problem.Error.Message, StringComparison.Ordinal);
        }

        /// <summary>An archive (JSON lines) of 300 entries of one partition of a version 2 store, exported by the administrator.</summary>
        private async Task<byte[]> ExportedArchiveAsync()
        {
            var source = _valkey.NewStore();
            await source.AppendAsync(Enumerable.Range(0, 300).Select(i => Entry("acl", MonarchLogLevel.Error, BaseTime.AddSeconds(i), "restored " + i)).ToList());
            var archive = new MemoryStream();
            using (var writer = new ArchiveWriter(archive, compress: false))
            {
                Assert.Equal(300, (await source.ExportAsync(new LogQuery(), writer, null)).Entries);
            }

            return archive.ToArray();
        }

        /// <summary>A store under a prefix of its own with two entries in one partition, one of them old.</summary>
        private async Task<(LogStore Store, string Prefix)> SeededStoreAsync()
        {
            // Format 1: the roles' raw commands and retention by ID (format 2: the version 2 tests here).
            var store = _valkey.NewStore().AsVersion1();
            await store.AppendAsync(new[] { Entry("acl", MonarchLogLevel.Error, BaseTime, "older"), Entry("acl", MonarchLogLevel.Error, DateTime.UtcNow.AddMinutes(-1), "newer") });
            return (store, store.Format.Prefix);
        }

        [Fact]
        public async Task The_reader_tails_counts_and_reports_the_status_of_a_version_2_store()
        {
            var store = _valkey.NewStore();
            await TailBlockSeeder.MarkVersion2Async(store);
            var now = DateTime.UtcNow;
            now = now.AddTicks(-(now.Ticks % TimeSpan.TicksPerMillisecond));
            await TailBlockSeeder.AppendAsync(store, new[] { Entry("acl", MonarchLogLevel.Error, BaseTime, "late") }, toHead: false, notify: false);
            await TailBlockSeeder.AppendAsync(store, new[] { Entry("acl", MonarchLogLevel.Error, now.AddSeconds(20), "ahead of the server") }, toHead: false, notify: false);
            await TailBlockSeeder.AppendAsync(store, new[] { Entry("acl", MonarchLogLevel.Error, now, "head") }, toHead: true, notify: false);
            using var connection = await ConnectAsRoleAsync("monarch-reader", store.Format.Prefix);
            var reader = new LogStore(connection, new StorageFormat(store.Format.Prefix));

            var status = await reader.GetStatusAsync(TimeSpan.FromDays(36500));
            var partition = Assert.Single(status.Partitions);
            Assert.Equal(3, partition.Entries);
            Assert.Equal(BaseTime, partition.Oldest);
            Assert.Equal(now.AddSeconds(20), partition.Newest);
            Assert.NotNull(partition.MemoryBytes);
            Assert.Equal(3, (await reader.CountAsync(new LogQuery(), interval: null)).Partitions.Sum(p => p.Total));

            var errors = new System.Collections.Concurrent.ConcurrentQueue<PartitionError>();
            using var tail = await reader.OpenTailAsync(new LogQuery(), errors.Enqueue);
            await TailBlockSeeder.AppendAsync(store, new[] { Entry("acl", MonarchLogLevel.Error, DateTime.UtcNow, "live") }, toHead: true);
            var seen = new List<string>();
            for (var i = 0; i < 50 && seen.Count == 0; i++) seen.AddRange((await tail.NextAsync(TimeSpan.FromMilliseconds(200), CancellationToken.None)).Select(e => e.Message));
            Assert.Equal(new[] { "live" }, seen);
            Assert.Empty(errors);
        }

        /// <summary>Creates the role's user from its line in docs/operations.md (less the right <paramref name="without"/>) and connects as it (ACL WHOAMI checked).</summary>
        private async Task<ConnectionMultiplexer> ConnectAsRoleAsync(string role, string prefix, string? without = null)
        {
            var user = role + "-" + Guid.NewGuid().ToString("N").Substring(0, 8);
            var words = DocumentedLine(role).Words().Skip(2).Where(word => word != without).Select(word =>
                word == role ? user
                : word == ">PASSWORD" ? ">role-secret"
                : word.Replace("~P:", "~" + prefix + ":", StringComparison.Ordinal).Replace("&P:", "&" + prefix + ":", StringComparison.Ordinal));
            await _valkey.Connection.GetDatabase().ExecuteAsync("ACL", new object[] { "SETUSER" }.Concat(words).ToArray());
            var options = StoreConnection.CreateOptions(new StoreConnectionSettings { ConnectionString = _valkey.Server.ConnectionString, User = user, Password = "role-secret" });
            var connection = await StoreConnection.ConnectAsync(options);
            Assert.Equal(user, (string?)await connection.GetDatabase().ExecuteAsync("ACL", "WHOAMI"));
            return connection;
        }

        private static string DocumentedLine(string role)
        {
            var directory = new DirectoryInfo(AppContext.BaseDirectory);
            while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "docs", "operations.md"))) directory = directory.Parent;
            Assert.NotNull(directory);
            var lines = File.ReadAllLines(Path.Combine(directory!.FullName, "docs", "operations.md"));
            return Assert.Single(lines, line => line.StartsWith("ACL SETUSER " + role + " ", StringComparison.Ordinal));
        }

        private static async Task AssertRefusedAsync(IDatabase db, params object[] command)
        {
            var refused = await Assert.ThrowsAsync<RedisServerException>(() => db.ExecuteAsync((string)command[0], command.Skip(1).ToArray()));
            Assert.True(refused.Message.Contains("NOPERM", StringComparison.Ordinal) || refused.Message.Contains("no permissions", StringComparison.OrdinalIgnoreCase),
                string.Join(" ", command) + ": " + refused.Message);
        }
    }
}
