using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Text;
using System.Threading.Tasks;
using MonarchLogs.Core.Format;
using MonarchLogs.Core.Format.Blocks;
using StackExchange.Redis;

namespace MonarchLogs.Core.Tests
{
    /// <summary>
    /// Storage format 2's blocks (docs/design/storage-format-2.md): every field of every entry
    /// comes back as it went in, through a real Valkey, in both codecs; a block written by hand
    /// with valkey-cli reads; corrupt or foreign blocks are one error id, never a crash.
    /// </summary>
    public sealed class BlockCodecTests : IClassFixture<ValkeyFixture>
    {
        private static readonly StorageFormat Format = new StorageFormat("test:blocks");
        private static readonly Partition Orders = Format.GetPartition("orders", MonarchLogLevel.Error);
        private static readonly DateTime BaseTime = new DateTime(2026, 11, 28, 14, 28, 7, DateTimeKind.Utc).AddTicks(1234567);

        private readonly ValkeyFixture _valkey;

        public BlockCodecTests(ValkeyFixture valkey)
        {
            _valkey = valkey;
        }

        [Fact]
        public void A_block_counts_its_entries_per_minute_in_whatever_order_their_times_come()
        {
            // An outage's entries and writers whose clocks differ come out of order: a minute met
            // again later in the block is counted once, with all of its entries.
            int[] minutes = { 5, 5, 7, 5, 7, 7, 6, 5, 9, 6 };
            var entries = minutes.Select((m, i) => new MonarchLogEntry { Service = "orders", Level = MonarchLogLevel.Error, Timestamp = BaseTime.AddMinutes(m).AddTicks(i) }).ToList();
            using var encoder = new BlockEncoder();
            var header = encoder.Encode(entries, "w", 1).Header;
            var first = BlockHeader.MinuteOf(BlockHeader.ToUnixTicks(BaseTime.AddMinutes(5)));
            var minute = BlockHeader.MinuteOf(BlockHeader.ToUnixTicks(BaseTime.AddMinutes(6))) - first;
            Assert.Equal(
                new[] { new MinuteCount(first, 4), new MinuteCount(first + minute, 2), new MinuteCount(first + 2 * minute, 3), new MinuteCount(first + 4 * minute, 1) },
                header.MinuteCounts);
        }

        [Theory]
        [InlineData(BlockCodecs.ZstdName)]
        [InlineData(BlockCodecs.JsonLinesName)]
        public async Task Every_field_of_every_entry_reads_back_exactly_through_Valkey(string codecName)
        {
            var codec = BlockCodecs.Parse(codecName);
            var entries = HostileEntries();
            using var encoder = new BlockEncoder(codec);
            var block = encoder.Encode(entries, "writer-1", 42);

            var key = "test:blocks:" + Guid.NewGuid().ToString("N");
            var db = _valkey.Connection.GetDatabase();
            await db.StreamAddAsync(key, BlockFields.ToStreamFields(block));
            var stored = Assert.Single(await db.StreamRangeAsync(key));
            var read = BlockFields.Parse(stored.Values);

            Assert.Equal(entries.Count, read.Header.Count);
            Assert.Equal(entries.Min(e => BlockHeader.ToUnixTicks(e.Timestamp)), read.Header.FirstTicks);
            Assert.Equal(entries.Max(e => BlockHeader.ToUnixTicks(e.Timestamp)), read.Header.LastTicks);
            Assert.Equal("writer-1", read.Header.WriterId);
            Assert.Equal(42, read.Header.Sequence);
            Assert.Equal(codec, read.Header.Codec);
            Assert.Equal(
                entries.GroupBy(e => BlockHeader.MinuteOf(BlockHeader.ToUnixTicks(e.Timestamp))).OrderBy(g => g.Key).Select(g => new MinuteCount(g.Key, g.Count())),
                read.Header.MinuteCounts);

            using var decoder = new BlockDecoder();
            var decoded = decoder.Decode(read, Orders);
            Assert.Equal(entries.Count, decoded.Count);
            for (var i = 0; i < entries.Count; i++) AssertSameEntry(entries[i], decoded[i], i);
        }

        [Fact]
        public async Task Lone_surrogates_read_back_as_format_1_stores_them()
        {
            var entry = new MonarchLogEntry
            {
                Service = "orders", Level = MonarchLogLevel.Error, Timestamp = BaseTime,
                Message = "half \uD800 pair", Category = "a\uDC00", Exception = "\uDBFFend", Properties = "{\"K\":\"v\uD800\"}",
            };
            var store = _valkey.NewStore();
            await store.AppendAsync(new[] { entry });
            var formatOne = Assert.Single(await store.ToListAsync(new Query.LogQuery()));

            using var encoder = new BlockEncoder();
            using var decoder = new BlockDecoder();
            var block = Assert.Single(decoder.Decode(encoder.Encode(new[] { entry }, "w", 1), Orders));

            Assert.Equal("half \uFFFD pair", block.Message);
            Assert.Equal(formatOne.Message, block.Message);
            Assert.Equal(formatOne.Category, block.Category);
            Assert.Equal(formatOne.Exception, block.Exception);
            Assert.Equal(formatOne.Properties, block.Properties);
        }

        /// <summary>The command of docs/design/storage-format-2.md, "Writing a block by hand", run by a shell.</summary>
        [Fact]
        public async Task A_jsonl_block_written_by_hand_with_valkey_cli_reads()
        {
            const string HandWritten = """
                valkey-cli -p "$PORT" XADD monarch:logs:stream:billing:error '*' \
                  n 2 t0 17958760870000000 t1 17958760875000000 codec jsonl min '29931268:2' \
                  data "$(printf '%s\n' \
                    '{"ts":"2026-11-28T14:28:07.0000000Z","category":"Billing.Invoices","message":"Invoice 42 failed","props":{"InvoiceId":42}}' \
                    '{"ts":"2026-11-28T14:28:07.5000000Z","message":"Invoice 43 failed","exType":"System.TimeoutException"}')"
                """;
            var db = _valkey.Connection.GetDatabase();
            await db.KeyDeleteAsync("monarch:logs:stream:billing:error");
            var shell = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            shell.ArgumentList.Add("-c");
            shell.ArgumentList.Add(HandWritten);
            shell.Environment["PORT"] = _valkey.Server.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
            using (var process = Process.Start(shell)!)
            {
                var error = await process.StandardError.ReadToEndAsync();
                await process.WaitForExitAsync();
                Assert.True(process.ExitCode == 0, error);
            }

            var stored = Assert.Single(await db.StreamRangeAsync("monarch:logs:stream:billing:error"));
            var block = BlockFields.Parse(stored.Values);
            Assert.Null(block.Header.Bloom);
            Assert.Equal(string.Empty, block.Header.WriterId);
            using var decoder = new BlockDecoder();
            var entries = decoder.Decode(block, new StorageFormat().GetPartition("billing", MonarchLogLevel.Error));

            Assert.Equal(2, entries.Count);
            Assert.Equal(new DateTime(2026, 11, 28, 14, 28, 7, DateTimeKind.Utc), entries[0].Timestamp);
            Assert.Equal("Billing.Invoices", entries[0].Category);
            Assert.Equal("Invoice 42 failed", entries[0].Message);
            Assert.Equal("{\"InvoiceId\":42}", entries[0].Properties);
            Assert.Equal("billing", entries[0].Service);
            Assert.Equal(MonarchLogLevel.Error, entries[0].Level);
            Assert.Equal(new DateTime(2026, 11, 28, 14, 28, 7, 500, DateTimeKind.Utc), entries[1].Timestamp);
            Assert.Equal("System.TimeoutException", entries[1].ExceptionType);
            Assert.Equal(string.Empty, entries[1].Properties);
        }

        [Fact]
        public void A_header_says_which_times_and_tokens_a_block_may_hold()
        {
            var entries = new[]
            {
                Entry(BaseTime, trace: "4BF92F3577B34DA6A3CE929D0E0E4736", props: "{\"OrderId\":4711,\"Customer\":{\"Id\":\"acme\"},\"Tags\":[\"a\",true],\"Ok\":\"True\"}"),
                Entry(BaseTime.AddSeconds(30), exType: "System.TimeoutException", eventId: 1003, eventName: "OrderShipped"),
            };
            using var encoder = new BlockEncoder();
            var header = encoder.Encode(entries, "w", 1).Header;
            var t0 = BlockHeader.ToUnixTicks(BaseTime);

            Assert.True(BlockDecoder.Overlaps(header, t0, t0 + 1));
            Assert.True(BlockDecoder.Overlaps(header, t0 + 30 * TimeSpan.TicksPerSecond, long.MaxValue));
            Assert.False(BlockDecoder.Overlaps(header, t0 + 30 * TimeSpan.TicksPerSecond + 1, long.MaxValue));
            Assert.False(BlockDecoder.Overlaps(header, long.MinValue, t0));

            // The forms a filter gives: any case, numbers in any written form, a dotted path, an array item.
            foreach (var token in new[]
            {
                BlockTokens.Trace("4bf92f3577b34da6a3ce929d0e0e4736"),
                BlockTokens.ExceptionType("system.timeoutexception"),
                BlockTokens.EventId(1003),
                BlockTokens.EventName("ordershipped"),
                BlockTokens.Category("cat"),
                BlockTokens.Property("orderid", BlockTokens.CanonicalNumber("4711.00")!),
                BlockTokens.Property("OrderId", BlockTokens.TextValue("4711")),
                BlockTokens.Property("customer.id", BlockTokens.TextValue("ACME")),
                BlockTokens.Property("Tags", BlockTokens.TextValue("a")),
                BlockTokens.Property("Tags", "TRUE"),
                BlockTokens.Property("Ok", "TRUE"),
            })
            {
                Assert.True(BlockDecoder.MayHold(header, token), token);
            }

            // At 1% a handful of absent tokens are all refused (the rate itself is measured below).
            foreach (var token in new[] { BlockTokens.Trace("00000000000000000000000000000001"), BlockTokens.ExceptionType("System.IO.IOException"), BlockTokens.Property("OrderId", "4712") })
            {
                Assert.False(BlockDecoder.MayHold(header, token), token);
            }
        }

        [Fact]
        public void The_encoder_hashes_exactly_the_documented_tokens()
        {
            var hasher = new TokenHasher();
            var eventIds = new[] { -7, 0, 1003, int.MinValue, int.MaxValue };
            for (var p = 0; p < TokenProperties.Length; p++)
            {
                var props = TokenProperties[p];
                var entry = Entry(BaseTime, trace: "4bf92f3577B34DA6a3ce929d0e0e4736", exType: "System.Timeoutexception", eventId: eventIds[p % eventIds.Length], eventName: "Shipped", props: props);
                var fast = new TokenSet();
                BlockTokens.Collect(entry, hasher, fast);
                var documented = ReferenceTokens(entry);
                Assert.True(documented.Select(BloomFilter.HashOf).ToHashSet().SetEquals(fast.Items.ToArray()), $"{DisplayText.Quote(props, 60)}: documented {string.Join(" ", documented.Select(t => DisplayText.Quote(t, 40)))}");
            }
        }

        [Fact]
        public void A_block_holds_the_tokens_of_each_of_its_entries_also_where_neighbours_share_fields()
        {
            // Runs of alike entries (the encoder hashes a field shared with the entry before once)
            // broken by entries that differ in each field, and back.
            var entries = new List<MonarchLogEntry>();
            for (var i = 0; i < 40; i++)
            {
                var odd = i % 7 == 3;
                entries.Add(new MonarchLogEntry
                {
                    Service = "orders", Level = MonarchLogLevel.Error, Timestamp = BaseTime.AddTicks(i),
                    Category = odd ? "Other.Category" : "Monarch.Orders", EventId = odd ? 0 : 1003, EventName = odd ? string.Empty : "Shipped",
                    ExceptionType = i % 5 == 0 ? "System.TimeoutException" : string.Empty,
                    TraceId = "4bf92f3577b34da6a3ce929d0e0e47" + (i / 4).ToString("00"), SpanId = i % 3 == 0 ? string.Empty : "00f067aa0ba902" + (i / 2).ToString("00"),
                    Properties = "{\"OrderId\":" + (4700 + i % 9) + ",\"Customer\":\"c" + (i % 4) + "\"}",
                });
            }

            using var encoder = new BlockEncoder();
            var header = encoder.Encode(entries, "w", 1).Header;
            var hasher = new TokenHasher();
            var union = new HashSet<ulong>();
            foreach (var entry in entries)
            {
                var alone = new TokenSet();
                BlockTokens.Collect(entry, hasher, alone);
                union.UnionWith(alone.Items.ToArray());
                foreach (var token in ReferenceTokens(entry)) Assert.True(BlockDecoder.MayHold(header, token), token);
            }

            Assert.Equal(union.Count, encoder.LastTokenCount);
        }

        [Fact]
        public void Compressing_and_decompressing_a_block_allocates_little_beyond_the_frame()
        {
            var content = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(0, 1000).Select(i => "{\"ts\":\"2026-11-28T14:28:07." + i.ToString("0000000") + "Z\",\"message\":\"Order " + i * 7919 % 100_000 + " shipped\"}\n")));
            using var zstd = new ZstdCompression();
            var frame = zstd.Compress(content, BlockEncoder.DefaultZstdLevel);
            Assert.Equal(content, zstd.Decompress(frame).ToArray());

            // Warm: the instance's buffers are made. Now only the frame itself is new (a buffer of
            // the content's size per block was most of what a writer allocated).
            var before = GC.GetAllocatedBytesForCurrentThread();
            var again = zstd.Compress(content, BlockEncoder.DefaultZstdLevel);
            var compressing = GC.GetAllocatedBytesForCurrentThread() - before;
            before = GC.GetAllocatedBytesForCurrentThread();
            var length = zstd.Decompress(again).Length;
            var decompressing = GC.GetAllocatedBytesForCurrentThread() - before;

            Assert.Equal(content.Length, length);
            Assert.True(compressing < again.Length + 1024, $"compressing allocated {compressing} B for a frame of {again.Length} B ({content.Length} B of content)");
            Assert.True(decompressing < 1024, $"decompressing allocated {decompressing} B ({content.Length} B of content)");
        }

        /// <summary>Properties objects whose tokens take every path of the walk: escapes, non-ASCII, lone surrogates, numbers in every form, long values, depth, broken JSON.</summary>
        internal static readonly string[] TokenProperties =
        {
            "{\"OrderId\":4711,\"Customer\":{\"Id\":\"acme\",\"Tier\":{\"Level\":2}},\"Tags\":[\"a\",1.50,true,null,[\"nested\"],{\"x\":1}],\"Ok\":\" True \"}",
            "{\"Amount\":-0.50,\"Big\":1e40,\"Exp\":4.711E3,\"Text\":\" 42 \",\"NotNumber\":\"10.20.3.4\",\"Flag\":false,\"Null\":null}",
            "{\"Esc\\u0061ped\":\"caf\\u00e9 \\\"q\\\" \\n\",\"Ünïcode\":\"straße ǅ ß\",\"dup\":1,\"dup\":2,\"Emoji\":\"🦋\",\"Bool0\":\"\\u0000true\"}",
            "{\"Long\":\"" + new string('x', BlockTokens.MaxValueLength) + "\",\"TooLong\":\"" + new string('y', BlockTokens.MaxValueLength + 1) + "\",\"Digits\":" + new string('9', 300) + "}",
            "{\"Zero\":0,\"MinusZero\":-0,\"Neg\":-12,\"Long\":-123456789012345678,\"Huge\":123456789012345678901,\"Exp\":1E3,\"Frac\":12.0}",
            "{\"a\":{\"b\":{\"c\":{\"d\":{\"e\":{\"f\":{\"g\":{\"h\":{\"i\":{\"j\":1}}}}}}}}}}",
            "{\"Half\":\"v\uD800\"}",
            "{\"S\":\" +4.5e1 \",\"F\":\"  fAlSe \",\"Nbsp\":\"\u00a042\",\"E\":\"\\u0034\\u0032\",\"B\":\"tru\\u0065\",\"\u01c4name\":\"\u01c6 \u00e9\",\"Pair\":\"\\ud83e\\udd8b\"}",
            "{\"LongText\":\"" + new string('\u00e9', BlockTokens.MaxValueLength) + "\",\"TooLongText\":\"" + new string('\u00e9', BlockTokens.MaxValueLength + 1) + "\",\"Escaped\":\"" + string.Concat(Enumerable.Repeat("\\u0061", BlockTokens.MaxValueLength)) + "\"}",
            "{\"Broken\":\"x\",",
            "not json",
            "[1,2]",
            "",
        };

        /// <summary>The tokens of docs/design/storage-format-2.md, "Skip data", written plainly with a JsonDocument.</summary>
        internal static List<string> ReferenceTokens(MonarchLogEntry entry)
        {
            var tokens = new List<string>();
            if (entry.TraceId.Length > 0) tokens.Add(BlockTokens.Trace(entry.TraceId));
            if (entry.SpanId.Length > 0) tokens.Add(BlockTokens.Span(entry.SpanId));
            tokens.Add(BlockTokens.EventId(entry.EventId));
            if (entry.EventName.Length > 0) tokens.Add(BlockTokens.EventName(entry.EventName));
            if (entry.Category.Length > 0) tokens.Add(BlockTokens.Category(entry.Category));
            if (entry.ExceptionType.Length > 0) tokens.Add(BlockTokens.ExceptionType(entry.ExceptionType));
            System.Text.Json.JsonDocument document;
            try
            {
                document = System.Text.Json.JsonDocument.Parse(PropertiesJson.WellFormed(entry.Properties));
            }
            catch (System.Text.Json.JsonException)
            {
                // A broken object yields what the encoder read before the break: nothing here reaches it.
                if (entry.Properties.StartsWith("{\"Broken\"", StringComparison.Ordinal)) tokens.Add(BlockTokens.Property("Broken", "X"));
                return tokens;
            }

            void Walk(System.Text.Json.JsonElement value, string name, int depth, bool inArray)
            {
                switch (value.ValueKind)
                {
                    case System.Text.Json.JsonValueKind.Object when depth < BlockTokens.MaxDepth && !inArray:
                        foreach (var member in value.EnumerateObject()) Walk(member.Value, name + "." + member.Name, depth + 1, false);
                        break;
                    case System.Text.Json.JsonValueKind.Array when !inArray:
                        foreach (var item in value.EnumerateArray()) Walk(item, name, depth, true);
                        break;
                    case System.Text.Json.JsonValueKind.String when value.GetString()!.Length <= BlockTokens.MaxValueLength:
                        var text = value.GetString()!;
                        tokens.Add(BlockTokens.Property(name, BlockTokens.TextValue(text)));
                        if (BlockTokens.CanonicalNumber(text) is { } number) tokens.Add(BlockTokens.Property(name, number));
                        if (bool.TryParse(text.Trim(), out var flag)) tokens.Add(BlockTokens.Property(name, flag ? "TRUE" : "FALSE"));
                        break;
                    case System.Text.Json.JsonValueKind.Number when value.GetRawText().Length <= BlockTokens.MaxValueLength:
                        tokens.Add(BlockTokens.Property(name, BlockTokens.TextValue(value.GetRawText())));
                        if (BlockTokens.CanonicalNumber(value.GetRawText()) is { } canonical) tokens.Add(BlockTokens.Property(name, canonical));
                        break;
                    case System.Text.Json.JsonValueKind.True:
                    case System.Text.Json.JsonValueKind.False:
                        tokens.Add(BlockTokens.Property(name, value.ValueKind == System.Text.Json.JsonValueKind.True ? "TRUE" : "FALSE"));
                        break;
                }
            }

            using (document)
            {
                if (document.RootElement.ValueKind == System.Text.Json.JsonValueKind.Object)
                {
                    foreach (var member in document.RootElement.EnumerateObject()) Walk(member.Value, member.Name, 0, false);
                }
            }

            return tokens;
        }

        [Theory]
        [InlineData("4711", "4711")]
        [InlineData("4711.000", "4711")]
        [InlineData("4.711E3", "4711")]
        [InlineData("-0.50", "-0.5")]
        [InlineData("-0.0", "0")]
        [InlineData("1e40", null)]
        [InlineData("t-1", null)]
        public void Numbers_have_one_canonical_form(string written, string? canonical)
        {
            Assert.Equal(canonical, BlockTokens.CanonicalNumber(written));
        }

        [Theory]
        [InlineData("", 0xEF46DB3751D8E999UL)]
        [InlineData("a", 0xD24EC4F1A98C6E5BUL)]
        [InlineData("abc", 0x44BC2CF5AD770999UL)]
        [InlineData("Nobody inspects the spammish repetition", 0xFBCEA83C8A378BF1UL)]
        public void The_Bloom_hash_is_XXH64_as_published(string text, ulong expected)
        {
            Assert.Equal(expected, XxHash64.Hash(Encoding.UTF8.GetBytes(text)));
        }

        [Fact]
        public void The_Bloom_hash_agrees_with_its_reference_on_every_length_and_alignment()
        {
            // Lengths 0 to 100 cross every branch (32-byte stripes, 8-, 4- and 1-byte tails);
            // the reference values are System.IO.Hashing.XxHash64's for the bytes 0, 1, 2, …
            var data = Enumerable.Range(0, 100).Select(i => (byte)i).ToArray();
            Assert.Equal(0xEF46DB3751D8E999UL, XxHash64.Hash(data.AsSpan(0, 0)));
            Assert.Equal(ReferenceHashes, Enumerable.Range(0, 8).Select(i => XxHash64.Hash(data.AsSpan(0, 13 * i + 3))).ToArray());
        }

        // XXH64 of the bytes 0, 1, … n−1 for n = 3, 16, 29, 42, 55, 68, 81, 94 (System.IO.Hashing 8.0.0).
        private static readonly ulong[] ReferenceHashes =
        {
            0xE5C7BB4533BC65DDUL, 0x44B6EF2FB84169F7UL, 0x91B302CB6EE942E4UL, 0x4E096C2D626CBDC8UL,
            0x511CD496994EA839UL, 0xFF292FA9D227CC70UL, 0x783F5E51838D51C5UL, 0x37AA596CA6F5DEDDUL,
        };

        [Theory]
        [InlineData(1)]
        [InlineData(20)]
        [InlineData(1_000)]
        [InlineData(20_000)]
        public void A_Bloom_filter_finds_every_token_and_keeps_its_false_positive_rate(int tokens)
        {
            // 100,000 probes in all, over as many filters of this size as it takes (the stated rate
            // is an average over blocks: one small filter's own rate varies with its tokens).
            const int Probes = 100_000;
            var filters = Math.Max(1, 100 * 20 / tokens);
            var falsePositives = 0;
            var probesPerFilter = Probes / filters;
            BloomFilter? filter = null;
            for (var f = 0; f < filters; f++)
            {
                filter = BloomFilter.ForTokens(tokens, 0.01);
                for (var i = 0; i < tokens; i++) filter.Add(BlockTokens.Property("RequestId", f + "-" + i));
                for (var i = 0; i < tokens; i++) Assert.True(filter.MayContain(BlockTokens.Property("RequestId", f + "-" + i)));
                for (var i = 0; i < probesPerFilter; i++)
                {
                    if (filter.MayContain(BlockTokens.Trace(f + "-" + i))) falsePositives++;
                }
            }

            // 1% stated; this many probes put the measured rate within about ±0.1% of the true one.
            var rate = (double)falsePositives / (probesPerFilter * filters);
            Assert.True(rate <= 0.0115, $"{tokens} tokens in {filter!.BitCount} bits, k = {filter.HashCount}: {rate:P3} false positives");
            var read = BloomFilter.FromBytes(filter.ToBytes());
            Assert.Equal(filter.HashCount, read.HashCount);
            Assert.Equal(filter.BitCount, read.BitCount);
            Assert.True(read.MayContain(BlockTokens.Property("RequestId", (filters - 1) + "-0")));
        }

        public static IEnumerable<object[]> CorruptBlocks()
        {
            var good = Fields(BlockCodec.Zstd);
            object[] Case(string name, string errorId, Func<NameValueEntry[], NameValueEntry[]> change) => new object[] { name, errorId, change };
            NameValueEntry[] With(NameValueEntry[] fields, string name, RedisValue value) => fields.Select(f => f.Name == name ? new NameValueEntry(name, value) : f).ToArray();
            NameValueEntry[] Without(NameValueEntry[] fields, string name) => fields.Where(f => f.Name != name).ToArray();
            byte[] Data(NameValueEntry[] fields) => (byte[])fields.Single(f => f.Name == BlockFields.Data).Value!;

            yield return Case("no n", BlockErrors.InvalidBlock, f => Without(f, BlockFields.Count));
            yield return Case("n not a number", BlockErrors.InvalidBlock, f => With(f, BlockFields.Count, "two"));
            yield return Case("n zero", BlockErrors.InvalidBlock, f => With(f, BlockFields.Count, 0));
            yield return Case("n too large", BlockErrors.InvalidBlock, f => With(f, BlockFields.Count, "99999999999"));
            yield return Case("n disagrees with the lines", BlockErrors.InvalidBlock, f => With(With(f, BlockFields.Count, 3), BlockFields.Minutes, RedisValue.EmptyString));
            yield return Case("no t0", BlockErrors.InvalidBlock, f => Without(f, BlockFields.FirstTime));
            yield return Case("t0 after t1", BlockErrors.InvalidBlock, f => With(f, BlockFields.FirstTime, long.MaxValue / 2));
            yield return Case("t1 before the entries", BlockErrors.InvalidBlock, f => With(With(f, BlockFields.LastTime, BlockHeader.ToUnixTicks(BaseTime)), BlockFields.Minutes, RedisValue.EmptyString));
            yield return Case("t1 past the year 9999", BlockErrors.InvalidBlock, f => With(f, BlockFields.LastTime, long.MaxValue));
            yield return Case("negative seq", BlockErrors.InvalidBlock, f => With(f, BlockFields.Sequence, -1));
            yield return Case("no codec", BlockErrors.InvalidBlock, f => Without(f, BlockFields.Codec));
            yield return Case("unknown codec", BlockErrors.UnsupportedCodec, f => With(f, BlockFields.Codec, "lz4"));
            yield return Case("min that does not add up", BlockErrors.InvalidBlock, f => With(f, BlockFields.Minutes, "29931268:1"));
            yield return Case("min out of order", BlockErrors.InvalidBlock, f => With(f, BlockFields.Minutes, "29931269:1 29931268:1"));
            yield return Case("min not pairs", BlockErrors.InvalidBlock, f => With(f, BlockFields.Minutes, "29931268"));
            yield return Case("bloom k out of range", BlockErrors.InvalidBlock, f => With(f, BlockFields.Bloom, new byte[] { 0, 255 }));
            yield return Case("bloom without bits", BlockErrors.InvalidBlock, f => With(f, BlockFields.Bloom, new byte[] { 7 }));
            yield return Case("no data", BlockErrors.InvalidBlock, f => Without(f, BlockFields.Data));
            yield return Case("data not zstd", BlockErrors.InvalidBlock, f => With(f, BlockFields.Data, "not a zstd frame"));
            yield return Case("zstd cut short", BlockErrors.InvalidBlock, f => With(f, BlockFields.Data, Data(f).AsSpan(0, Data(f).Length / 2).ToArray()));
            yield return Case("zstd with a second frame", BlockErrors.InvalidBlock, f => With(f, BlockFields.Data, Data(f).Concat(Data(f)).ToArray()));
            yield return Case("zstd claiming 4 GB", BlockErrors.InvalidBlock, f => With(f, BlockFields.Data, new ZstdSharp.Compressor(1).Wrap(new byte[1]).ToArray().Select((b, i) => i == 5 ? (byte)0xFF : b).ToArray()));
            yield return Case("jsonl not JSON", BlockErrors.InvalidBlock, f => With(With(f, BlockFields.Codec, "jsonl"), BlockFields.Data, "{\"ts\":\"2026-11-28T14:28:07.1234567Z\"\n{"));
            yield return Case("jsonl line not an object", BlockErrors.InvalidBlock, f => With(With(f, BlockFields.Codec, "jsonl"), BlockFields.Data, "[1]\n[2]"));
            yield return Case("jsonl two values on a line", BlockErrors.InvalidBlock, f => With(With(f, BlockFields.Codec, "jsonl"), BlockFields.Data, "{\"ts\":\"2026-11-28T14:28:07.1234567Z\"} {}\n{}"));
            yield return Case("jsonl without ts", BlockErrors.InvalidBlock, f => With(With(f, BlockFields.Codec, "jsonl"), BlockFields.Data, "{\"message\":\"m\"}\n{\"message\":\"m\"}"));
            yield return Case("jsonl ts not a time", BlockErrors.InvalidBlock, f => With(With(f, BlockFields.Codec, "jsonl"), BlockFields.Data, "{\"ts\":\"yesterday\"}\n{\"ts\":\"today\"}"));
            yield return Case("jsonl message not text", BlockErrors.InvalidBlock, f => With(With(f, BlockFields.Codec, "jsonl"), BlockFields.Data, "{\"ts\":\"2026-11-28T14:28:07.1234567Z\",\"message\":5}\n{}"));
            yield return Case("jsonl event id too large", BlockErrors.InvalidBlock, f => With(With(f, BlockFields.Codec, "jsonl"), BlockFields.Data, "{\"ts\":\"2026-11-28T14:28:07.1234567Z\",\"eventId\":4294967296}\n{}"));
            yield return Case("jsonl invalid UTF-8", BlockErrors.InvalidBlock, f => With(With(f, BlockFields.Codec, "jsonl"), BlockFields.Data, new byte[] { (byte)'{', (byte)'"', 0xC3, 0x28, (byte)'"', (byte)':', (byte)'1', (byte)'}', (byte)'\n', (byte)'{', (byte)'}' }));
        }

        [Theory]
        [MemberData(nameof(CorruptBlocks))]
        public void A_corrupt_or_foreign_block_is_one_error_id(string what, string errorId, Func<NameValueEntry[], NameValueEntry[]> change)
        {
            var error = Assert.Throws<MonarchLogsException>(() => ReadAll(change(Fields(BlockCodec.Zstd))));
            Assert.True(errorId == error.ErrorId, $"{what}: {error.ErrorId}: {error.Message}");
            Assert.Equal(MonarchErrorKind.InvalidData, error.Kind);
            Assert.DoesNotContain('\n', error.Message);
        }

        [Theory]
        [InlineData(BlockCodecs.ZstdName)]
        [InlineData(BlockCodecs.JsonLinesName)]
        public void Random_damage_to_a_payload_is_an_InvalidBlock_error_or_a_block_that_reads(string codecName)
        {
            var fields = Fields(BlockCodecs.Parse(codecName));
            var data = (byte[])fields.Single(f => f.Name == BlockFields.Data).Value!;
            var random = new Random(5);
            for (var round = 0; round < 3_000; round++)
            {
                var damaged = (byte[])data.Clone();
                for (var flips = random.Next(1, 4); flips > 0; flips--) damaged[random.Next(damaged.Length)] ^= (byte)random.Next(1, 256);
                if (random.Next(4) == 0) Array.Resize(ref damaged, random.Next(damaged.Length));
                try
                {
                    ReadAll(fields.Select(f => f.Name == BlockFields.Data ? new NameValueEntry(BlockFields.Data, damaged) : f).ToArray());
                }
                catch (MonarchLogsException ex) when (ex.ErrorId == BlockErrors.InvalidBlock)
                {
                }
            }
        }

        private static List<MonarchLogEntry> ReadAll(NameValueEntry[] fields)
        {
            using var decoder = new BlockDecoder();
            return decoder.Decode(BlockFields.Parse(fields), Orders);
        }

        private static NameValueEntry[] Fields(BlockCodec codec)
        {
            using var encoder = new BlockEncoder(codec);
            var fields = BlockFields.ToStreamFields(encoder.Encode(new[] { Entry(BaseTime), Entry(BaseTime.AddMilliseconds(5), props: "{\"OrderId\":1}") }, "w", 1));
            // As a reader gets them from Valkey: every value as bytes.
            return fields.Select(f => new NameValueEntry(f.Name, (byte[])f.Value!)).ToArray();
        }

        private static MonarchLogEntry Entry(DateTime time, string trace = "", string exType = "", int eventId = 0, string eventName = "", string props = "") => new MonarchLogEntry
        {
            Service = "orders", Level = MonarchLogLevel.Error, Timestamp = time, Category = "Cat", Message = "m",
            TraceId = trace, ExceptionType = exType, EventId = eventId, EventName = eventName, Properties = props,
        };

        private static List<MonarchLogEntry> HostileEntries()
        {
            var control = new string(Enumerable.Range(0, 32).Select(c => (char)c).ToArray()) + "\u007f\u0085\u2028\u2029\u202e\u200f\ufeff";
            var huge = new string('x', 1_000_000) + "end";
            var entries = new List<MonarchLogEntry>
            {
                new MonarchLogEntry { Service = "orders", Level = MonarchLogLevel.Error, Timestamp = BaseTime },
                new MonarchLogEntry
                {
                    Service = "orders", Level = MonarchLogLevel.Error, Timestamp = BaseTime.AddTicks(1),
                    Category = "Monarch.Orders.OrderProcessor", Message = "Order 42 \"shipped\" \\ to Zoë 🦋 " + control,
                    Template = "Order {OrderId} \"shipped\"", EventId = int.MinValue, EventName = "Ünïcode name",
                    ExceptionType = "System.InvalidOperationException", ExceptionMessage = "bad\r\nthing",
                    Exception = "System.InvalidOperationException: bad\n   at A.B() in /src/a.cs:line 1\n --- End of inner exception stack trace ---",
                    TraceId = "4bf92f3577b34da6a3ce929d0e0e4736", SpanId = "00f067aa0ba902b7", Host = "web-1",
                    Properties = "{\"OrderId\":42,\"Nested\":{\"A\":[1,2.50,null,true]},\"Text\":\"tab\\there\",\"Uni\":\"\\u00e9\u00e9\"}",
                },
                new MonarchLogEntry { Service = "orders", Level = MonarchLogLevel.Error, Timestamp = BaseTime.AddMinutes(3), EventId = int.MaxValue, Message = huge, Properties = "{\"Huge\":\"" + huge + "\"}" },
                // Properties that are not one JSON object on one line are kept as text, exactly.
                new MonarchLogEntry { Service = "orders", Level = MonarchLogLevel.Error, Timestamp = BaseTime.AddMinutes(3), Properties = "not json at all \"\n" },
                new MonarchLogEntry { Service = "orders", Level = MonarchLogLevel.Error, Timestamp = BaseTime.AddMinutes(3), Properties = "{\n  \"Pretty\": true\n}" },
                new MonarchLogEntry { Service = "orders", Level = MonarchLogLevel.Error, Timestamp = BaseTime.AddMinutes(3), Properties = " {\"Padded\":1} " },
                new MonarchLogEntry { Service = "orders", Level = MonarchLogLevel.Error, Timestamp = BaseTime.AddMinutes(3), Properties = "{\"a\":1}{\"b\":2}" },
                new MonarchLogEntry { Service = "orders", Level = MonarchLogLevel.Error, Timestamp = BaseTime.AddMinutes(3), Properties = "{ \"Spaced\" : [ 1 , 2 ] }" },
                new MonarchLogEntry { Service = "orders", Level = MonarchLogLevel.Error, Timestamp = BaseTime.AddMinutes(3), Properties = "{}" },
                new MonarchLogEntry { Service = "orders", Level = MonarchLogLevel.Error, Timestamp = BaseTime.AddMinutes(3), Properties = "[1,2]" },
                new MonarchLogEntry { Service = "orders", Level = MonarchLogLevel.Error, Timestamp = BaseTime.AddMinutes(3), Properties = "{" + string.Concat(Enumerable.Repeat("\"a\":{", 70)) + "}" + new string('}', 70) },
                // Times out of order, before 1970, and at the ends of DateTime.
                new MonarchLogEntry { Service = "orders", Level = MonarchLogLevel.Error, Timestamp = BaseTime.AddDays(-1), Message = "earlier" },
                new MonarchLogEntry { Service = "orders", Level = MonarchLogLevel.Error, Timestamp = new DateTime(1969, 12, 31, 23, 59, 59, DateTimeKind.Utc).AddTicks(9_999_999) },
                new MonarchLogEntry { Service = "orders", Level = MonarchLogLevel.Error, Timestamp = DateTime.SpecifyKind(DateTime.MinValue, DateTimeKind.Utc) },
                new MonarchLogEntry { Service = "orders", Level = MonarchLogLevel.Error, Timestamp = DateTime.SpecifyKind(DateTime.MaxValue, DateTimeKind.Utc) },
            };
            return entries;
        }

        private static void AssertSameEntry(MonarchLogEntry expected, MonarchLogEntry actual, int index)
        {
            var what = "entry " + index;
            Assert.True(expected.Timestamp == actual.Timestamp, what + " timestamp");
            Assert.Equal(DateTimeKind.Utc, actual.Timestamp.Kind);
            Assert.Equal(Orders.Level, actual.Level);
            Assert.Equal(Orders.Service, actual.Service);
            Assert.True(expected.Category == actual.Category, what + " category");
            Assert.True(expected.Message == actual.Message, what + " message");
            Assert.True(expected.Template == actual.Template, what + " template");
            Assert.True(expected.EventId == actual.EventId, what + " event id");
            Assert.True(expected.EventName == actual.EventName, what + " event name");
            Assert.True(expected.ExceptionType == actual.ExceptionType, what + " exception type");
            Assert.True(expected.ExceptionMessage == actual.ExceptionMessage, what + " exception message");
            Assert.True(expected.Exception == actual.Exception, what + " exception");
            Assert.True(expected.TraceId == actual.TraceId, what + " trace id");
            Assert.True(expected.SpanId == actual.SpanId, what + " span id");
            Assert.True(expected.Host == actual.Host, what + " host");
            Assert.True(expected.Properties == actual.Properties, what + " properties: " + DisplayText.Quote(actual.Properties));
        }
    }
}
