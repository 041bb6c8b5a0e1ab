using System;
using System.Linq;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;
using MonarchLogs.Core.Append;
using MonarchLogs.Core.Query;
using MonarchLogs.Core.Format;
using MonarchLogs.Core.Storage;
using StackExchange.Redis;
using static MonarchLogs.Core.Tests.StoreExtensions;

namespace MonarchLogs.Core.Tests
{
    public sealed class LogStoreTests : IClassFixture<ValkeyFixture>
    {
        private readonly ValkeyFixture _valkey;

        public LogStoreTests(ValkeyFixture valkey) => _valkey = valkey;

        [Theory]
        [InlineData(StorageFormat.Version)]
        [InlineData(StorageFormat.Version2)]
        public async Task Every_field_round_trips(string version)
        {
            var store = version == StorageFormat.Version ? _valkey.NewStore().AsVersion1() : _valkey.NewStore();
            var written = new MonarchLogEntry
            {
                Timestamp = BaseTime.AddTicks(1234567),
                Level = MonarchLogLevel.Error,
                Service = "orders",
                Category = "Monarch.Orders.OrderProcessor",
                Message = "Order 42 failed: ünïcødé \"quoted\"\nsecond line",
                Template = "Order {OrderId} failed",
                EventId = 1005,
                EventName = "OrderFailed",
                ExceptionType = "System.InvalidOperationException",
                ExceptionMessage = "no address",
                Exception = "System.InvalidOperationException: no address\n   at Foo.Bar()",
                TraceId = "7a447039f5cb2392e2319fc3670ef2a1",
                SpanId = "5c826a3a0cdf70bb",
                Host = "box-1",
                Properties = "{\"OrderId\":42}",
            };
            await store.AppendAsync(new[] { written });

            var read = Assert.Single(await store.ToListAsync(new LogQuery()));
            Assert.Equal(written.Timestamp, read.Timestamp);
            Assert.Equal(DateTimeKind.Utc, read.Timestamp.Kind);
            Assert.Equal(written.Level, read.Level);
            Assert.Equal(written.Service, read.Service);
            Assert.Equal(written.Category, read.Category);
            Assert.Equal(written.Message, read.Message);
            Assert.Equal(written.Template, read.Template);
            Assert.Equal(written.EventId, read.EventId);
            Assert.Equal(written.EventName, read.EventName);
            Assert.Equal(written.ExceptionType, read.ExceptionType);
            Assert.Equal(written.ExceptionMessage, read.ExceptionMessage);
            Assert.Equal(written.Exception, read.Exception);
            Assert.Equal(written.TraceId, read.TraceId);
            Assert.Equal(written.SpanId, read.SpanId);
            Assert.Equal(written.Host, read.Host);
            Assert.Equal(written.Properties, read.Properties);
            // Format 1: the ID is the event time's millisecond; format 2: the entry's position (its tick).
            var position = version == StorageFormat.Version ? "0" : ((written.Timestamp.Ticks % TimeSpan.TicksPerMillisecond) * 65536).ToString(System.Globalization.CultureInfo.InvariantCulture);
            Assert.Equal($"{StreamId.ToUnixMilliseconds(written.Timestamp)}-{position}@orders/error", read.Id);
        }

        // Format 1: its raw stream layout (format 2: BlockAppenderTests).
        [Fact]
        public async Task Keys_and_fields_are_as_documented()
        {
            var store = _valkey.NewStore().AsVersion1();
            await store.AppendAsync(new[] { Entry("billing", MonarchLogLevel.Warning, BaseTime, "late payment") });
            var db = _valkey.Connection.GetDatabase();
            var prefix = store.Format.Prefix;

            Assert.Equal("1", (string?)await db.StringGetAsync(prefix + ":format"));
            Assert.Equal("warning:billing", (string?)await db.HashGetAsync(prefix + ":partitions", prefix + ":stream:billing:warning"));
            var raw = Assert.Single(await db.StreamRangeAsync(prefix + ":stream:billing:warning"));
            Assert.Equal($"{StreamId.ToUnixMilliseconds(BaseTime)}-0", (string?)raw.Id);
            Assert.Equal(
                new[] { "ts", "level", "service", "category", "message", "template", "eventId", "eventName", "exType", "exMessage", "exStack", "traceId", "spanId", "host", "props" },
                raw.Values.Select(v => (string)v.Name!).ToArray());
            Assert.Equal("2026-11-01T12:00:00.0000000Z", (string?)raw.Values[0].Value);
            Assert.Equal("late payment", (string?)raw.Values[4].Value);
        }

        [Fact]
        public async Task An_entry_written_by_hand_by_the_documented_format_is_read()
        {
            var store = _valkey.NewStore();
            var db = _valkey.Connection.GetDatabase();
            var p = store.Format.Prefix;
            await db.ExecuteAsync("SET", p + ":format", "1", "NX");
            await db.HashSetAsync(p + ":partitions", p + ":stream:cron:critical", "critical:cron");
            await db.ExecuteAsync("XADD", p + ":stream:cron:critical", "*", "ts", "2026-11-28T14:28:07.0000000Z", "level", "critical", "service", "cron", "message", "disk full");

            var entry = Assert.Single(await store.ToListAsync(new LogQuery { Levels = new[] { MonarchLogLevel.Critical } }));
            Assert.Equal("disk full", entry.Message);
            Assert.Equal("cron", entry.Service);
            Assert.Equal(new DateTime(2026, 11, 28, 14, 28, 7, DateTimeKind.Utc), entry.Timestamp);
            Assert.Equal(string.Empty, entry.Category);
            Assert.Equal(new[] { "cron" }, await store.GetServicesAsync());
        }

        [Fact]
        public async Task Results_merge_partitions_in_time_order_both_ways()
        {
            var store = _valkey.NewStore();
            var entries = Enumerable.Range(0, 60).Select(i => Entry(i % 3 == 0 ? "a" : "b", (MonarchLogLevel)(i % 6), BaseTime.AddSeconds(i), "n" + i)).ToList();
            await store.AppendAllAsync(entries);

            var newest = await store.ToListAsync(new LogQuery());
            Assert.Equal(Enumerable.Range(0, 60).Reverse().Select(i => "n" + i), newest.Select(e => e.Message));
            var oldest = await store.ToListAsync(new LogQuery { OldestFirst = true });
            Assert.Equal(Enumerable.Range(0, 60).Select(i => "n" + i), oldest.Select(e => e.Message));
        }

        [Fact]
        public async Task A_range_that_ends_at_the_epoch_is_empty_not_a_refused_command()
        {
            var store = _valkey.NewStore();
            await store.AppendAllAsync(new[] { Entry("a", MonarchLogLevel.Error, BaseTime) });
            foreach (var oldestFirst in new[] { false, true })
            {
                Assert.Empty(await store.ToListAsync(new LogQuery { Until = LogFilter.EarliestTime, OldestFirst = oldestFirst }));
            }

            Assert.Single(await store.ToListAsync(new LogQuery { Since = LogFilter.EarliestTime }));
        }

        [Fact]
        public async Task Pages_by_cursor_have_no_gap_and_no_duplicate_even_with_equal_ids()
        {
            var store = _valkey.NewStore();
            // Many entries share a millisecond across partitions, so stream IDs tie.
            var entries = Enumerable.Range(0, 1000).Select(i => Entry("s" + (i % 4), (MonarchLogLevel)(i % 3 + 2), BaseTime.AddMilliseconds(i / 10), "n" + i)).ToList();
            await store.AppendAllAsync(entries);

            foreach (var oldestFirst in new[] { false, true })
            {
                var all = await store.ToListAsync(new LogQuery { OldestFirst = oldestFirst });
                Assert.Equal(1000, all.Count);
                Assert.Equal(1000, all.Select(e => e.Id).Distinct().Count());
                var paged = new System.Collections.Generic.List<MonarchLogEntry>();
                string? cursor = null;
                while (true)
                {
                    var page = await store.TakeAsync(new LogQuery { OldestFirst = oldestFirst, After = oldestFirst ? cursor : null, Before = oldestFirst ? null : cursor, Limit = 7 }, 7);
                    if (page.Count == 0) break;
                    paged.AddRange(page);
                    cursor = page[^1].Id;
                }

                Assert.Equal(all.Select(e => e.Id), paged.Select(e => e.Id));
            }
        }

        [Fact]
        public async Task Filters_combine_and_read_only_matching_partitions()
        {
            var store = _valkey.NewStore();
            var services = new[] { "orders", "billing", "gateway" };
            var entries = Enumerable.Range(0, 600).Select(i => new MonarchLogEntry
            {
                Service = services[i % 3],
                Level = (MonarchLogLevel)(i % 6),
                Timestamp = BaseTime.AddMinutes(i),
                Category = i % 2 == 0 ? "Monarch.Orders.Processor" : "Monarch.Http.Client",
                Message = i % 5 == 0 ? $"Payment {i} declined" : $"Work item {i} done",
                Exception = i % 7 == 0 ? "System.TimeoutException: upstream slow" : string.Empty,
            }).ToList();
            await store.AppendAllAsync(entries);

            async Task Check(LogQuery query, Func<MonarchLogEntry, bool> truth)
            {
                var expected = entries.Where(truth).Select(e => e.Message).OrderBy(m => m).ToList();
                var actual = (await store.ToListAsync(query)).Select(e => e.Message).OrderBy(m => m).ToList();
                Assert.Equal(expected, actual);
            }

            var since = BaseTime.AddMinutes(100);
            var until = BaseTime.AddMinutes(400);
            await Check(new LogQuery { Levels = new[] { MonarchLogLevel.Error } }, e => e.Level == MonarchLogLevel.Error);
            await Check(new LogQuery { MinimumLevel = MonarchLogLevel.Warning, Services = new[] { "ORD*" } },
                e => e.Level >= MonarchLogLevel.Warning && e.Service == "orders");
            await Check(new LogQuery { Since = since, Until = until, Levels = new[] { MonarchLogLevel.Error, MonarchLogLevel.Critical }, ExcludeServices = new[] { "gateway" } },
                e => e.Timestamp >= since && e.Timestamp < until && e.Level >= MonarchLogLevel.Error && e.Service != "gateway");
            await Check(new LogQuery { Categories = new[] { "*.Orders.*" }, Message = "payment*" },
                e => e.Category.Contains(".Orders.") && e.Message.StartsWith("Payment"));
            await Check(new LogQuery { ExcludeCategories = new[] { "Monarch.Http.*" }, Pattern = new Regex("Timeout") },
                e => !e.Category.StartsWith("Monarch.Http.") && e.Exception.Contains("Timeout"));
            await Check(new LogQuery { Text = "DECLINED", Services = new[] { "billing", "gateway" }, Since = since },
                e => e.Message.Contains("declined") && e.Service != "orders" && e.Timestamp >= since);
            await Check(new LogQuery { Services = new[] { "nothing*" } }, _ => false);
        }

        [Fact]
        public async Task Time_range_is_half_open()
        {
            var store = _valkey.NewStore();
            await store.AppendAllAsync(Enumerable.Range(0, 10).Select(i => Entry("s", MonarchLogLevel.Information, BaseTime.AddSeconds(i), "n" + i)));
            var inRange = await store.ToListAsync(new LogQuery { Since = BaseTime.AddSeconds(2), Until = BaseTime.AddSeconds(5), OldestFirst = true });
            Assert.Equal(new[] { "n2", "n3", "n4" }, inRange.Select(e => e.Message));
        }

        [Fact]
        public async Task Since_after_until_is_an_InvalidTimeRange_error()
        {
            var store = _valkey.NewStore();
            var error = await Assert.ThrowsAsync<MonarchLogsException>(() => store.ToListAsync(new LogQuery { Since = BaseTime, Until = BaseTime.AddHours(-1) }));
            Assert.Equal("InvalidTimeRange", error.ErrorId);
            Assert.Equal(MonarchErrorKind.InvalidArgument, error.Kind);
            var cursor = await Assert.ThrowsAsync<MonarchLogsException>(() => store.ToListAsync(new LogQuery { After = "not-an-id" }));
            Assert.Equal("InvalidCursor", cursor.ErrorId);
        }

        // Format 1: an entry placed after the stream top gets that ID (format 2 orders by event time).
        [Fact]
        public async Task An_entry_older_than_its_stream_top_is_kept_with_its_own_time()
        {
            var store = _valkey.NewStore().AsVersion1();
            await store.AppendAsync(new[] { Entry("s", MonarchLogLevel.Error, BaseTime.AddMinutes(10), "newer") });
            await store.AppendAsync(new[] { Entry("s", MonarchLogLevel.Error, BaseTime, "older") });

            var all = await store.ToListAsync(new LogQuery());
            Assert.Equal(new[] { "older", "newer" }, all.Select(e => e.Message));
            var older = all[0];
            Assert.Equal(BaseTime, older.Timestamp);
            // Placed right after the stream's last entry: the nearest its event time the stream allows.
            Assert.StartsWith($"{StreamId.ToUnixMilliseconds(BaseTime.AddMinutes(10))}-1@", older.Id);
        }

        [Fact]
        public async Task A_store_of_another_format_version_is_refused()
        {
            var store = _valkey.NewStore();
            await _valkey.Connection.GetDatabase().StringSetAsync(store.Format.Prefix + ":format", "99");
            var read = await Assert.ThrowsAsync<MonarchLogsException>(() => store.ToListAsync(new LogQuery()));
            Assert.Equal("UnsupportedStorageFormat", read.ErrorId);
            var write = await Assert.ThrowsAsync<MonarchLogsException>(() => store.AppendAsync(new[] { Entry("s", MonarchLogLevel.Error, BaseTime) }));
            Assert.Equal("UnsupportedStorageFormat", write.ErrorId);
        }

        [Fact]
        public async Task Services_and_levels_come_from_the_registry()
        {
            var store = _valkey.NewStore();
            await store.AppendAsync(new[]
            {
                Entry("zeta", MonarchLogLevel.Error, BaseTime), Entry("Alpha", MonarchLogLevel.Debug, BaseTime), Entry("zeta", MonarchLogLevel.Debug, BaseTime),
            });
            Assert.Equal(new[] { "Alpha", "zeta" }, await store.GetServicesAsync());
            Assert.Equal(new[] { MonarchLogLevel.Debug, MonarchLogLevel.Error }, await store.GetLevelsAsync());
        }
    
        [Fact]
        public void Callers_that_ask_a_store_for_its_appender_at_once_all_get_the_same_one()
        {
            // Two appenders of one store would be two send orders: a partition's entries could
            // reach the server out of order. The barrier lets every thread ask at the same moment,
            // round after round, each round on a new store.
            const int threads = 8;
            const int rounds = 500;
            var stores = Enumerable.Range(0, rounds).Select(_ => _valkey.NewStore()).ToArray();
            var seen = new ILogAppender[rounds, threads];
            using var barrier = new Barrier(threads);
            var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
            {
                for (var round = 0; round < rounds; round++)
                {
                    barrier.SignalAndWait();
                    seen[round, t] = stores[round].Appender;
                }
            })).ToList();
            foreach (var worker in workers) worker.Start();
            foreach (var worker in workers) worker.Join();

            var split = Enumerable.Range(0, rounds).Count(round => Enumerable.Range(0, threads).Any(t => !ReferenceEquals(seen[round, t], seen[round, 0])));
            Assert.True(split == 0, $"In {split} of {rounds} rounds the callers got different appenders of one store.");
        }
    }
}
