using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using MonarchLogs.Core.Format;
using MonarchLogs.Core.Format.Blocks;
using MonarchLogs.Core.Query;
using static MonarchLogs.Core.Tests.StoreExtensions;

namespace MonarchLogs.Core.Tests
{
    /// <summary>The reader's Bloom tokens (<see cref="BlockSkip"/>) agree with the writer's (<see cref="BlockTokens"/>).</summary>
    public sealed class BlockSkipTests
    {
        private static readonly MonarchLogEntry Sample = new MonarchLogEntry
        {
            Service = "orders",
            Level = MonarchLogLevel.Error,
            Timestamp = BaseTime,
            Category = "Monarch.Orders",
            Message = "m",
            EventId = 1005,
            EventName = "OrderFailed",
            ExceptionType = "System.TimeoutException",
            TraceId = "4bf92f3577b34da6a3ce929d0e0e4736",
            SpanId = "00f067aa0ba902b7",
            Properties = "{\"OrderId\":4711,\"Price\":\"12.50\",\"Paid\":false,\"Flag\":\" True \",\"Customer\":{\"Id\":\"c-1\",\"Name\":\"Zoë\"},\"Tags\":[\"vip\",3],\"Big\":1E3}",
        };

        public static IEnumerable<object[]> Matching() => new[]
        {
            new LogQuery { TraceIds = new[] { " 4BF92F3577B34DA6A3CE929D0E0E4736 " } },
            new LogQuery { SpanIds = new[] { "00F067AA0BA902B7" } },
            new LogQuery { EventIds = new[] { "1005" } },
            new LogQuery { EventIds = new[] { "+1005" } },
            new LogQuery { EventIds = new[] { "orderfailed" } },
            new LogQuery { Categories = new[] { "monarch.orders" } },
            new LogQuery { Categories = new[] { "Monarch`.Orders" } },
            new LogQuery { ExceptionTypes = new[] { "system.timeoutexception" } },
            new LogQuery { Properties = new[] { PropertyCondition.Number("orderid", 4711.000m) } },
            new LogQuery { Properties = new[] { PropertyCondition.Text("OrderId", "4711") } },
            new LogQuery { Properties = new[] { PropertyCondition.Number("Price", 12.5m) } },
            new LogQuery { Properties = new[] { PropertyCondition.Text("price", "12.50") } },
            new LogQuery { Properties = new[] { PropertyCondition.Boolean("Paid", false) } },
            new LogQuery { Properties = new[] { PropertyCondition.Text("Paid", "FALSE") } },
            new LogQuery { Properties = new[] { PropertyCondition.Boolean("Flag", true) } },
            new LogQuery { Properties = new[] { PropertyCondition.Text("customer.id", "C-1") } },
            new LogQuery { Properties = new[] { PropertyCondition.Text("Customer.Name", "ZOË") } },
            new LogQuery { Properties = new[] { PropertyCondition.Text("Tags", "VIP") } },
            new LogQuery { Properties = new[] { PropertyCondition.Number("Tags", 3) } },
            new LogQuery { Properties = new[] { PropertyCondition.Number("Big", 1000) } },
            new LogQuery { Properties = new[] { PropertyCondition.Text("Big", "1e3") } },
            new LogQuery { Properties = new[] { PropertyCondition.Number("OrderId", 4711), PropertyCondition.Text("Customer.Id", "c-1") }, TraceIds = new[] { "x", Sample.TraceId } },
        }.Select(q => new object[] { q });

        [Theory]
        [MemberData(nameof(Matching))]
        public void A_block_that_holds_a_match_is_never_skipped(LogQuery query)
        {
            Assert.True(new LogFilter(query).Matches(Sample));
            var skip = BlockSkip.For(query);
            Assert.NotEmpty(skip.Filters);
            Assert.True(skip.MayHold(BlockStoreSeeder.Encode(new[] { Sample }).Header));
        }

        [Fact]
        public void Exact_values_that_the_block_does_not_hold_skip_it_and_inexact_ones_ask_nothing()
        {
            var header = BlockStoreSeeder.Encode(new[] { Sample }).Header;
            Assert.False(BlockSkip.For(new LogQuery { TraceIds = new[] { "0af7651916cd43dd8448eb211c80319c" } }).MayHold(header));
            Assert.False(BlockSkip.For(new LogQuery { Properties = new[] { PropertyCondition.Number("OrderId", 4712) } }).MayHold(header));
            Assert.False(BlockSkip.For(new LogQuery { EventIds = new[] { "1005" }, Categories = new[] { "Other" } }).MayHold(header));

            foreach (var query in new[]
            {
                new LogQuery { Categories = new[] { "Other*" } },
                new LogQuery { EventIds = new[] { "1006", "Order*" } },
                new LogQuery { Properties = new[] { PropertyCondition.Text("OrderId", "47?2") } },
                new LogQuery { Properties = new[] { PropertyCondition.Text("Name", "\U0001F600") } },
                new LogQuery { Properties = new[] { PropertyCondition.Text("A.B.C.D.E.F.G.H.I.J", "x") } },
                new LogQuery { Properties = new[] { PropertyCondition.Text("Long", new string('x', 257)) } },
                new LogQuery { Message = "nothing", Text = "nothing", HasException = false },
            })
            {
                Assert.Empty(BlockSkip.For(query).Filters);
            }
        }

        /// <summary>The sample as a writer writes it, then by hand in other forms a reader takes: escapes, upper case, properties as a string, text outside ASCII.</summary>
        private static readonly string[] SampleLines =
        {
            WriterLineOf(Sample),
            WriterLineOf(Sample).Replace("\"traceId\":\"4bf9", "\"traceId\":\"\\u0034BF9", StringComparison.Ordinal).Replace("\"spanId\":\"00f0", "\"spanId\":\"00F0", StringComparison.Ordinal),
            WriterLineOf(Sample).Replace("\"OrderId\":4711", "\"OrderId\":4711,\"Esc\":\"\\\"q\\\"\"", StringComparison.Ordinal).Replace("c-1", "c\\u002d1", StringComparison.Ordinal),
            WriterLineOf(Sample).Replace("\"Price\":\"12.50\"", "\"Price\":\"12.50\",\"Unit\":\"\u00b0C\"", StringComparison.Ordinal),
        };

        [Theory]
        [MemberData(nameof(Matching))]
        public void A_line_that_holds_a_match_is_always_read_whatever_its_form(LogQuery query)
        {
            var filter = new LogFilter(query);
            var lines = Lines(SampleLines);
            var entries = JsonLinesPayload.Read(Encoding.UTF8.GetBytes(string.Join("\n", SampleLines)), SampleLines.Length, Partition);
            for (var i = 0; i < SampleLines.Length; i++)
            {
                Assert.True(filter.Matches(entries[i]), $"line {i} should match");
                Assert.True(BlockSkip.For(query).Lines?.Invoke(lines, i) ?? true, $"line {i} was left unread");
            }
        }

        [Fact]
        public void Lines_whose_trace_id_span_id_or_properties_cannot_match_are_left_unread_and_the_others_kept()
        {
            var lines = Lines(SampleLines);
            bool Reads(LogQuery query, int line) => BlockSkip.For(query).Lines!(lines, line);
            Assert.False(Reads(new LogQuery { TraceIds = new[] { "0af7651916cd43dd8448eb211c80319c" } }, 0));
            Assert.False(Reads(new LogQuery { TraceIds = new[] { "0af7651916cd43dd8448eb211c80319c" } }, 1));
            Assert.False(Reads(new LogQuery { SpanIds = new[] { "00f067aa0ba902b8" } }, 0));
            var ascii = Lines(new[] { WriterLineOf(new MonarchLogEntry { Service = "orders", Level = MonarchLogLevel.Error, Timestamp = BaseTime, Message = "m", Properties = "{\"OrderId\":4711,\"Customer\":{\"Id\":\"C-1\"},\"Tags\":[\"vip\",3]}" }) });
            bool ReadsAscii(params PropertyCondition[] conditions) => BlockSkip.For(new LogQuery { Properties = conditions }).Lines!(ascii, 0);
            Assert.False(ReadsAscii(PropertyCondition.Text("Customer.Id", "c-2")));
            Assert.False(ReadsAscii(PropertyCondition.Text("Customer.Id", "c-1"), PropertyCondition.Text("Tags", "gold")));
            Assert.True(ReadsAscii(PropertyCondition.Text("Customer.Id", "c-1"), PropertyCondition.Text("Tags", "VIP")));
            // Properties with escapes, or outside ASCII, are read: the filter decides.
            foreach (var line in new[] { 0, 2, 3 }) Assert.True(Reads(new LogQuery { Properties = new[] { PropertyCondition.Text("Customer.Id", "c-2") } }, line));
            // Numbers, booleans and wildcards ask nothing of the line.
            Assert.Null(BlockSkip.For(new LogQuery { Properties = new[] { PropertyCondition.Number("OrderId", 4712), PropertyCondition.Text("Customer.Id", "c-*") } }).Lines);

            // A line without properties or trace id cannot match a filter on them.
            var bare = Lines(new[] { WriterLineOf(new MonarchLogEntry { Service = "orders", Level = MonarchLogLevel.Error, Timestamp = BaseTime, Message = "m" }) });
            Assert.False(BlockSkip.For(new LogQuery { Properties = new[] { PropertyCondition.Text("A", "b") } }).Lines!(bare, 0));
            Assert.False(BlockSkip.For(new LogQuery { TraceIds = new[] { "4bf92f3577b34da6a3ce929d0e0e4736" } }).Lines!(bare, 0));
        }

        [Fact]
        public void Random_entries_and_values_never_leave_a_matching_line_unread()
        {
            var random = new Random(7);
            string Pick(params string[] values) => values[random.Next(values.Length)];
            string Cased(string value) => new string(value.Select(c => random.Next(2) == 0 ? char.ToUpperInvariant(c) : c).ToArray());
            var values = new[] { "abc", "ABC-1", "k\u212Aey", "key", "\u0131d", "ID", "Zo\u00eb", "a\\b", "q\"t", "<x>", "12.50", "1e3", "true", " pad ", "\u00e9t\u00e9" };
            var entries = new List<MonarchLogEntry>();
            for (var i = 0; i < 400; i++)
            {
                var properties = new StringBuilder("{");
                foreach (var name in new[] { "A", "B" })
                {
                    if (random.Next(4) == 0) continue;
                    if (properties.Length > 1) properties.Append(',');
                    properties.Append('"').Append(name).Append("\":").Append(random.Next(5) == 0 ? Pick("4711", "true", "1e3", "[\"abc\",3]") : System.Text.Json.JsonSerializer.Serialize(Cased(Pick(values))));
                }

                entries.Add(new MonarchLogEntry
                {
                    Service = "orders",
                    Level = MonarchLogLevel.Error,
                    Timestamp = BaseTime.AddTicks(i),
                    Message = "m",
                    TraceId = random.Next(4) == 0 ? string.Empty : Cased(Pick("4bf92f3577b34da6a3ce929d0e0e4736", "0af7651916cd43dd8448eb211c80319c", "k\u212Aey")),
                    SpanId = Cased(Pick("00f067aa0ba902b7", "b7ad6b7169203331")),
                    Properties = properties.Length > 1 ? properties.Append('}').ToString() : string.Empty,
                });
            }

            var payload = new MemoryStream();
            JsonLinesPayload.Write(entries, payload);
            var lines = PayloadLines.Read(payload.ToArray(), (int)payload.Length, pooled: false, entries.Count);
            var decoded = JsonLinesPayload.Read(payload.ToArray(), entries.Count, Partition);
            var leftUnread = 0;
            for (var q = 0; q < 300; q++)
            {
                var query = (q % 3) switch
                {
                    0 => new LogQuery { TraceIds = new[] { Cased(Pick("4bf92f3577b34da6a3ce929d0e0e4736", "KEY", "k\u212Aey", "0af7651916cd43dd8448eb211c80319c")) } },
                    1 => new LogQuery { SpanIds = new[] { Cased(Pick("00f067aa0ba902b7", "b7ad6b7169203331")) }, Properties = new[] { PropertyCondition.Text(Pick("A", "b"), Cased(Pick(values))) } },
                    _ => new LogQuery { Properties = new[] { PropertyCondition.Text(Pick("A", "B"), Cased(Pick(values))), PropertyCondition.Text(Pick("A", "B"), Cased(Pick(values))) } },
                };
                var filter = new LogFilter(query);
                var reads = BlockSkip.For(query).Lines;
                for (var i = 0; i < entries.Count; i++)
                {
                    var read = reads?.Invoke(lines, i) ?? true;
                    if (filter.Matches(decoded[i])) Assert.True(read, $"query {q}, line {i} matches but was left unread");
                    if (!read) leftUnread++;
                }
            }

            Assert.True(leftUnread > 50_000, $"only {leftUnread} lines were left unread");
        }

        private static readonly Partition Partition = new StorageFormat().GetPartition("orders", MonarchLogLevel.Error);

        private static string WriterLineOf(MonarchLogEntry entry)
        {
            var payload = new MemoryStream();
            JsonLinesPayload.Write(new[] { entry }, payload);
            return Encoding.UTF8.GetString(payload.ToArray()).TrimEnd('\n');
        }

        private static PayloadLines Lines(string[] lines)
        {
            var bytes = Encoding.UTF8.GetBytes(string.Join("\n", lines));
            return PayloadLines.Read(bytes, bytes.Length, pooled: false, lines.Length);
        }
    }
}
