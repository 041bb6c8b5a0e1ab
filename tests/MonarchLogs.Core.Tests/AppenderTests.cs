using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using MonarchLogs.Core.Append;
using MonarchLogs.Core.Ingest;
using MonarchLogs.Core.Query;
using MonarchLogs.Core.Storage;
using StackExchange.Redis;
using static MonarchLogs.Core.Tests.StoreExtensions;

namespace MonarchLogs.Core.Tests
{
    /// <summary>
    /// Both append paths (the provider's own RESP path and StackExchange.Redis) against a real
    /// server, read back by the store engine: the same stored form, one partition's failure costs
    /// that partition only, the order of one writer is kept, another format version is refused
    /// before anything is written.
    /// </summary>
    public sealed class AppenderTests : IClassFixture<ValkeyFixture>
    {
        private readonly ValkeyFixture _valkey;

        public AppenderTests(ValkeyFixture valkey) => _valkey = valkey;

        private RespLogAppender NewAppender(LogStore store, string? connectionString = null) =>
            new RespLogAppender(ConfigurationOptions.Parse(connectionString ?? _valkey.Server.ConnectionString), store.Format);

        /// <summary>An append path by name, each on its own connection (as two processes would be).</summary>
        private (ILogAppender Appender, IDisposable Owner) NewAppender(string path, LogStore store)
        {
            if (path == "resp")
            {
                var resp = NewAppender(store);
                return (resp, resp);
            }

            var connection = _valkey.Server.Connect();
            return (new StoreAppender(connection, store.Format), connection);
        }

        [Fact]
        public async Task Entries_written_by_the_RESP_path_read_back_exactly_as_the_client_library_path_writes_them()
        {
            var viaResp = _valkey.NewStore();
            var viaClient = _valkey.NewStore();
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

            using var appender = NewAppender(viaResp);
            var batch = new AppendBatch(entries);
            var result = await appender.AppendAsync(batch);
            Assert.Equal(3, result.Stored);
            Assert.Empty(result.Failures);
            Assert.Equal(3, batch.StoredCount);
            await viaClient.AppendAsync(entries);

            var fromResp = await viaResp.ToListAsync(new LogQuery { OldestFirst = true });
            var fromClient = await viaClient.ToListAsync(new LogQuery { OldestFirst = true });
            Assert.Equal(3, fromResp.Count);
            Assert.Equal(fromClient.Select(e => System.Text.Json.JsonSerializer.Serialize(e)), fromResp.Select(e => System.Text.Json.JsonSerializer.Serialize(e)));
            Assert.Equal(await viaClient.GetServicesAsync(), await viaResp.GetServicesAsync());

            // Field by field on the wire too: the same names in the same order.
            var db = _valkey.Connection.GetDatabase();
            var key = viaResp.Format.GetPartition("orders", MonarchLogLevel.Error).StreamKey;
            var raw = (await db.StreamRangeAsync(key)).Single();
            var reference = (await db.StreamRangeAsync(viaClient.Format.GetPartition("orders", MonarchLogLevel.Error).StreamKey)).Single();
            Assert.Equal(reference.Values.Select(v => (string?)v.Name), raw.Values.Select(v => (string?)v.Name));
            Assert.Equal(reference.Values.Select(v => (string?)v.Value), raw.Values.Select(v => (string?)v.Value));
            Assert.Equal(reference.Id, raw.Id);
        }

        [Fact]
        public async Task A_big_batch_is_stored_whole_in_one_pipeline()
        {
            var store = _valkey.NewStore();
            using var appender = NewAppender(store);
            var entries = Enumerable.Range(0, 6000).Select(i => Entry("s" + (i % 5), (MonarchLogLevel)(i % 6), BaseTime.AddMilliseconds(i), "n" + i)).ToList();
            Assert.Equal(6000, await appender.AppendBatchAsync(entries));
            Assert.Equal(Enumerable.Range(0, 6000).Select(i => "n" + i), (await store.ToListAsync(new LogQuery { OldestFirst = true })).Select(e => e.Message));
        }

        [Theory]
        [InlineData("resp")]
        [InlineData("client library")]
        public async Task A_partition_that_refuses_costs_its_own_entries_only_and_a_retry_stores_each_entry_once(string path)
        {
            var store = _valkey.NewStore();
            var (appender, owner) = NewAppender(path, store);
            using var _ = owner;
            var db = _valkey.Connection.GetDatabase();
            var blocked = store.Format.GetPartition("b", MonarchLogLevel.Error).StreamKey;
            await db.StringSetAsync(blocked, "not a stream");
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
            await db.KeyDeleteAsync(blocked);
            result = await appender.AppendAsync(batch);
            Assert.Equal(10, result.Stored);
            Assert.Empty(result.Failures);
            Assert.Equal(0, batch.Unsettled);
            Assert.Equal(Enumerable.Range(0, 30).Select(i => "n" + i), (await store.ToListAsync(new LogQuery { OldestFirst = true })).Select(e => e.Message));
            Assert.Equal(new[] { "a", "b" }, await store.GetServicesAsync());
        }

        [Theory]
        [InlineData("resp")]
        [InlineData("client library")]
        public async Task An_entry_older_than_its_stream_top_goes_after_it_in_batch_order_with_its_own_time(string path)
        {
            var store = _valkey.NewStore();
            var (appender, owner) = NewAppender(path, store);
            using var _ = owner;
            await appender.AppendBatchAsync(new[] { Entry("s", MonarchLogLevel.Error, BaseTime.AddMinutes(10), "newer") });

            // Another writer went ahead: this one's late entry and the one after it keep their order.
            using var other = NewAppender(store);
            await other.AppendBatchAsync(new[] { Entry("s", MonarchLogLevel.Error, BaseTime.AddMinutes(20), "other writer") });
            Assert.Equal(2, await appender.AppendBatchAsync(new[] { Entry("s", MonarchLogLevel.Error, BaseTime, "older"), Entry("s", MonarchLogLevel.Error, BaseTime.AddMinutes(11), "newest") }));

            var read = await store.ToListAsync(new LogQuery { OldestFirst = true });
            Assert.Equal(new[] { "newer", "other writer", "older", "newest" }, read.Select(e => e.Message));
            Assert.Equal(BaseTime, read[2].Timestamp);
            Assert.Equal(BaseTime.AddMinutes(11), read[3].Timestamp);
        }

        [Theory]
        [InlineData("resp")]
        [InlineData("client library")]
        public async Task Each_writer_keeps_its_own_order_when_writers_share_a_partition_and_their_times_interleave(string path)
        {
            var store = _valkey.NewStore();
            var writers = Enumerable.Range(0, 4).Select(_ => NewAppender(path, store)).ToList();
            try
            {
                // Each writer's times go up, but jitter back by up to 40 ms (threads take their
                // time before they enqueue), and the writers' batches interleave.
                var random = new Random(7);
                await Task.WhenAll(writers.Select((writer, w) => Task.Run(async () =>
                {
                    var clock = BaseTime;
                    for (var b = 0; b < 25; b++)
                    {
                        var entries = new List<MonarchLogEntry>();
                        for (var i = 0; i < 20; i++)
                        {
                            int jitter;
                            lock (random) jitter = random.Next(0, 40);
                            clock = clock.AddMilliseconds(3);
                            entries.Add(Entry("shared", MonarchLogLevel.Information, clock.AddMilliseconds(-jitter), $"{w}:{b * 20 + i:D4}"));
                        }

                        Assert.Equal(20, await writer.Appender.AppendBatchAsync(entries));
                    }
                })));
            }
            finally
            {
                foreach (var writer in writers) writer.Owner.Dispose();
            }

            var read = await store.ToListAsync(new LogQuery { OldestFirst = true });
            Assert.Equal(2000, read.Count);
            for (var w = 0; w < 4; w++)
            {
                var mine = read.Select(e => e.Message).Where(m => m.StartsWith(w + ":", StringComparison.Ordinal)).ToList();
                Assert.Equal(mine.OrderBy(m => m, StringComparer.Ordinal), mine);
            }
        }

        [Theory]
        [InlineData("resp")]
        [InlineData("client library")]
        public async Task A_store_of_another_format_version_is_refused_before_anything_is_written(string path)
        {
            var store = _valkey.NewStore();
            await _valkey.Connection.GetDatabase().StringSetAsync(store.Format.FormatKey, "2");
            var (appender, owner) = NewAppender(path, store);
            using var _ = owner;
            var error = await Assert.ThrowsAsync<MonarchLogsException>(() => appender.AppendAsync(new AppendBatch(new[] { Entry("s", MonarchLogLevel.Error, BaseTime) })));
            Assert.Equal("UnsupportedStorageFormat", error.ErrorId);
            Assert.False(error.IsTransient);
            var db = _valkey.Connection.GetDatabase();
            Assert.False(await db.KeyExistsAsync(store.Format.GetPartition("s", MonarchLogLevel.Error).StreamKey));
            Assert.False(await db.KeyExistsAsync(store.Format.PartitionsKey));
        }

        [Fact]
        public async Task After_a_server_restart_the_next_batch_opens_a_new_connection()
        {
            using var server = await Testing.ValkeyServer.StartAsync();
            using var reader = server.Connect();
            var store = new LogStore(reader, new StorageFormat("restart"));
            using var appender = new RespLogAppender(ConfigurationOptions.Parse(server.ConnectionString + ",connectTimeout=1000"), store.Format);
            Assert.Equal(1, await appender.AppendBatchAsync(new[] { Entry("s", MonarchLogLevel.Information, BaseTime, "before") }));

            await server.StopAsync(save: true);
            var during = new AppendBatch(new[] { Entry("s", MonarchLogLevel.Information, BaseTime.AddSeconds(1), "after") });
            var lost = StoreErrors.Classify(await Assert.ThrowsAnyAsync<Exception>(() => appender.AppendAsync(during)));
            Assert.True(lost.IsTransient);
            Assert.False(during.IsStored(0));

            await server.StartAgainAsync();
            Assert.Equal(1, (await appender.AppendAsync(during)).Stored);
            Assert.Equal(new[] { "before", "after" }, (await store.ToListAsync(new LogQuery { OldestFirst = true })).Select(e => e.Message));
        }

        [Fact]
        public async Task A_connection_closed_while_unused_is_replaced_at_once_without_a_failed_batch()
        {
            var store = _valkey.NewStore();
            using var appender = NewAppender(store);
            Assert.Equal(1, await appender.AppendBatchAsync(new[] { Entry("s", MonarchLogLevel.Information, BaseTime, "before") }));

            // As Valkey's idle timeout or a firewall would: the connection goes while unused.
            await Task.Delay(RespConnection.StaleAfter + TimeSpan.FromSeconds(1));
            await _valkey.Connection.GetDatabase().ExecuteAsync("CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes");

            var after = new AppendBatch(new[] { Entry("s", MonarchLogLevel.Information, BaseTime.AddSeconds(1), "after") });
            Assert.Equal(1, (await appender.AppendAsync(after)).Stored);
            Assert.True(after.IsStored(0));
            Assert.Equal(new[] { "before", "after" }, (await store.ToListAsync(new LogQuery { OldestFirst = true })).Select(e => e.Message));
        }

        [Fact]
        public async Task The_connection_string_password_and_database_are_honoured()
        {
            using var server = await Testing.ValkeyServer.StartAsync();
            using (var admin = server.Connect())
            {
                await admin.GetDatabase().ExecuteAsync("CONFIG", "SET", "requirepass", "s3cret pass");
            }

            var options = ConfigurationOptions.Parse(server.ConnectionString + ",defaultDatabase=3");
            options.Password = "s3cret pass";
            var format = new StorageFormat("auth");
            using (var appender = new RespLogAppender(options, format))
            {
                Assert.Equal(1, await appender.AppendBatchAsync(new[] { Entry("s", MonarchLogLevel.Warning, BaseTime, "in db 3") }));
            }

            using var reader = ConnectionMultiplexer.Connect(options);
            var store = new LogStore(reader, format);
            Assert.Equal("in db 3", Assert.Single(await store.ToListAsync(new LogQuery())).Message);
            Assert.Equal(0, await reader.GetDatabase(0).KeyExistsAsync(format.FormatKey) ? 1 : 0);

            options.Password = "wrong";
            using var refused = new RespLogAppender(options, format);
            var error = await Assert.ThrowsAsync<MonarchLogsException>(() => refused.AppendBatchAsync(new[] { Entry("s", MonarchLogLevel.Warning, BaseTime) }));
            Assert.Equal("ValkeyAuthenticationFailed", error.ErrorId);
            Assert.DoesNotContain("wrong", error.Message.Replace("WRONGPASS", string.Empty));
        }

        [Fact]
        public async Task Replies_split_across_reads_at_any_byte_are_parsed_whole()
        {
            var wire = System.Text.Encoding.UTF8.GetBytes("+OK\r\n-ERR bad\r\n:-42\r\n$-1\r\n$4\r\nhé!\r\n*2\r\n*2\r\n$3\r\n1-0\r\n*0\r\n$0\r\n\r\n*-1\r\n");
            var reader = new RespReader(new OneByteStream(wire), capacity: 4);
            var ok = await reader.ReadAsync(true, default);
            Assert.Equal((RespKind.SimpleString, "OK"), (ok.Kind, ok.Text));
            var error = await reader.ReadAsync(true, default);
            Assert.Equal((RespKind.Error, "ERR bad"), (error.Kind, error.Text));
            Assert.Equal(-42, (await reader.ReadAsync(true, default)).Integer);
            Assert.Equal(RespKind.Null, (await reader.ReadAsync(true, default)).Kind);
            Assert.Equal("hé!", (await reader.ReadAsync(true, default)).Text);
            var array = await reader.ReadAsync(true, default);
            Assert.Equal(RespKind.Array, array.Kind);
            Assert.Equal("1-0", array.Items![0].Items![0].Text);
            Assert.Empty(array.Items[0].Items![1].Items!);
            Assert.Equal("", array.Items[1].Text);
            Assert.Equal(RespKind.Null, (await reader.ReadAsync(true, default)).Kind);
            await Assert.ThrowsAsync<System.IO.IOException>(async () => await reader.ReadAsync(true, default));
        }

        [Fact]
        public void Commands_are_encoded_as_RESP_arrays_of_bulk_strings()
        {
            var commands = new RespCommandBuffer(capacity: 2);
            commands.BeginCommand(4);
            commands.WriteBulk("XADD");
            commands.WriteBulk("k é");
            commands.WriteBulkAutoSequenceId(1764000000123);
            commands.WriteBulk(-7);
            commands.BeginCommand(2);
            commands.WriteBulk("");
            commands.WriteBulkRoundTrip(BaseTime.AddTicks(1));
            var text = System.Text.Encoding.UTF8.GetString(commands.Buffer, 0, commands.Length);
            Assert.Equal("*4\r\n$4\r\nXADD\r\n$4\r\nk é\r\n$15\r\n1764000000123-*\r\n$2\r\n-7\r\n*2\r\n$0\r\n\r\n$28\r\n2026-11-01T12:00:00.0000001Z\r\n", text);
        }

        /// <summary>A stream that hands out one byte per read, as the worst network would.</summary>
        private sealed class OneByteStream : System.IO.MemoryStream
        {
            public OneByteStream(byte[] bytes)
                : base(bytes)
            {
            }

            public override Task<int> ReadAsync(byte[] buffer, int offset, int count, System.Threading.CancellationToken cancellationToken) =>
                base.ReadAsync(buffer, offset, Math.Min(count, 1), cancellationToken);
        }
    }
}
