using System;
using System.Linq;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Logging;
using MonarchLogs.Core;
using MonarchLogs.Core.Format;
using MonarchLogs.Logging.Writing;

namespace MonarchLogs.Logging.Tests
{
    /// <summary>
    /// An entry holds what the call held at log time, though the writer renders the message of
    /// some calls later, on its own thread: only those whose values cannot change meanwhile.
    /// </summary>
    public sealed partial class LogTimeTests
    {
        private static readonly Action<ILogger, string, int, Exception?> Immutable =
            LoggerMessage.Define<string, int>(LogLevel.Information, new EventId(11, "Shipped"), "Order {OrderId} shipped in {ElapsedMs} ms");

        private static readonly Action<ILogger, string, Counter, Exception?> Mutable =
            LoggerMessage.Define<string, Counter>(LogLevel.Information, new EventId(12, "Counted"), "{Name} at {Count}");

        [Fact]
        public async Task A_mutable_argument_changed_right_after_the_call_is_stored_as_it_was_at_log_time()
        {
            await using var harness = await ProviderHarness.StartAsync();
            var logger = harness.Loggers.CreateLogger("LogTime");
            using var gate = new ManualResetEventSlim();

            // The writer reads this exception's text on its own thread and waits there until the
            // gate opens: every entry logged meanwhile is read by the writer only after the
            // arguments below were changed.
            logger.LogError(new GatedException(gate), "hold the writer");
            var counter = new Counter { Value = 1 };
            Mutable(logger, "defined", counter, null);
            logger.LogInformation("{Name} at {Count}", "extension", counter);
            var args = new object?[] { "extension array", 1 };
            logger.LogInformation("{Name} at {Count}", args);
            Immutable(logger, "ORD-1", 37, null);
            counter.Value = 2;
            args[1] = 2;
            gate.Set();

            var entries = await harness.WaitForAsync(5);
            Assert.Equal(5, entries.Count);
            Assert.Equal(0, harness.Provider.EntriesDropped);
            Assert.Equal(
                new[] { "hold the writer", "defined at count 1", "extension at count 1", "extension array at 1", "Order ORD-1 shipped in 37 ms" },
                entries.Select(e => e.Message));
            Assert.Equal("count 1", Property(entries[1], "Count").GetString());
            Assert.Equal("count 1", Property(entries[2], "Count").GetString());
            Assert.Equal(1, Property(entries[3], "Count").GetInt32());

            // Rendered on the writer's thread: the same message, template, event and properties.
            var deferred = entries[4];
            Assert.Equal("Order {OrderId} shipped in {ElapsedMs} ms", deferred.Template);
            Assert.Equal(11, deferred.EventId);
            Assert.Equal("Shipped", deferred.EventName);
            Assert.Equal("ORD-1", Property(deferred, "OrderId").GetString());
            Assert.Equal(37, Property(deferred, "ElapsedMs").GetInt32());
        }

        [Fact]
        public void Only_a_LoggerMessage_state_of_immutable_arguments_with_the_framework_formatter_is_left_to_the_writer()
        {
            var probe = new DeferralProbe();
            Immutable(probe, "ORD-1", 37, null);
            Assert.True(probe.Allowed, "a Define'd call with a string and an int");
            LoggerMessage.Define<DayOfWeek?, DateTimeOffset, Guid>(LogLevel.Information, default, "{A} {B} {C}")(probe, DayOfWeek.Monday, DateTimeOffset.UtcNow, Guid.NewGuid(), null);
            Assert.True(probe.Allowed, "a nullable enum, a DateTimeOffset and a Guid");
            LoggerMessage.Define(LogLevel.Information, default, "no arguments")(probe, null);
            Assert.True(probe.Allowed, "a Define'd call without arguments");
            LogGenerated(probe, "ORD-1", 37);
            Assert.True(probe.Allowed, "a source-generated call");

            Mutable(probe, "defined", new Counter(), null);
            Assert.False(probe.Allowed, "an argument of a mutable class");
            LoggerMessage.Define<object>(LogLevel.Information, default, "{Value}")(probe, "a string as object", null);
            Assert.False(probe.Allowed, "an argument typed object");
            LoggerMessage.Define<int[]>(LogLevel.Information, default, "{Values}")(probe, new[] { 1 }, null);
            Assert.False(probe.Allowed, "an array");
            probe.LogInformation("{Name}", "extension");
            Assert.False(probe.Allowed, "the extension methods' params array");

            // A wrapping logger's own formatter may read anything at any time.
            probe.RewrapFormatter = true;
            Immutable(probe, "ORD-1", 37, null);
            Assert.False(probe.Allowed, "a formatter of the application's");
        }

        [Fact]
        public void The_writer_reads_a_deferred_entry_without_writing_to_the_queued_entry()
        {
            // A queued entry has usually outlived a collection or two when the writer takes it:
            // what the writer hung on it (the message, the values) would live on with it until a
            // full collection. The writer reads it into a view of its own instead.
            var probe = new QueuedEntryProbe();
            Immutable(probe, "ORD-1", 37, null);
            var queued = probe.Entry!;
            queued.Timestamp = DateTime.UtcNow;
            queued.Service = "orders";
            queued.Category = "LogTime";
            queued.AddProperty("RequestId", "req-1");
            queued.ScopePropertyCount = 1;
            var setAside = new SetAside(TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1));
            using var preparer = new EntryPreparer(new MonarchValkeyLoggerOptions(), "test", new StorageFormat("test"), new BufferAccount("test", 10), setAside);

            var stored = preparer.Prepare(queued, DateTime.UtcNow)!;

            Assert.Equal("Order ORD-1 shipped in 37 ms", stored.Message);
            Assert.Equal("Order {OrderId} shipped in {ElapsedMs} ms", stored.Template);
            Assert.Equal("req-1", Property(stored, "RequestId").GetString());
            Assert.Equal(37, Property(stored, "ElapsedMs").GetInt32());
            Assert.Equal(1, queued.PropertyCount);
        }

        [Fact]
        public void Properties_handed_to_blocks_as_bytes_stay_each_entry_own_across_many_entries()
        {
            // The writer copies a plain properties object into chunks it shares between entries:
            // every entry must keep its own bytes, past chunk ends and beside a large object, and
            // an object that is not plain (escaped, non-ASCII text) goes as text.
            var setAside = new SetAside(TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1));
            using var preparer = new EntryPreparer(new MonarchValkeyLoggerOptions(), "test", new StorageFormat("test"), new BufferAccount("test", 10), setAside);
            var stored = new System.Collections.Generic.List<MonarchLogEntry>();
            for (var i = 0; i < 3000; i++)
            {
                var queued = new RenderedLogEntry { Timestamp = DateTime.UtcNow, Service = "orders", Category = "LogTime", Message = "m" + i };
                queued.AddProperty("Index", i);
                queued.AddProperty("Text", i % 500 == 7 ? new string('x', 20_000 + i) : i % 3 == 0 ? "Caf\u00e9 \"" + i + "\"" : "plain " + i);
                stored.Add(preparer.Prepare(queued, DateTime.UtcNow)!);
            }

            for (var i = 0; i < stored.Count; i++)
            {
                Assert.Equal(i, Property(stored[i], "Index").GetInt32());
                var text = Property(stored[i], "Text").GetString();
                Assert.Equal(i % 500 == 7 ? new string('x', 20_000 + i) : i % 3 == 0 ? "Caf\u00e9 \"" + i + "\"" : "plain " + i, text);
                var escaped = i % 500 != 7 && i % 3 == 0;
                Assert.Equal(!escaped, !stored[i].PlainProperties.IsEmpty);
            }
        }

        [LoggerMessage(EventId = 13, Level = LogLevel.Information, Message = "Order {OrderId} took {ElapsedMs} ms")]
        private static partial void LogGenerated(ILogger logger, string orderId, int elapsedMs);

        private static JsonElement Property(MonarchLogEntry entry, string name) =>
            JsonDocument.Parse(entry.Properties).RootElement.GetProperty(name).Clone();

        private sealed class Counter
        {
            public int Value { get; set; }

            public override string ToString() => "count " + Value;
        }

        private sealed class GatedException : Exception
        {
            private readonly ManualResetEventSlim _gate;

            public GatedException(ManualResetEventSlim gate)
                : base("gated") => _gate = gate;

            public override string ToString()
            {
                _gate.Wait(TimeSpan.FromSeconds(30));
                return base.ToString();
            }
        }

        /// <summary>Makes the entry the provider queues for a call whose state is left to the writer.</summary>
        private sealed class QueuedEntryProbe : ILogger
        {
            public PendingLogEntry? Entry { get; private set; }

            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                Entry = new DeferredLogEntry<TState>(state, formatter) { Level = (MonarchLogLevel)logLevel, EventId = eventId.Id, EventName = eventId.Name };
        }

        /// <summary>Says whether the provider would leave the last call's state to the writer.</summary>
        private sealed class DeferralProbe : ILogger
        {
            public bool Allowed { get; private set; }

            public bool RewrapFormatter { get; set; }

            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                Allowed = DeferrableState<TState>.Allows(RewrapFormatter ? (s, e) => "wrapped: " + formatter(s, e) : formatter);
            }
        }
    }
}
