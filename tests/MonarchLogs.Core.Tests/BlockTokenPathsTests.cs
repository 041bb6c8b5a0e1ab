using System;
using System.Collections.Generic;
using System.Linq;
using MonarchLogs.Core.Format;
using MonarchLogs.Core.Format.Blocks;

namespace MonarchLogs.Core.Tests
{
    /// <summary>
    /// The two ways an encoder gathers a block's tokens, from entries and from a head's JSON lines
    /// (a compaction), give the very Bloom filter the documented tokens give: the same bits, for
    /// text that takes the ASCII path and text that does not.
    /// </summary>
    public sealed class BlockTokenPathsTests
    {
        private static readonly DateTime BaseTime = new DateTime(2026, 11, 28, 14, 28, 7, DateTimeKind.Utc);

        [Fact]
        public void Entries_and_their_head_lines_give_the_bloom_filter_of_the_documented_tokens()
        {
            string[] categories = { "Monarch.Orders", "Caf\u00e9.\"Quoted\"\\Path", "Stra\u00dfe.\u01c6\u00df", "Tab\tNew\nLine", "Emoji.\U0001F98B", "Half\uD800.Surrogate", "" };
            var entries = new List<MonarchLogEntry>();
            var valid = BlockCodecTests.TokenProperties.Where(p => !p.StartsWith("{\"Broken\"", StringComparison.Ordinal)).ToArray();
            for (var i = 0; i < valid.Length * 3; i++)
            {
                var text = categories[i % categories.Length];
                entries.Add(new MonarchLogEntry
                {
                    Service = "orders", Level = MonarchLogLevel.Error, Timestamp = BaseTime.AddTicks(i), Message = "m" + i,
                    Category = text, EventId = i % 4 == 0 ? -i : 1000 + i % 3, EventName = i % 2 == 0 ? text.ToLowerInvariant() : "Shipped",
                    ExceptionType = i % 3 == 0 ? "System.\u00c9rror" + text : string.Empty,
                    TraceId = i % 5 == 0 ? string.Empty : "4bf92f3577B34DA6a3ce929d0e0e47" + (i % 7).ToString("00"),
                    SpanId = i % 2 == 0 ? "00F067AA0BA902B" + (i % 10) : string.Empty,
                    Properties = valid[i % valid.Length],
                });
            }

            var documented = new HashSet<ulong>(entries.SelectMany(BlockCodecTests.ReferenceTokens).Select(BloomFilter.HashOf));
            var expected = BloomFilter.ForTokens(documented.Count, BlockEncoder.DefaultFalsePositiveRate);
            foreach (var hash in documented) expected.AddHash(hash);

            using var head = new BlockEncoder(falsePositiveRate: 0);
            var heads = new List<EncodedBlock>();
            for (var i = 0; i < entries.Count; i += 7) heads.Add(head.Encode(entries.GetRange(i, Math.Min(7, entries.Count - i)), "w", i));
            Assert.Null(heads[0].Header.Bloom);

            using var encoder = new BlockEncoder();
            var fromEntries = encoder.Encode(entries, "w", 1).Header.Bloom!;
            Assert.Equal(documented.Count, encoder.LastTokenCount);
            var fromLines = encoder.TryConcatenate(heads, "w", 2)?.Header.Bloom;
            Assert.NotNull(fromLines);
            Assert.Equal(documented.Count, encoder.LastTokenCount);
            Assert.Equal(expected.ToBytes(), fromEntries.ToBytes());
            Assert.Equal(expected.ToBytes(), fromLines!.ToBytes());
        }

        [Fact]
        public void Properties_handed_over_as_plain_bytes_make_the_block_their_text_makes()
        {
            // The provider hands a plain properties object over as its bytes: the block must be the
            // one its text gives, byte for byte, Bloom filter included.
            var candidates = BlockCodecTests.TokenProperties.Concat(new[]
            {
                "{\"A\":1,\"B\":{\"C\":[true,false,null,-2.50e3,\"x y\"]},\"D\":\"\"}",
                "{\"Deep\":" + new string('[', 40) + new string(']', 40) + "}",
                "{\"Escaped\":\"a\\\"b\"}",
                "{\"Accent\":\"Caf\u00e9\"}",
                "{\"Line\":\"a\\nb\"}",
                "{ \"Spaced\" : 1 }",
                "[1,2]",
            }).ToArray();
            var plain = candidates.Where(p => PropertiesJson.IsPlainObject(System.Text.Encoding.UTF8.GetBytes(p))).ToArray();
            Assert.Contains("{\"A\":1,\"B\":{\"C\":[true,false,null,-2.50e3,\"x y\"]},\"D\":\"\"}", plain);
            Assert.Contains("{ \"Spaced\" : 1 }", plain);
            foreach (var refused in new[] { "{\"Escaped\":\"a\\\"b\"}", "{\"Accent\":\"Caf\u00e9\"}", "{\"Line\":\"a\\nb\"}", "[1,2]", "{\"Deep\":" + new string('[', 40) + new string(']', 40) + "}" })
            {
                Assert.DoesNotContain(refused, plain);
            }

            MonarchLogEntry Entry(int i, string properties, bool asBytes) => new MonarchLogEntry
            {
                Service = "orders", Level = MonarchLogLevel.Information, Timestamp = BaseTime.AddSeconds(i), Message = "m" + i,
                Category = "Monarch.Orders", TraceId = "4bf92f3577b34da6a3ce929d0e0e4736",
                Properties = asBytes ? string.Empty : properties,
                PlainProperties = asBytes ? System.Text.Encoding.ASCII.GetBytes(properties) : default,
            };

            var asText = plain.Select((p, i) => Entry(i, p, asBytes: false)).ToList();
            var asBytes = plain.Select((p, i) => Entry(i, p, asBytes: true)).ToList();
            for (var i = 0; i < plain.Length; i++)
            {
                Assert.Equal(plain[i], asBytes[i].Properties);
                Assert.Equal(plain[i].Length, asBytes[i].PropertiesLength);
            }

            using var encoder = new BlockEncoder();
            var fromText = encoder.Encode(asText, "w", 1);
            var fromBytes = encoder.Encode(asBytes, "w", 1);
            Assert.Equal(fromText.Payload.ToArray(), fromBytes.Payload.ToArray());
            Assert.Equal(fromText.Header.Bloom!.ToBytes(), fromBytes.Header.Bloom!.ToBytes());
        }

        [Fact]
        public void A_token_set_holds_each_hash_once_and_empties_for_the_next_block()
        {
            var set = new TokenSet();
            var random = new Random(7);
            var reference = new HashSet<ulong>();
            for (var block = 0; block < 4; block++)
            {
                // A large block, then small ones (emptied slot by slot), then large again.
                var count = block % 3 == 0 ? 50_000 : 40;
                set.Clear();
                reference.Clear();
                for (var i = 0; i < count; i++)
                {
                    // Zero, repeats, and hashes that share their low bits (one slot chain).
                    var hash = i % 11 == 0 ? 0UL : i % 5 == 0 ? (ulong)i << 40 : (ulong)random.Next(0, count) * 0x9E3779B97F4A7C15UL;
                    Assert.Equal(reference.Add(hash), set.Add(hash));
                }

                Assert.Equal(reference.Count, set.Count);
                Assert.True(reference.SetEquals(set.Items.ToArray()));
                Assert.All(reference, h => Assert.True(set.Contains(h)));
                Assert.False(set.Contains(0x1234567UL));
            }
        }
    }
}
