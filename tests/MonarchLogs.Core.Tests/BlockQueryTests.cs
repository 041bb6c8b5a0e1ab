using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using MonarchLogs.Core.Archive;
using MonarchLogs.Core.Format;
using MonarchLogs.Core.Format.Blocks;
using MonarchLogs.Core.Query;
using MonarchLogs.Core.Storage;
using StackExchange.Redis;
using static MonarchLogs.Core.Tests.StoreExtensions;

namespace MonarchLogs.Core.Tests
{
    /// <summary>Queries, context and export of a format 2 store (blocks), written by <see cref="BlockStoreSeeder"/>.</summary>
    public sealed class BlockQueryTests : IClassFixture<ValkeyFixture>
    {
        private readonly ValkeyFixture _valkey;

        public BlockQueryTests(ValkeyFixture valkey) => _valkey = valkey;

        private IDatabase Db => _valkey.Connection.GetDatabase();

        private static MonarchLogEntry At(string service, MonarchLogLevel level, long ticks, string message = "m", string traceId = "", string properties = "") =>
            new MonarchLogEntry { Service = service, Level = level, Timestamp = BaseTime.AddTicks(ticks), Message = message, Category = "Cat", TraceId = traceId, Properties = properties };

        /// <summary>Adds the entries as one on-time block of the stream.</summary>
        private async Task<EncodedBlock> AddBlockAsync(LogStore store, IReadOnlyList<MonarchLogEntry> entries, string writer = "", long sequence = 0)
        {
            var block = BlockStoreSeeder.Encode(entries, writer, sequence);
            await BlockStoreSeeder.AddAtAsync(Db, store.Format, BlockStoreSeeder.PartitionOf(store.Format, entries[0]), block, BlockStoreSeeder.OnTimeId(block));
            return block;
        }

        /// <summary>The Ids in store order: by position, then partition.</summary>
        private static List<string> InOrder(IEnumerable<MonarchLogEntry> entries, bool newestFirst)
        {
            var ids = entries.Select(e => LogEntryId.Parse(new LogEntryId(BlockPositions.Of(BlockHeader.ToUnixTicks(e.Timestamp), 0), e.Service, e.Level).ToString())).ToList();
            ids.Sort((a, b) => newestFirst ? b.CompareTo(a) : a.CompareTo(b));
            return ids.Select(i => i.ToString()).ToList();
        }

        private static List<string> Ids(IEnumerable<MonarchLogEntry> entries) => entries.Select(e => e.Id!).ToList();

        private static async Task<(List<MonarchLogEntry> Entries, List<PartitionError> Errors)> ReadAsync(LogStore store, LogQuery query)
        {
            var entries = new List<MonarchLogEntry>();
            var errors = new List<PartitionError>();
            await foreach (var entry in store.QueryAsync(query, errors.Add)) entries.Add(entry);
            return (entries, errors);
        }

        [Fact]
        public async Task A_time_range_is_exact_to_the_tick_at_both_ends()
        {
            var store = _valkey.NewStore();
            await AddBlockAsync(store, Enumerable.Range(1, 4).Select(i => At("orders", MonarchLogLevel.Error, i, "e" + i)).ToList());

            var query = new LogQuery { Since = BaseTime.AddTicks(2), Until = BaseTime.AddTicks(4) };
            Assert.Equal(new[] { "e3", "e2" }, (await store.ToListAsync(query)).Select(e => e.Message));
            Assert.Equal(new[] { "e2", "e3" }, (await store.ToListAsync(query with { OldestFirst = true })).Select(e => e.Message));
            var first = (await store.ToListAsync(new LogQuery { OldestFirst = true }))[0];
            Assert.Equal($"{StreamId.ToUnixMilliseconds(BaseTime)}-{1L << 16}@orders/error", first.Id);
        }

        [Fact]
        public async Task Levels_and_services_choose_partitions()
        {
            var store = _valkey.NewStore();
            await AddBlockAsync(store, new[] { At("orders", MonarchLogLevel.Error, 10, "oe") });
            await AddBlockAsync(store, new[] { At("orders", MonarchLogLevel.Information, 20, "oi") });
            await AddBlockAsync(store, new[] { At("billing", MonarchLogLevel.Error, 30, "be") });

            Assert.Equal(new[] { "be", "oe" }, (await store.ToListAsync(new LogQuery { Levels = new[] { MonarchLogLevel.Error } })).Select(e => e.Message));
            Assert.Equal(new[] { "oi", "oe" }, (await store.ToListAsync(new LogQuery { Services = new[] { "orders" } })).Select(e => e.Message));
        }

        /// <summary>Three partitions of five blocks each, their times interleaved, some entries of two partitions at the same tick.</summary>
        private async Task<List<MonarchLogEntry>> SeedInterleavedAsync(LogStore store)
        {
            var all = new List<MonarchLogEntry>();
            var partitions = new[] { ("orders", MonarchLogLevel.Error), ("orders", MonarchLogLevel.Warning), ("billing", MonarchLogLevel.Error) };
            for (var p = 0; p < partitions.Length; p++)
            {
                for (var b = 0; b < 5; b++)
                {
                    // Entries a second apart; partition 1 shares the ticks of partition 0.
                    var block = Enumerable.Range(0, 20).Select(i => At(partitions[p].Item1, partitions[p].Item2,
                        ((b * 20 + i) * TimeSpan.TicksPerSecond) + (p == 2 ? 5_000_000 : 0) + (i % 3), $"{p}-{b}-{i}")).ToList();
                    await AddBlockAsync(store, block);
                    all.AddRange(block);
                }
            }

            return all;
        }

        [Fact]
        public async Task Newest_and_oldest_first_merge_blocks_and_partitions_and_stop_at_a_limit()
        {
            var store = _valkey.NewStore();
            var all = await SeedInterleavedAsync(store);

            Assert.Equal(InOrder(all, newestFirst: true), Ids(await store.ToListAsync(new LogQuery())));
            Assert.Equal(InOrder(all, newestFirst: false), Ids(await store.ToListAsync(new LogQuery { OldestFirst = true })));
            Assert.Equal(InOrder(all, newestFirst: true).Take(7), Ids(await store.TakeAsync(new LogQuery { Limit = 7 }, 7)));
            Assert.Equal(InOrder(all, newestFirst: false).Take(7), Ids(await store.TakeAsync(new LogQuery { Limit = 7, OldestFirst = true }, 7)));
        }

        [Fact]
        public async Task Many_partitions_whose_entries_share_ticks_merge_in_position_then_partition_order()
        {
            var store = _valkey.NewStore();
            var random = new Random(11);
            var all = new List<MonarchLogEntry>();
            var levels = new[] { MonarchLogLevel.Debug, MonarchLogLevel.Information, MonarchLogLevel.Warning, MonarchLogLevel.Error };
            foreach (var service in new[] { "a", "b", "c", "d", "e", "f" })
            {
                foreach (var level in levels)
                {
                    // Distinct ticks within a partition, the same ticks across partitions: ties broken by partition.
                    var ticks = Enumerable.Range(0, 60).OrderBy(_ => random.Next()).Take(random.Next(1, 30)).OrderBy(t => t).ToList();
                    var block = ticks.Select(t => At(service, level, t * 1_000)).ToList();
                    await AddBlockAsync(store, block);
                    all.AddRange(block);
                }
            }

            Assert.Equal(InOrder(all, newestFirst: true), Ids(await store.ToListAsync(new LogQuery())));
            Assert.Equal(InOrder(all, newestFirst: false), Ids(await store.ToListAsync(new LogQuery { OldestFirst = true })));
            Assert.Equal(InOrder(all, newestFirst: false).Take(25), Ids(await store.TakeAsync(new LogQuery { Limit = 25, OldestFirst = true }, 25)));
        }

        [Fact]
        public async Task Blocks_of_overlapping_times_over_many_pages_read_in_order()
        {
            var store = _valkey.NewStore();
            var random = new Random(7);
            var all = new List<MonarchLogEntry>();
            for (var b = 0; b < 24; b++)
            {
                // About 60 KB a block (random text does not compress): pages of a few blocks. Blocks
                // two minutes apart, each one's three entries spanning 3 minutes, overlapping the
                // next block's: 48 minutes in all, more than the lag L a reader waits out.
                var noise = new byte[45_000];
                random.NextBytes(noise);
                var block = Enumerable.Range(0, 3).Select(i => At("orders", MonarchLogLevel.Error,
                    (b * 2 * TimeSpan.TicksPerMinute) + (i * 3 * TimeSpan.TicksPerMinute / 2) + b, i == 0 ? Convert.ToBase64String(noise) : $"{b}-{i}")).ToList();
                await AddBlockAsync(store, block);
                all.AddRange(block);
            }

            Assert.Equal(InOrder(all, newestFirst: true), Ids(await store.ToListAsync(new LogQuery())));
            Assert.Equal(InOrder(all, newestFirst: false), Ids(await store.ToListAsync(new LogQuery { OldestFirst = true })));
            var since = BaseTime.AddMinutes(13);
            var until = BaseTime.AddMinutes(35);
            var inRange = all.Where(e => e.Timestamp >= since && e.Timestamp < until).ToList();
            Assert.Equal(InOrder(inRange, newestFirst: true), Ids(await store.ToListAsync(new LogQuery { Since = since, Until = until })));
            Assert.Equal(InOrder(inRange, newestFirst: false), Ids(await store.ToListAsync(new LogQuery { Since = since, Until = until, OldestFirst = true })));
        }

        [Fact]
        public async Task Pages_by_After_and_Before_join_without_gap_or_repeat_across_blocks_and_partitions()
        {
            var store = _valkey.NewStore();
            var all = await SeedInterleavedAsync(store);

            foreach (var oldestFirst in new[] { true, false })
            {
                var read = new List<string>();
                string? cursor = null;
                while (true)
                {
                    var query = new LogQuery { Limit = 7, OldestFirst = oldestFirst, After = oldestFirst ? cursor : null, Before = oldestFirst ? null : cursor };
                    var page = Ids(await store.TakeAsync(query, 7));
                    if (page.Count == 0) break;
                    read.AddRange(page);
                    cursor = page[page.Count - 1];
                }

                Assert.Equal(InOrder(all, newestFirst: !oldestFirst), read);
            }
        }

        [Fact]
        public async Task Head_stream_and_late_blocks_merge_in_position_order()
        {
            var store = _valkey.NewStore();
            var stream = Enumerable.Range(0, 10).Select(i => At("orders", MonarchLogLevel.Error, i * 2 * TimeSpan.TicksPerSecond, "stream" + i)).ToList();
            await AddBlockAsync(store, stream);

            // Late: added at an ID ten minutes after its entries (listed in the late set) ...
            var partition = store.Format.GetPartition("orders", MonarchLogLevel.Error);
            var lateAt = Enumerable.Range(0, 5).Select(i => At("orders", MonarchLogLevel.Error, (i * 4 + 1) * TimeSpan.TicksPerSecond, "late" + i)).ToList();
            var lateBlock = BlockStoreSeeder.Encode(lateAt);
            var lateId = await BlockStoreSeeder.AddAtAsync(Db, store.Format, partition, lateBlock, (StreamId.ToUnixMilliseconds(BaseTime) + 3_600_000) + "-*");
            Assert.NotNull(await Db.SortedSetScoreAsync(partition.LateKey, lateId.ToString()));

            // ... and through the append script, at the server's time, weeks after its entries.
            var scripted = Enumerable.Range(0, 3).Select(i => At("orders", MonarchLogLevel.Error, (i * 6 + 3) * TimeSpan.TicksPerSecond + 3, "script" + i)).ToList();
            await BlockStoreSeeder.AppendAsync(Db, store.Format, scripted);
            Assert.Equal(2, await Db.SortedSetLengthAsync(partition.LateKey));

            // The head: small blocks a writer added at once.
            var head = Enumerable.Range(0, 4).Select(i => At("orders", MonarchLogLevel.Error, (i * 5 + 2) * TimeSpan.TicksPerSecond + 7, "head" + i)).ToList();
            foreach (var chunk in head.Chunk(2)) await BlockStoreSeeder.AppendAsync(Db, store.Format, chunk, toHead: true);

            var all = stream.Concat(lateAt).Concat(scripted).Concat(head).ToList();
            Assert.Equal(InOrder(all, newestFirst: true), Ids(await store.ToListAsync(new LogQuery())));
            Assert.Equal(InOrder(all, newestFirst: false), Ids(await store.ToListAsync(new LogQuery { OldestFirst = true })));

            var since = BaseTime.AddSeconds(4);
            var until = BaseTime.AddSeconds(13);
            var inRange = all.Where(e => e.Timestamp >= since && e.Timestamp < until).ToList();
            Assert.Equal(InOrder(inRange, newestFirst: true), Ids(await store.ToListAsync(new LogQuery { Since = since, Until = until })));
            Assert.Equal(InOrder(inRange, newestFirst: false), Ids(await store.ToListAsync(new LogQuery { Since = since, Until = until, OldestFirst = true })));
        }

        [Theory]
        [InlineData(false)]
        [InlineData(true)]
        public async Task A_head_compacted_while_a_read_runs_gives_its_entries_once(bool oldestFirst)
        {
            var store = _valkey.NewStore();
            var partition = store.Format.GetPartition("orders", MonarchLogLevel.Error);
            var all = new List<MonarchLogEntry>();
            for (var b = 0; b < 12; b++)
            {
                // Blocks two minutes apart: oldest first, the first page's entries are given out
                // (they are older than its last block's ID − L) before the next page is read.
                var block = Enumerable.Range(0, 2).Select(i => At("orders", MonarchLogLevel.Error, (b * 2 * TimeSpan.TicksPerMinute) + (i * TimeSpan.TicksPerSecond), $"s{b}-{i}")).ToList();
                await AddBlockAsync(store, block);
                all.AddRange(block);
            }

            var head = Enumerable.Range(0, 4).Select(i => At("orders", MonarchLogLevel.Error, (30 * TimeSpan.TicksPerMinute) + (i * TimeSpan.TicksPerSecond), "h" + i)).ToList();
            var first = await BlockStoreSeeder.AppendAsync(Db, store.Format, head.Take(2).ToList(), toHead: true);
            var last = await BlockStoreSeeder.AppendAsync(Db, store.Format, head.Skip(2).ToList(), toHead: true);
            all.AddRange(head);

            var read = new List<MonarchLogEntry>();
            await foreach (var entry in store.QueryAsync(new LogQuery { OldestFirst = oldestFirst, Limit = 1 }))
            {
                read.Add(entry);
                if (read.Count != 1) continue;

                // The head becomes one block of the stream (at the server's time: after every block there).
                var compacted = BlockStoreSeeder.Encode(head, "compactor", 1);
                Assert.False((await Db.ScriptEvaluateAsync(BlockScripts.Compact, BlockScripts.CompactKeys(partition), BlockScripts.CompactArguments(compacted, first, last, 2))).IsNull);
                Assert.Equal(0, await Db.StreamLengthAsync(partition.HeadKey));
            }

            Assert.Equal(InOrder(all, newestFirst: !oldestFirst), Ids(read));
        }

        [Fact]
        public async Task A_second_block_of_the_same_writer_and_sequence_is_dropped()
        {
            var store = _valkey.NewStore();
            var entries = new[] { At("orders", MonarchLogLevel.Error, 10, "a"), At("orders", MonarchLogLevel.Error, 20, "b") };
            await AddBlockAsync(store, entries, writer: "writer-1", sequence: 5);
            await AddBlockAsync(store, entries, writer: "writer-1", sequence: 5);
            await AddBlockAsync(store, new[] { At("orders", MonarchLogLevel.Error, 30, "c") }, writer: "writer-1", sequence: 6);
            await AddBlockAsync(store, new[] { At("orders", MonarchLogLevel.Error, 40, "d") }, writer: "writer-2", sequence: 5);

            Assert.Equal(new[] { "d", "c", "b", "a" }, (await store.ToListAsync(new LogQuery())).Select(e => e.Message));
            Assert.Equal(new[] { "a", "b", "c", "d" }, (await store.ToListAsync(new LogQuery { OldestFirst = true })).Select(e => e.Message));
        }

        [Fact]
        public async Task A_format_1_entry_in_a_version_2_stream_reads_as_an_entry()
        {
            var store = _valkey.NewStore();
            var partition = store.Format.GetPartition("orders", MonarchLogLevel.Error);
            var time = BaseTime.AddSeconds(5).AddTicks(123);
            await BlockStoreSeeder.AddFieldsAtAsync(Db, store.Format, partition, new[]
            {
                new NameValueEntry("ts", time.ToString("o")), new NameValueEntry("level", "error"), new NameValueEntry("service", "orders"), new NameValueEntry("message", "from format 1"),
            }, StreamId.ToUnixMilliseconds(time) + "-0");
            await AddBlockAsync(store, new[] { At("orders", MonarchLogLevel.Error, 6 * TimeSpan.TicksPerSecond, "block") });

            var read = await store.ToListAsync(new LogQuery { OldestFirst = true });
            Assert.Equal(new[] { "from format 1", "block" }, read.Select(e => e.Message));
            Assert.Equal(time, read[0].Timestamp);
            Assert.Equal($"{StreamId.ToUnixMilliseconds(time)}-{123L << 16}@orders/error", read[0].Id);
        }

        [Fact]
        public async Task A_block_that_does_not_read_is_reported_for_its_partition_and_the_rest_is_read()
        {
            var store = _valkey.NewStore();
            var partition = store.Format.GetPartition("orders", MonarchLogLevel.Error);
            await AddBlockAsync(store, new[] { At("orders", MonarchLogLevel.Error, 10, "before") });
            var corrupt = BlockStoreSeeder.Encode(new[] { At("orders", MonarchLogLevel.Error, 20, "lost") });
            await BlockStoreSeeder.AddFieldsAtAsync(Db, store.Format, partition, BlockStoreSeeder.WithField(corrupt, BlockFields.Data, new byte[] { 1, 2, 3 }), BlockStoreSeeder.OnTimeId(corrupt));
            var foreign = BlockStoreSeeder.Encode(new[] { At("orders", MonarchLogLevel.Error, 30, "foreign") });
            await BlockStoreSeeder.AddFieldsAtAsync(Db, store.Format, partition, BlockStoreSeeder.WithField(foreign, BlockFields.Codec, "lz9"), BlockStoreSeeder.OnTimeId(foreign));
            await AddBlockAsync(store, new[] { At("orders", MonarchLogLevel.Error, 40, "after") });
            await AddBlockAsync(store, new[] { At("billing", MonarchLogLevel.Error, 25, "other partition") });

            var (entries, errors) = await ReadAsync(store, new LogQuery());
            Assert.Equal(new[] { "after", "other partition", "before" }, entries.Select(e => e.Message));
            Assert.Equal(new[] { BlockErrors.UnsupportedCodec, BlockErrors.InvalidBlock }, errors.Select(e => e.ErrorId).OrderByDescending(id => id, StringComparer.Ordinal));
            Assert.All(errors, e => Assert.Equal("orders/error", e.Target));
            Assert.All(errors, e => Assert.Equal(MonarchErrorKind.InvalidData, e.Error.Kind));
        }

        [Fact]
        public async Task A_partition_of_another_type_or_one_the_user_may_not_read_is_reported_and_the_others_are_read()
        {
            var store = _valkey.NewStore();
            await AddBlockAsync(store, new[] { At("open", MonarchLogLevel.Error, 10, "readable") });
            await AddBlockAsync(store, new[] { At("secret", MonarchLogLevel.Error, 20, "hidden") });
            var p = store.Format.Prefix;
            var wrongType = store.Format.GetPartition("bad", MonarchLogLevel.Error);
            await BlockStoreSeeder.RegisterAsync(Db, store.Format, wrongType);
            await Db.StringSetAsync(wrongType.StreamKey, "a string");

            var (entries, errors) = await ReadAsync(store, new LogQuery());
            Assert.Equal(new[] { "hidden", "readable" }, entries.Select(e => e.Message));
            Assert.Equal((wrongType.StreamKey, StoreErrors.WrongType), (Assert.Single(errors).Key, errors[0].ErrorId));

            var user = "partial-" + Guid.NewGuid().ToString("N").Substring(0, 8);
            await Db.ExecuteAsync("ACL", "SETUSER", user, "on", ">pw", "resetkeys", "resetchannels", "-@all",
                "+@connection", "+info", "+client|setname", "+client|setinfo", "+get", "+hgetall", "+xrange", "+xrevrange", "+zrangebyscore", "+multi", "+exec",
                "%R~" + p + ":format", "%R~" + p + ":partitions", "%R~" + p + ":stream:open:*", "%R~" + p + ":head:{" + p + ":stream:open:*", "%R~" + p + ":late:{" + p + ":stream:open:*");
            var options = ConfigurationOptions.Parse(_valkey.Server.ConnectionString);
            options.User = user;
            options.Password = "pw";
            using var connection = await ConnectionMultiplexer.ConnectAsync(options);
            var limited = new LogStore(connection, new StorageFormat(p));
            (entries, errors) = await ReadAsync(limited, new LogQuery { Levels = new[] { MonarchLogLevel.Error }, Services = new[] { "open", "secret" } });
            Assert.Equal(new[] { "readable" }, entries.Select(e => e.Message));
            Assert.Equal((store.Format.GetPartition("secret", MonarchLogLevel.Error).StreamKey, StoreErrors.PermissionDenied), (Assert.Single(errors).Key, errors[0].ErrorId));
        }

        [Fact]
        public async Task Trace_id_and_property_lookups_leave_closed_the_blocks_whose_Bloom_filter_rules_them_out()
        {
            var store = _valkey.NewStore();
            var partition = store.Format.GetPartition("orders", MonarchLogLevel.Error);
            const string wanted = "4bf92f3577b34da6a3ce929d0e0e4736", other = "00f067aa0ba902b7a3ce929d0e0e4736";
            await AddBlockAsync(store, new[] { At("orders", MonarchLogLevel.Error, 10, "wanted", wanted, "{\"OrderId\":42,\"Tags\":[\"vip\"]}") });

            // A block whose header (and Bloom filter) is sound but whose payload is not: reading it is an error.
            var closed = BlockStoreSeeder.Encode(new[] { At("orders", MonarchLogLevel.Error, 20, "other", other, "{\"OrderId\":7,\"Tags\":[\"new\"]}") });
            await BlockStoreSeeder.AddFieldsAtAsync(Db, store.Format, partition, BlockStoreSeeder.WithField(closed, BlockFields.Data, new byte[] { 9, 9, 9 }), BlockStoreSeeder.OnTimeId(closed));

            foreach (var query in new[]
            {
                new LogQuery { TraceIds = new[] { wanted.ToUpperInvariant() } },
                new LogQuery { Properties = new[] { PropertyCondition.Number("orderid", 42.0m) } },
                new LogQuery { Properties = new[] { PropertyCondition.Text("OrderId", "42") } },
                new LogQuery { Properties = new[] { PropertyCondition.Text("tags", "VIP") } },
                new LogQuery { EventIds = new[] { "0" }, TraceIds = new[] { wanted, "0af7651916cd43dd8448eb211c80319c" } },
            })
            {
                var (entries, errors) = await ReadAsync(store, query);
                Assert.Empty(errors);
                Assert.Equal("wanted", Assert.Single(entries).Message);
            }

            // The same lookups of the other block's values open it, and meet its payload.
            foreach (var query in new[] { new LogQuery { TraceIds = new[] { other } }, new LogQuery { Properties = new[] { PropertyCondition.Number("OrderId", 7) } }, new LogQuery { Categories = new[] { "C*" } } })
            {
                var (_, errors) = await ReadAsync(store, query);
                Assert.Equal(BlockErrors.InvalidBlock, Assert.Single(errors).ErrorId);
            }
        }

        [Fact]
        public async Task Lookups_in_blocks_of_many_lines_find_exactly_what_reading_every_entry_finds_whatever_a_line_looks_like()
        {
            var store = _valkey.NewStore();
            var partition = store.Format.GetPartition("orders", MonarchLogLevel.Error);
            const string wanted = "4bf92f3577b34da6a3ce929d0e0e4736";
            var entries = Enumerable.Range(0, 600).Select(i => At("orders", MonarchLogLevel.Error, 100 + i, "e" + i,
                i % 50 == 7 ? (i % 100 == 7 ? wanted : wanted.ToUpperInvariant()) : "0af7651916cd43dd8448eb211c80319c",
                i % 40 == 3 ? "{\"RequestId\":\"REQ-9\",\"N\":" + i + "}" : "{\"RequestId\":\"req-" + i + "\"}")).ToList();
            await AddBlockAsync(store, entries.Take(300).ToList());
            await AddBlockAsync(store, entries.Skip(300).ToList());

            // A block of JSON lines as a script writes them by hand: escapes, and properties as a string.
            var lines = new[]
            {
                "{\"ts\":\"" + BaseTime.AddTicks(5000).ToString("o") + "\",\"message\":\"by hand 1\",\"traceId\":\"\\u0034BF92F3577B34DA6A3CE929D0E0E4736\",\"props\":\"{\\\"RequestId\\\":\\\"req\\\\u002d9\\\"}\"}",
                "{\"message\":\"by hand 2\",\"ts\":\"" + BaseTime.AddTicks(5001).ToString("o") + "\",\"props\":{\"RequestId\":\"r\\u0065q-9\"},\"traceId\":\"" + wanted + "\"}",
                "{\"ts\":\"" + BaseTime.AddTicks(5002).ToString("o") + "\",\"message\":\"by hand 3\",\"traceId\":\"other\",\"props\":{\"RequestId\":\"req-8\"}}",
            };
            var handWritten = new EncodedBlock(new BlockHeader { Count = lines.Length, FirstTicks = BlockHeader.ToUnixTicks(BaseTime.AddTicks(5000)), LastTicks = BlockHeader.ToUnixTicks(BaseTime.AddTicks(5002)), Codec = BlockCodec.JsonLines },
                System.Text.Encoding.UTF8.GetBytes(string.Join("\n", lines)));
            await BlockStoreSeeder.AddAtAsync(Db, store.Format, partition, handWritten, BlockStoreSeeder.OnTimeId(handWritten));

            var (all, _) = await ReadAsync(store, new LogQuery());
            Assert.Equal(603, all.Count);
            foreach (var query in new[]
            {
                new LogQuery { TraceIds = new[] { " " + wanted.ToUpperInvariant() + " " } },
                new LogQuery { Properties = new[] { PropertyCondition.Text("requestid", "req-9") } },
                new LogQuery { Properties = new[] { PropertyCondition.Text("RequestId", "REQ-9") }, TraceIds = new[] { wanted } },
                new LogQuery { Properties = new[] { PropertyCondition.Text("RequestId", "req-9"), PropertyCondition.Number("N", 43) } },
                new LogQuery { Properties = new[] { PropertyCondition.Text("RequestId", "req-8") } },
            })
            {
                var (found, errors) = await ReadAsync(store, query);
                Assert.Empty(errors);
                var filter = new LogFilter(query);
                var expected = all.Where(filter.Matches).Select(e => e.Id).ToList();
                Assert.NotEmpty(expected);
                Assert.Equal(expected, found.Select(e => e.Id).ToList());
                Assert.Equal(all.Where(filter.Matches).Select(e => e.Message), found.Select(e => e.Message));
            }
        }

        [Fact]
        public async Task Context_by_an_entry_id_reaches_across_blocks_and_partitions()
        {
            var store = _valkey.NewStore();
            var all = await SeedInterleavedAsync(store);
            var ordered = InOrder(all, newestFirst: false);
            var target = ordered[40];

            var context = await store.GetContextAsync(target, 3);
            Assert.Equal(target, context.Entry!.Id);
            Assert.Equal(ordered.Skip(37).Take(3), Ids(context.Before));
            Assert.Equal(ordered.Skip(41).Take(3), Ids(context.After));
        }

        [Fact]
        public async Task An_export_of_a_version_2_store_writes_every_entry_in_order()
        {
            var store = _valkey.NewStore();
            var all = await SeedInterleavedAsync(store);
            var path = Path.Combine(Path.GetTempPath(), "monarch-block-export-" + Guid.NewGuid().ToString("N") + ".jsonl");
            try
            {
                ExportResult result;
                using (var writer = ArchiveWriter.Create(path, overwrite: false))
                {
                    result = await store.ExportAsync(new LogQuery { OldestFirst = true }, writer, partitionError: null);
                }

                Assert.Equal(all.Count, result.Entries);
                Assert.Equal(InOrder(all, newestFirst: false).Last(), result.LastId);
                Assert.Null(ArchiveVerifier.Verify(path, all.Count, result.LastId!));
            }
            finally
            {
                File.Delete(path);
            }
        }
    }
}
