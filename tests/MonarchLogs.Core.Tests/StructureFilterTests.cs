using System;
using MonarchLogs.Core;
using MonarchLogs.Core.Query;
using Xunit;

namespace MonarchLogs.Core.Tests
{
    /// <summary>The meaning of the structure filters, decided in one place (LogFilter) for the cmdlets, the tail and the web API.</summary>
    public sealed class StructureFilterTests
    {
        private static MonarchLogEntry Entry(string properties = "", string traceId = "", int eventId = 0, string eventName = "", string exceptionType = "", string exception = "") => new MonarchLogEntry
        {
            Timestamp = DateTime.UtcNow, Level = MonarchLogLevel.Error, Service = "orders", Category = "C", Message = "m",
            Properties = properties, TraceId = traceId, EventId = eventId, EventName = eventName, ExceptionType = exceptionType, Exception = exception,
        };

        private static bool Matches(LogQuery query, MonarchLogEntry entry) => new LogFilter(query).Matches(entry);

        private static bool Property(string json, string name, object value) =>
            Matches(new LogQuery { Properties = new[] { PropertyCondition.From(name, value) } }, Entry(json));

        [Theory]
        [InlineData("{\"OrderId\":4711}", "OrderId", 4711, true)]
        [InlineData("{\"OrderId\":4711.0}", "OrderId", 4711, true)]
        [InlineData("{\"OrderId\":\"4711\"}", "OrderId", 4711, true)]
        [InlineData("{\"OrderId\":47110}", "OrderId", 4711, false)]
        [InlineData("{\"orderid\":4711}", "OrderId", 4711, true)]
        [InlineData("{\"OrderId\":4711}", "OrderId", "47*", true)]
        [InlineData("{\"TenantId\":\"t-42\"}", "TenantId", "T-4?", true)]
        [InlineData("{\"TenantId\":\"t-42\"}", "TenantId", "t-4", false)]
        [InlineData("{\"Paid\":true}", "Paid", true, true)]
        [InlineData("{\"Paid\":\"True\"}", "Paid", true, true)]
        [InlineData("{\"Paid\":false}", "Paid", true, false)]
        [InlineData("{\"Paid\":1}", "Paid", true, false)]
        [InlineData("{\"Customer\":{\"Id\":7}}", "Customer.Id", 7, true)]
        [InlineData("{\"Customer.Id\":7}", "Customer.Id", 7, true)]
        [InlineData("{\"Scope\":[\"a\",\"Request 9\"]}", "Scope", "request 9", true)]
        [InlineData("{\"Tags\":[1,2,3]}", "Tags", 2, true)]
        [InlineData("{\"Name\":\"a*b\"}", "Name", "a`*b", true)]
        [InlineData("{\"Name\":\"axb\"}", "Name", "a`*b", false)]
        [InlineData("not json", "Name", "*", false)]
        [InlineData("", "Name", "*", false)]
        [InlineData("{\"Other\":1}", "Name", "*", false)]
        public void A_property_condition_means_the_same_everywhere(string json, string name, object value, bool expected)
        {
            Assert.Equal(expected, Property(json, name, value));
        }

        [Fact]
        public void A_guid_or_date_must_equal_its_text_exactly()
        {
            var id = Guid.Parse("0f8fad5b-d9cb-469f-a165-70867728950e");
            Assert.True(Property("{\"Id\":\"0f8fad5b-d9cb-469f-a165-70867728950e\"}", "Id", id));
            Assert.False(Property("{\"Id\":\"0f8fad5b-d9cb-469f-a165-70867728950f\"}", "Id", id));
        }

        [Fact]
        public void A_filter_without_a_value_or_with_several_is_refused_with_its_id()
        {
            Assert.Equal(PropertyCondition.InvalidErrorId, Assert.Throws<MonarchLogsException>(() => PropertyCondition.From("OrderId", null)).ErrorId);
            Assert.Equal(PropertyCondition.InvalidErrorId, Assert.Throws<MonarchLogsException>(() => PropertyCondition.From("OrderId", new[] { 1, 2 })).ErrorId);
            Assert.Equal(PropertyCondition.InvalidErrorId, Assert.Throws<MonarchLogsException>(() => PropertyCondition.From(" ", 1)).ErrorId);
            Assert.Equal(PropertyCondition.InvalidErrorId, Assert.Throws<MonarchLogsException>(() => PropertyCondition.From("X", double.NaN)).ErrorId);
            Assert.Equal(Wildcard.InvalidErrorId, Assert.Throws<MonarchLogsException>(() => PropertyCondition.From("X", "[a")).ErrorId);
        }

        [Fact]
        public void Trace_event_and_exception_filters()
        {
            var entry = Entry(traceId: "7a447039f5cb2392e2319fc3670ef2a1", eventId: 1005, eventName: "OrderFailed", exceptionType: "System.TimeoutException", exception: "System.TimeoutException: x");
            Assert.True(Matches(new LogQuery { TraceIds = new[] { "7A447039F5CB2392E2319FC3670EF2A1" } }, entry));
            Assert.False(Matches(new LogQuery { TraceIds = new[] { "0af7651916cd43dd8448eb211c80319c" } }, entry));
            Assert.True(Matches(new LogQuery { EventIds = new[] { "1005" } }, entry));
            Assert.True(Matches(new LogQuery { EventIds = new[] { "7", "order*" } }, entry));
            Assert.False(Matches(new LogQuery { EventIds = new[] { "1006", "Payment*" } }, entry));
            Assert.True(Matches(new LogQuery { HasException = true, ExceptionTypes = new[] { "System.Timeout*" } }, entry));
            Assert.False(Matches(new LogQuery { HasException = false }, entry));
            Assert.True(Matches(new LogQuery { HasException = false }, Entry()));
            Assert.False(Matches(new LogQuery { ExceptionTypes = new[] { "*" } }, Entry()));
            Assert.True(Matches(new LogQuery { Text = "5f3c" }, Entry(traceId: "aaaa5f3c")));
        }
    }
}
