using System.Collections.Generic;
using System.Linq;
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
    }
}
