using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using MonarchLogs.Core.Query;
using MonarchLogs.Core.Format;
using MonarchLogs.Core.Storage;
using StackExchange.Redis;
using static MonarchLogs.Core.Tests.StoreExtensions;

namespace MonarchLogs.Core.Tests
{
    /// <summary>
    /// One partition that cannot be read, or one bad registry entry, is one reported error: query,
    /// tail, status and retention give the other partitions' entries and name exactly the bad ones.
    /// </summary>
    public sealed class PartitionErrorTests : IClassFixture<ValkeyFixture>
    {
        private readonly ValkeyFixture _valkey;

        public PartitionErrorTests(ValkeyFixture valkey) => _valkey = valkey;

        /// <summary>A store with two good partitions, three registered keys of other types and three junk registry entries.</summary>
        private async Task<(LogStore Store, string[] ExpectedKeys)> PoisonedStoreAsync(bool version1 = false)
        {
            var store = version1 ? _valkey.NewStore().AsVersion1() : _valkey.NewStore();
            await store.AppendAsync(new[]
            {
                Entry("good", MonarchLogLevel.Error, BaseTime, "good error"),
                Entry("good", MonarchLogLevel.Information, BaseTime.AddSeconds(1), "good info"),
            });
            var db = _valkey.Connection.GetDatabase();
            var p = store.Format.Prefix;
            await db.StringSetAsync(p + ":stream:bad:error", "a string");
            await db.HashSetAsync(p + ":stream:bad:warning", "field", "a hash");
            await db.ListLeftPushAsync(p + ":stream:bad:critical", "a list");
            await db.HashSetAsync(store.Format.PartitionsKey, new[]
            {
                new HashEntry(p + ":stream:bad:error", "error:bad"),
                new HashEntry(p + ":stream:bad:warning", "warning:bad"),
                new HashEntry(p + ":stream:bad:critical", "critical:bad"),
                new HashEntry(p + ":stream:junk:error", "not a registry value"),
                new HashEntry(p + ":format", "error:formatkey"),
                new HashEntry(p + ":stream:other:error", "error:mismatch"),
            });
            return (store, new[] { p + ":format", p + ":stream:bad:critical", p + ":stream:bad:error", p + ":stream:bad:warning", p + ":stream:junk:error", p + ":stream:other:error" });
        }

        private static readonly string[] ExpectedIds =
        {
            StoreErrors.InvalidRegistryEntry, StoreErrors.WrongType, StoreErrors.WrongType, StoreErrors.WrongType,
            StoreErrors.InvalidRegistryEntry, StoreErrors.InvalidRegistryEntry,
        };

        private static (string Key, string Id)[] Sorted(IEnumerable<PartitionError> errors) =>
            errors.Select(e => (e.Key, e.ErrorId)).OrderBy(e => e.Key, StringComparer.Ordinal).ToArray();

        [Fact]
        public async Task A_query_returns_the_good_partitions_and_reports_each_bad_one_once()
        {
            var (store, keys) = await PoisonedStoreAsync();
            var errors = new ConcurrentQueue<PartitionError>();
            var entries = new List<MonarchLogEntry>();
            await foreach (var entry in store.QueryAsync(new LogQuery(), errors.Enqueue)) entries.Add(entry);

            Assert.Equal(new[] { "good info", "good error" }, entries.Select(e => e.Message));
            Assert.Equal(keys.Zip(ExpectedIds).ToArray(), Sorted(errors));
            var wrongType = errors.Single(e => e.Key.EndsWith(":stream:bad:error", StringComparison.Ordinal));
            Assert.Equal("bad/error", wrongType.Target);
            Assert.Equal(MonarchErrorKind.InvalidData, wrongType.Error.Kind);
            Assert.False(wrongType.Error.IsTransient);
            var junk = errors.Single(e => e.Key.EndsWith(":stream:junk:error", StringComparison.Ordinal));
            Assert.Null(junk.Partition);
            Assert.Contains("not <level>:<service>", junk.Error.Message);
            Assert.Contains("does not match its value", errors.Single(e => e.Key.EndsWith(":stream:other:error", StringComparison.Ordinal)).Error.Message);
            Assert.Contains("is not a stream key", errors.Single(e => e.Key.EndsWith(":format", StringComparison.Ordinal)).Error.Message);

            // Without a callback the read still goes on; a level filter never touches the bad keys.
            Assert.Equal(2, (await store.ToListAsync(new LogQuery())).Count);
            var filtered = new ConcurrentQueue<PartitionError>();
            await foreach (var _ in store.QueryAsync(new LogQuery { Levels = new[] { MonarchLogLevel.Information } }, filtered.Enqueue)) { }
            Assert.All(filtered, e => Assert.Equal(StoreErrors.InvalidRegistryEntry, e.ErrorId));
        }

        [Fact]
        public async Task The_status_counts_the_good_partitions_and_names_the_bad_ones()
        {
            var (store, keys) = await PoisonedStoreAsync();
            var errors = new ConcurrentQueue<PartitionError>();
            var status = await store.GetStatusAsync(TimeSpan.FromDays(36500), errors.Enqueue);

            Assert.Equal(keys.Zip(ExpectedIds).ToArray(), Sorted(errors));
            Assert.Equal(2, status.PartitionCount);
            Assert.Equal(2, status.TotalEntries);
            Assert.Equal(new[] { "good/error", "good/information" }, status.Partitions.Select(p => p.Service + "/" + p.Level.ToString().ToLowerInvariant()).OrderBy(n => n));
            Assert.Contains(status.Warnings, w => w.StartsWith("6 registered partition(s) or registry entries cannot be read", StringComparison.Ordinal));
        }

        [Fact]
        public async Task Retention_trims_the_good_partitions_and_fails_only_the_bad_ones()
        {
            // Format 1: retention by ID (format 2 keeps the head, where these few entries are).
            var (store, keys) = await PoisonedStoreAsync(version1: true);
            var errors = new ConcurrentQueue<PartitionError>();
            var partitions = await store.GetPartitionsAsync(errors.Enqueue);
            Assert.Equal(new[] { keys[0], keys[4], keys[5] }, Sorted(errors).Select(e => e.Key));
            Assert.Equal(new[] { "bad/warning", "bad/error", "bad/critical", "good/information", "good/error" }.OrderBy(n => n), partitions.Select(p => p.ToString()).OrderBy(n => n));

            long removed = 0;
            var failed = new List<string>();
            foreach (var partition in partitions)
            {
                try
                {
                    removed += (await store.RemoveExpiredAsync(partition, BaseTime.AddDays(1))).RemovedEntries;
                }
                catch (Exception ex)
                {
                    var error = StoreErrors.Classify(ex, partition.ToString());
                    Assert.Equal(StoreErrors.WrongType, error.ErrorId);
                    failed.Add(partition.ToString());
                }
            }

            Assert.Equal(2, removed);
            Assert.Equal(new[] { "bad/critical", "bad/error", "bad/warning" }, failed.OrderBy(n => n));
        }

        [Fact]
        public async Task A_tail_follows_the_good_partitions_and_reports_each_bad_one_once()
        {
            var (store, keys) = await PoisonedStoreAsync();
            var errors = new ConcurrentQueue<PartitionError>();
            using var tail = await store.OpenTailAsync(new LogQuery(), errors.Enqueue);
            Assert.Equal(keys.Zip(ExpectedIds).ToArray(), Sorted(errors));

            var backlog = await tail.ReadBacklogAsync(10, CancellationToken.None);
            Assert.Equal(new[] { "good error", "good info" }, backlog.Select(e => e.Message));

            // A key that turns into another type while the tail runs is reported and set aside too.
            await store.AppendAsync(new[] { Entry("late", MonarchLogLevel.Warning, DateTime.UtcNow, "late one") });
            var seen = new List<string>();
            var deadline = Stopwatch.StartNew();
            while (seen.Count < 1 && deadline.Elapsed < TimeSpan.FromSeconds(15)) seen.AddRange((await tail.NextAsync(TimeSpan.FromMilliseconds(100), CancellationToken.None)).Select(e => e.Message));
            Assert.Equal(new[] { "late one" }, seen);

            var db = _valkey.Connection.GetDatabase();
            var turned = store.Format.GetPartition("good", MonarchLogLevel.Error).StreamKey;
            await db.KeyDeleteAsync(turned);
            await db.StringSetAsync(turned, "now a string");
            await store.AppendAsync(new[] { Entry("good", MonarchLogLevel.Information, DateTime.UtcNow, "still followed") });
            deadline.Restart();
            while (seen.Count < 2 && deadline.Elapsed < TimeSpan.FromSeconds(15)) seen.AddRange((await tail.NextAsync(TimeSpan.FromMilliseconds(100), CancellationToken.None)).Select(e => e.Message));
            Assert.Equal(new[] { "late one", "still followed" }, seen);
            Assert.Null(tail.LastError);
            var turnedError = Assert.Single(errors, e => e.Key == turned);
            Assert.Equal(StoreErrors.WrongType, turnedError.ErrorId);

            // Reported once, not at every poll or registry refresh.
            for (var i = 0; i < 3; i++) await tail.NextAsync(TimeSpan.FromMilliseconds(50), CancellationToken.None);
            Assert.Equal(keys.Length + 1, errors.Count);
        }

        // Format 1: a reader with version 1's ACL (format 2 needs the head and late keys too).
        [Fact]
        public async Task A_partition_the_user_may_not_read_is_PermissionDenied_and_the_others_are_read()
        {
            var store = _valkey.NewStore().AsVersion1();
            await store.AppendAsync(new[]
            {
                Entry("open", MonarchLogLevel.Error, BaseTime, "readable"),
                Entry("secret", MonarchLogLevel.Error, BaseTime.AddSeconds(1), "hidden"),
            });
            var p = store.Format.Prefix;
            var user = "partial-" + Guid.NewGuid().ToString("N").Substring(0, 8);
            await _valkey.Connection.GetDatabase().ExecuteAsync("ACL", "SETUSER", user, "on", ">pw", "resetkeys", "resetchannels", "-@all",
                "+@connection", "+info", "+client|setname", "+client|setinfo", "+get", "+hgetall", "+xrange", "+xrevrange", "+xread", "+xlen", "+memory|usage",
                "%R~" + p + ":format", "%R~" + p + ":partitions", "%R~" + p + ":stream:open:*", "&" + p + ":notify");
            var options = ConfigurationOptions.Parse(_valkey.Server.ConnectionString);
            options.User = user;
            options.Password = "pw";
            using var connection = await ConnectionMultiplexer.ConnectAsync(options);
            var limited = new LogStore(connection, new StorageFormat(p));

            var errors = new ConcurrentQueue<PartitionError>();
            var entries = new List<MonarchLogEntry>();
            await foreach (var entry in limited.QueryAsync(new LogQuery(), errors.Enqueue)) entries.Add(entry);
            Assert.Equal(new[] { "readable" }, entries.Select(e => e.Message));
            var error = Assert.Single(errors);
            Assert.Equal((p + ":stream:secret:error", StoreErrors.PermissionDenied), (error.Key, error.ErrorId));
            Assert.Equal(MonarchErrorKind.PermissionDenied, error.Error.Kind);
        }
    }
}
