using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json;
using System.Threading.Tasks;
using Microsoft.Extensions.Logging;
using MonarchLogs.Core;
using MonarchLogs.Core.Query;

namespace MonarchLogs.Logging.Tests
{
    /// <summary>
    /// What an application hands the logger may throw, recurse, or be huge: each costs the one
    /// value it concerns, never the entry, never the writer, and every later entry is stored.
    /// </summary>
    public sealed class HostileInputTests
    {
        [Fact]
        public async Task Exceptions_and_values_that_throw_are_stored_in_a_safe_form_and_the_writer_goes_on()
        {
            await using var harness = await ProviderHarness.StartAsync();
            var logger = harness.Loggers.CreateLogger("Hostile");

            logger.LogError(new MessageThrows(), "message getter throws");
            logger.LogError(new ToStringThrows(), "ToString throws");
            var cyclic = new InvalidOperationException("cycle");
            typeof(Exception).GetField("_innerException", System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic)!.SetValue(cyclic, cyclic);
            logger.LogError(cyclic, "inner exceptions form a cycle");
            logger.LogWarning("value {Value}", new ToStringThrowsValue());
            logger.LogWarning("sequence {Items}", new ThrowingSequence());
            logger.LogWarning("long {Items}", Enumerable.Range(0, 100_000).ToList());
            var selfContaining = new ArrayList();
            selfContaining.Add(selfContaining);
            logger.LogWarning("self {Items}", selfContaining);
            logger.LogWarning("lone surrogate {Text}", "a\uD800b");
            using (logger.BeginScope(new ThrowingScope()))
            {
                logger.LogWarning("inside a scope that throws");
            }

            logger.LogInformation("after all of them");

            var entries = await harness.WaitForAsync(10);
            Assert.Equal(10, entries.Count);
            Assert.Equal(0, harness.Provider.EntriesDropped);
            MonarchLogEntry Find(string template) => Assert.Single(entries, e => e.Template.StartsWith(template, StringComparison.Ordinal));
            Find("after all of them");

            var message = Find("message getter throws");
            Assert.Equal(typeof(MessageThrows).FullName, message.ExceptionType);
            Assert.Equal($"[{typeof(MessageThrows).FullName}.Message threw System.InvalidOperationException]", message.ExceptionMessage);
            Assert.Contains(typeof(MessageThrows).FullName!, message.Exception);

            var toString = Find("ToString throws");
            Assert.Equal("fine message", toString.ExceptionMessage);
            Assert.Contains("ToString() threw System.NotSupportedException", toString.Exception);
            Assert.Contains("fine message", toString.Exception);

            Assert.Contains("its inner exceptions form a cycle", Find("inner exceptions form a cycle").Exception);

            Assert.Equal($"[{typeof(ToStringThrowsValue).FullName}.ToString() threw System.InvalidOperationException]",
                JsonDocument.Parse(Find("value").Properties).RootElement.GetProperty("Value").GetString());
            // The framework's formatter enumerates the sequence too: the message says it could not be rendered.
            var sequence = Find("sequence");
            Assert.Equal("[The message could not be rendered: System.InvalidOperationException]", sequence.Message);
            Assert.Contains("could not be read", JsonDocument.Parse(sequence.Properties).RootElement.GetProperty("Items").GetString());
            Assert.Equal(64, JsonDocument.Parse(Find("long").Properties).RootElement.GetProperty("Items").GetArrayLength());
            Assert.Equal(1, JsonDocument.Parse(Find("self").Properties).RootElement.GetProperty("Items").GetArrayLength());
            Assert.Equal("a\uFFFDb", JsonDocument.Parse(Find("lone surrogate").Properties).RootElement.GetProperty("Text").GetString());
            Assert.Contains("A scope could not be read", Find("inside a scope that throws").Properties);
        }

        [Fact]
        public async Task Huge_entries_are_cut_to_the_limits_marked_counted_and_never_block_the_writer()
        {
            await using var harness = await ProviderHarness.StartAsync();
            var logger = harness.Loggers.CreateLogger("Huge");
            var huge = new string('m', 10_000_000);
            logger.LogError(new InvalidOperationException(new string('e', 5_000_000)), "{Huge}", huge);
            var state = Enumerable.Range(0, 10_000).Select(i => new KeyValuePair<string, object?>("P" + i, i)).ToList();
            logger.Log(LogLevel.Information, default, state, null, (_, _) => "ten thousand properties");
            logger.LogInformation("after");

            var entries = await harness.WaitForAsync(3, TimeSpan.FromSeconds(30));
            Assert.Equal(3, entries.Count);
            var cut = entries[0];
            Assert.InRange(cut.Message.Length, 1000, 32 * 1024);
            Assert.Contains("…[truncated: 10000000 characters, kept", cut.Message);
            Assert.InRange(cut.Exception.Length + cut.Message.Length + cut.Properties.Length + cut.ExceptionMessage.Length, 1000, 256 * 1024);
            Assert.True(JsonDocument.Parse(cut.Properties).RootElement.GetProperty("PropertiesTruncated").GetBoolean());
            Assert.True(JsonDocument.Parse(entries[1].Properties).RootElement.GetProperty("PropertiesTruncated").GetBoolean());
            Assert.Equal("after", entries[2].Message);
            Assert.Equal(2, harness.Provider.Writer.Ledger.Truncated);
            Assert.Equal(0, harness.Provider.EntriesDropped);
        }

        [Fact]
        public async Task Entries_of_each_thread_are_stored_in_the_order_they_were_logged()
        {
            await using var harness = await ProviderHarness.StartAsync(o =>
            {
                o.MaxBatchSize = 64;
                o.BacklogBatchSize = 0;
            });
            var logger = harness.Loggers.CreateLogger("Threads");
            const int threads = 4, each = 5000;
            await Task.WhenAll(Enumerable.Range(0, threads).Select(t => Task.Run(() =>
            {
                for (var i = 0; i < each; i++) logger.LogInformation("{Thread}:{Index}", t, i.ToString("D5"));
            })));

            await harness.WaitForAsync(threads * each, TimeSpan.FromSeconds(60));
            var stored = await harness.ReadAllAsync(new LogQuery { OldestFirst = true, Categories = new[] { "Threads" } });
            Assert.Equal(threads * each, stored.Count);
            for (var t = 0; t < threads; t++)
            {
                var mine = stored.Select(e => e.Message).Where(m => m.StartsWith(t + ":", StringComparison.Ordinal)).ToList();
                Assert.Equal(Enumerable.Range(0, each).Select(i => t + ":" + i.ToString("D5")), mine);
            }

            // The stream order is also the event-time order within each thread, and IDs stay near event times.
            Assert.All(stored, e => Assert.InRange((LogEntryId.Parse(e.Id!).Position.Milliseconds - StreamId.ToUnixMilliseconds(e.Timestamp)), 0, 1000));
        }

        private sealed class MessageThrows : Exception
        {
            public override string Message => throw new InvalidOperationException("no message for you");
        }

        private sealed class ToStringThrows : Exception
        {
            public ToStringThrows()
                : base("fine message")
            {
            }

            public override string ToString() => throw new NotSupportedException();
        }

        private sealed class ToStringThrowsValue
        {
            public override string ToString() => throw new InvalidOperationException();
        }

        private sealed class ThrowingSequence : IEnumerable<int>
        {
            public IEnumerator<int> GetEnumerator()
            {
                yield return 1;
                throw new InvalidOperationException("enumeration failed");
            }

            IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
        }

        private sealed class ThrowingScope : IEnumerable<KeyValuePair<string, object?>>
        {
            public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => throw new InvalidOperationException("scope enumeration failed");

            IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
        }
    }
}
