using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using MonarchLogs.Core.Append;
using MonarchLogs.Core.Query;
using MonarchLogs.Core.Format;
using MonarchLogs.Core.Storage;
using StackExchange.Redis;
using static MonarchLogs.Core.Tests.StoreExtensions;

namespace MonarchLogs.Core.Tests
{
    /// <summary>
    /// The append path through StackExchange.Redis against a real server, read back by the store
    /// engine: every field comes back, one partition's failure costs that partition only, a
    /// reply that never comes and a restart are transient, a store of another format version
    /// (format 1 included: it must be upgraded first) is refused before anything is written.
    /// </summary>
    public sealed class AppenderTests : IClassFixture<ValkeyFixture>
    {
        private readonly ValkeyFixture _valkey;

        public AppenderTests(ValkeyFixture valkey) => _valkey = valkey;

        /// <summary>An append path on its own connection, as another process would have.</summary>
        private (ILogAppender Appender, IDisposable Owner) NewAppender(LogStore store)
        {
            var connection = _valkey.Server.Connect();
            return (new VersionedAppender(connection, store.Format), connection);
        }

        [Fact]
        public async Task Every_field_reads_back_exactly_as_written()
        {
            var store = _valkey.NewStore();
            var entries = new List<MonarchLogEntry>
            {
                new MonarchLogEntry
                {
                    Timestamp = BaseTime.AddTicks(1234567), Level = MonarchLogLevel.Error, Service = "orders", Category = "Monarch.Orders",
                    Message = "ünïcødé \"quoted\"\r\nsecond line 🦋 " + new string('x', 200_000), Template = "Order {OrderId}", EventId = -1005, EventName = "OrderFailed",
                    ExceptionType = "System.InvalidOperationException", ExceptionMessage = "no address", Exception = "System.InvalidOperationException: no address\n   at Foo.Bar()",
                    TraceId = "7a447039f5cb2392e2319fc3670ef2a1", SpanId = "5c826a3a0cdf70bb", Host = "box-1", Properties = "{\"OrderId\":42}",
                },
                Entry("billing", MonarchLogLevel.Trace, BaseTime.AddSeconds(1), ""),
                Entry("billing", MonarchLogLevel.Critical, new DateTime(2026, 11, 1, 13, 0, 2, DateTimeKind.Local)),
            };

            var (appender, owner) = NewAppender(store);
            using var _ = owner;
            var batch = new AppendBatch(entries);
            var result = await appender.AppendAsync(batch);
            Assert.Equal(3, result.Stored);
            Assert.Empty(result.Failures);
            Assert.Equal(3, batch.StoredCount);

            var read = await store.ToListAsync(new LogQuery { OldestFirst = true });
            Assert.Equal(3, read.Count);
            var first = read[0];
            var written = entries[0];
            Assert.Equal((written.Timestamp, written.Level, written.Service, written.Category, written.Message, written.Template, written.EventId, written.EventName),
                (first.Timestamp, first.Level, first.Service, first.Category, first.Message, first.Template, first.EventId, first.EventName));
            Assert.Equal((written.ExceptionType, written.ExceptionMessage, written.Exception, written.TraceId, written.SpanId, written.Host, written.Properties),
                (first.ExceptionType, first.ExceptionMessage, first.Exception, first.TraceId, first.SpanId, first.Host, first.Properties));
            Assert.Equal(entries[2].Timestamp.ToUniversalTime(), read[2].Timestamp);
            Assert.EndsWith("@orders/error", first.Id);
        }

        [Fact]
        public async Task A_run_keeps_each_entrys_host_whether_all_share_one_or_not()
        {
            var store = _valkey.NewStore();
            var (appender, owner) = NewAppender(store);
            using var _ = owner;
            MonarchLogEntry On(string? host, int second, string service) => new MonarchLogEntry
            {
                Service = service, Level = MonarchLogLevel.Warning, Timestamp = BaseTime.AddSeconds(second), Message = "m", Category = "Cat", Host = host ?? string.Empty,
            };

            // "shared": every entry names the same host; "mixed": two hosts and one that names none (the writer's).
            var entries = new[] { On("box-1", 0, "shared"), On("box-1", 1, "shared"), On("box-1", 0, "mixed"), On("box-2", 1, "mixed"), On(null, 2, "mixed") };
            var result = await appender.AppendAsync(new AppendBatch(entries));
            Assert.Equal(5, result.Stored);

            var read = await store.ToListAsync(new LogQuery { OldestFirst = true });
            Assert.Equal(new[] { "mixed box-1", "mixed box-2", "mixed " + Environment.MachineName, "shared box-1", "shared box-1" },
                read.Select(e => e.Service + " " + e.Host).OrderBy(x => x, StringComparer.Ordinal).ToArray());
            Assert.All(read, e => Assert.Equal(MonarchLogLevel.Warning, e.Level));
        }

        [Fact]
        public async Task A_big_batch_is_stored_whole_in_one_pipeline()
        {
            var store = _valkey.NewStore();
            var (appender, owner) = NewAppender(store);
            using var _ = owner;
            var entries = Enumerable.Range(0, 6000).Select(i => Entry("s" + (i % 5), (MonarchLogLevel)(i % 6), BaseTime.AddMilliseconds(i), "n" + i)).ToList();
            Assert.Equal(6000, await appender.AppendBatchAsync(entries));
            Assert.Equal(Enumerable.Range(0, 6000).Select(i => "n" + i), (await store.ToListAsync(new LogQuery { OldestFirst = true })).Select(e => e.Message));
        }

        [Fact]
        public async Task A_partition_that_refuses_costs_its_own_entries_only_and_a_retry_stores_each_entry_once()
        {
            var store = _valkey.NewStore();
            var (appender, owner) = NewAppender(store);
            using var _ = owner;
            var db = _valkey.Connection.GetDatabase();
            var blockedPartition = store.Format.GetPartition("b", MonarchLogLevel.Error);
            var blocked = blockedPartition.StreamKey;
            await db.StringSetAsync(blocked, "not a stream");
            await db.StringSetAsync(blockedPartition.HeadKey, "not a stream either");
            var entries = Enumerable.Range(0, 30).Select(i => Entry(i % 3 == 0 ? "b" : "a", MonarchLogLevel.Error, BaseTime.AddSeconds(i), "n" + i)).ToList();
            var batch = new AppendBatch(entries);

            var result = await appender.AppendAsync(batch);
            Assert.Equal(20, result.Stored);
            var failure = Assert.Single(result.Failures);
            Assert.Equal(blocked, failure.Partition.StreamKey);
            Assert.Equal("PartitionWrongType", failure.Error.ErrorId);
            Assert.False(failure.Error.IsTransient);
            Assert.Equal(Enumerable.Range(0, 30).Select(i => i % 3 != 0), Enumerable.Range(0, 30).Select(batch.IsStored));

            // The connection stays usable after a server error: the retry goes over it.
            await db.KeyDeleteAsync(new RedisKey[] { blocked, blockedPartition.HeadKey });
            result = await appender.AppendAsync(batch);
            Assert.Equal(10, result.Stored);
            Assert.Empty(result.Failures);
            Assert.Equal(0, batch.Unsettled);
            Assert.Equal(Enumerable.Range(0, 30).Select(i => "n" + i), (await store.ToListAsync(new LogQuery { OldestFirst = true })).Select(e => e.Message));
            Assert.Equal(new[] { "a", "b" }, await store.GetServicesAsync());
        }

        [Fact]
        public async Task An_append_whose_reply_never_comes_counts_as_timed_out_instead_of_waiting_for_good()
        {
            var store = _valkey.NewStore();
            // The client's own timeout is far off: only the appender's reply timeout can end the wait.
            var options = ConfigurationOptions.Parse(_valkey.Server.ConnectionString + ",abortConnect=false,asyncTimeout=60000,syncTimeout=60000");
            using var connection = await ConnectionMultiplexer.ConnectAsync(options);
            var appender = new VersionedAppender(connection, store.Format) { ReplyTimeout = TimeSpan.FromMilliseconds(500) };
            Assert.Equal(1, await appender.AppendBatchAsync(new[] { Entry("s", MonarchLogLevel.Error, BaseTime, "before") }));

            var admin = _valkey.Connection.GetServer(_valkey.Connection.GetEndPoints()[0]);
            await admin.ExecuteAsync("CLIENT", "PAUSE", "4000", "ALL");
            try
            {
                var batch = new AppendBatch(new[] { Entry("s", MonarchLogLevel.Error, BaseTime.AddSeconds(1), "unanswered") });
                var clock = System.Diagnostics.Stopwatch.StartNew();
                var result = await appender.AppendAsync(batch);
                Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(400), TimeSpan.FromMilliseconds(3500));
                Assert.Equal(0, result.Stored);
                var failure = Assert.Single(result.Failures);
                Assert.Equal("ValkeyTimeout", failure.Error.ErrorId);
                Assert.True(failure.Error.IsTransient);
                Assert.False(batch.IsStored(0));
            }
            finally
            {
                await admin.ExecuteAsync("CLIENT", "UNPAUSE");
            }
        }

        [Theory]
        [InlineData("3", "UnsupportedStorageFormat")]
        [InlineData("1", "StoreNeedsUpgrade")]
        public async Task A_store_of_another_format_version_is_refused_before_anything_is_written(string version, string errorId)
        {
            var store = _valkey.NewStore();
            await _valkey.Connection.GetDatabase().StringSetAsync(store.Format.FormatKey, version);
            var (appender, owner) = NewAppender(store);
            using var _ = owner;
            var error = await Assert.ThrowsAsync<MonarchLogsException>(() => appender.AppendAsync(new AppendBatch(new[] { Entry("s", MonarchLogLevel.Error, BaseTime) })));
            Assert.Equal(errorId, error.ErrorId);
            Assert.False(error.IsTransient);
            var db = _valkey.Connection.GetDatabase();
            Assert.False(await db.KeyExistsAsync(store.Format.GetPartition("s", MonarchLogLevel.Error).StreamKey));
            Assert.False(await db.KeyExistsAsync(store.Format.PartitionsKey));
        }

        [Fact]
        public async Task After_a_server_restart_a_failed_append_is_transient_and_its_retry_stores_the_entry_once()
        {
            using var server = await Testing.ValkeyServer.StartAsync();
            using var reader = server.Connect();
            var store = new LogStore(reader, new StorageFormat("restart"));
            var options = ConfigurationOptions.Parse(server.ConnectionString + ",connectTimeout=1000");
            options.AbortOnConnectFail = false;
            options.BacklogPolicy = BacklogPolicy.FailFast;
            using var connection = await ConnectionMultiplexer.ConnectAsync(options);
            var appender = new VersionedAppender(connection, store.Format);
            Assert.Equal(1, await appender.AppendBatchAsync(new[] { Entry("s", MonarchLogLevel.Information, BaseTime, "before") }));

            await server.StopAsync(save: true);
            var during = new AppendBatch(new[] { Entry("s", MonarchLogLevel.Information, BaseTime.AddSeconds(1), "after") });
            // Disconnected, the client fails at once (the writer's buffer, not the client's backlog,
            // holds entries): the call throws, or reports the partition's failure, by when the
            // client notices; either way the failure may pass.
            MonarchLogsException failed;
            try
            {
                failed = Assert.Single((await appender.AppendAsync(during)).Failures).Error;
            }
            catch (Exception ex) when (!(ex is Xunit.Sdk.XunitException))
            {
                failed = StoreErrors.Classify(ex);
            }

            Assert.True(failed.IsTransient, failed.ErrorId + ": " + failed.Message);
            Assert.False(during.IsStored(0));

            await server.StartAgainAsync();
            var clock = System.Diagnostics.Stopwatch.StartNew();
            while (!during.IsStored(0) && clock.Elapsed < TimeSpan.FromSeconds(20))
            {
                try
                {
                    await appender.AppendAsync(during);
                }
                catch (MonarchLogsException ex) when (ex.IsTransient)
                {
                }
                catch (RedisConnectionException)
                {
                }

                if (!during.IsStored(0)) await Task.Delay(100);
            }

            Assert.Equal(new[] { "before", "after" }, (await store.ToListAsync(new LogQuery { OldestFirst = true })).Select(e => e.Message));
        }
    
        [Fact]
        public async Task Appenders_made_one_after_another_on_one_connection_leave_it_one_reconnect_handler()
        {
            // As the PowerShell module does: a store and an appender per command, on a connection
            // that lives as long as the session. An appender that subscribed for itself stayed
            // reachable from the connection for good, with all it held.
            using var connection = _valkey.Server.Connect();
            var store = _valkey.NewStore();
            var before = RestoredHandlers(connection);
            for (var i = 0; i < 1000; i++)
            {
                Assert.Equal(1, await new LogStore(connection, store.Format).Appender.AppendBatchAsync(new[] { Entry("s", MonarchLogLevel.Information, BaseTime.AddSeconds(i)) }));
                _ = new VersionedAppender(connection, store.Format, host: string.Empty);
            }

            Assert.InRange(RestoredHandlers(connection), before, before + 1);
        }

        [Fact]
        public async Task After_a_reconnect_the_appender_checks_the_format_again()
        {
            var store = _valkey.NewStore();
            using var connection = _valkey.Server.Connect();
            var appender = new LogStore(connection, store.Format).Appender;
            Assert.Equal(1, await appender.AppendBatchAsync(new[] { Entry("s", MonarchLogLevel.Error, BaseTime, "before") }));

            // The server now holds a store of another version, as another server would after a failover.
            await _valkey.Connection.GetDatabase().StringSetAsync(store.Format.FormatKey, "99");
            Assert.Equal(1, await appender.AppendBatchAsync(new[] { Entry("s", MonarchLogLevel.Error, BaseTime.AddSeconds(1), "checked before") }));

            var restored = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            connection.ConnectionRestored += (_, e) =>
            {
                if (e.ConnectionType == ConnectionType.Interactive) restored.TrySetResult(true);
            };
            var server = connection.GetServer(connection.GetEndPoints()[0]);
            var id = (long)await server.ExecuteAsync("CLIENT", "ID");
            await _valkey.Connection.GetServer(_valkey.Connection.GetEndPoints()[0]).ExecuteAsync("CLIENT", "KILL", "ID", id);
            Assert.Same(restored.Task, await Task.WhenAny(restored.Task, Task.Delay(TimeSpan.FromSeconds(20))));

            var refused = await Assert.ThrowsAsync<MonarchLogsException>(() => appender.AppendBatchAsync(new[] { Entry("s", MonarchLogLevel.Error, BaseTime.AddSeconds(2), "after") }));
            Assert.Equal("UnsupportedStorageFormat", refused.ErrorId);
        }

        /// <summary>The handlers on the connection's ConnectionRestored event (its compiler-made field).</summary>
        private static int RestoredHandlers(ConnectionMultiplexer connection)
        {
            var field = typeof(ConnectionMultiplexer).GetField(nameof(ConnectionMultiplexer.ConnectionRestored), System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic)
                ?? throw new InvalidOperationException("StackExchange.Redis keeps ConnectionRestored in no field of that name.");
            return ((Delegate?)field.GetValue(connection))?.GetInvocationList().Length ?? 0;
        }
    }
}
