using System;
using System.Collections.Generic;
using System.Text;
using MonarchLogs.Core.Format;
using MonarchLogs.Core.Format.Blocks;
using Xunit;

namespace MonarchLogs.Core.Tests
{
    /// <summary>
    /// The one-pass read of a payload line as a writer writes it must never take a line the JSON
    /// reader refuses, and must find the same values as the entry the line decodes to.
    /// </summary>
    public sealed class WriterLineTests
    {
        private static readonly Partition Partition = new StorageFormat().GetPartition("orders", MonarchLogLevel.Information);

        private const string Ts = "{\"ts\":\"2026-11-28T14:28:07.1234567Z\"";

        /// <summary>Lines as writers write them, which the one pass reads.</summary>
        private static readonly string[] WriterFormLines =
        {
            Ts + "}",
            Ts + ",\"category\":\"A.B\",\"message\":\"<script>&'+` ~!@#$%^*()_=|{}[];:,./?\",\"eventId\":-17,\"host\":\"h\"}",
            Ts + ",\"eventId\":2147483647,\"props\":{\"OrderId\":42,\"Customer\":\"acme\",\"Nested\":{\"a\":[1,-2.5e+3,0.25,{\"b\":true}],\"c\":null,\"d\":false,\"e\":[]},\"f\":{}}}",
            Ts + ",\"eventId\":-2147483648,\"props\":{ \"Spaced\" : [ 1 , 2 ] }}",
            Ts + ",\"eventId\":0,\"props\":\"{not an object\"}",
            Ts + ",\"traceId\":\"4bf92f3577b34da6a3ce929d0e0e4736\",\"spanId\":\"00f067aa0ba902b7\",\"props\":{\"\":\"\",\"n\":0E5}}",
        };

        /// <summary>Lines the one pass leaves to the JSON reader: valid ones in another form, and invalid ones.</summary>
        private static readonly string[] OtherFormLines =
        {
            "{\"ts\" : \"2026-11-28T14:28:07.1234567Z\"}",
            "{\"ts\":\"2026-11-28T15:28:07.1234567+01:00\"}",
            Ts + ",\"message\":\"a\\\"b\"}",
            Ts + ",\"message\":\"Grüße\"}",
            Ts + ",\"message\":\"tab\there\"}",
            Ts + ",\"message\":null}",
            Ts + ",\"host\":\"a\",\"category\":\"b\"}",
            Ts + ",\"host\":\"a\",\"host\":\"b\"}",
            Ts + ",\"extra\":1}",
            Ts + ",\"eventId\":\"12\"}",
            Ts + ",\"eventId\":-0}",
            Ts + ",\"eventId\":012}",
            Ts + ",\"eventId\":2147483648}",
            Ts + ",\"eventId\":1.5}",
            Ts + ",\"props\":[1,2]}",
            Ts + ",\"props\":{\"a\":\"\\n\"}}",
            Ts + ",\"props\":{\"a\":1.}}",
            Ts + ",\"props\":{\"a\":.5}}",
            Ts + ",\"props\":{\"a\":-}}",
            Ts + ",\"props\":{\"a\":1e}}",
            Ts + ",\"props\":{\"a\":01}}",
            Ts + ",\"props\":{\"a\":1,}}",
            Ts + ",\"props\":{\"a\" 1}}",
            Ts + ",\"props\":{\"a\":tru}}",
            Ts + ",\"props\":{\"a\":truex}}",
            Ts + ",\"props\":{a:1}}",
            Ts + ",\"props\":{\"a\":[1,]}}",
            Ts + ",\"props\":{\"a\":[1 2]}}",
            Ts + ",\"props\":{\"a\":1}",
            Ts + ",\"props\":{\"a\":1}}}",
            Ts + ",\"props\":{\"a\":1}} ",
            Ts + "}{}",
            Ts + ",}",
            Ts,
            "{\"ts\":\"2026-11-28T14:28:07.1234567Z\",\"message\":\"unterminated}",
            "{\"ts\":\"2026-02-30T14:28:07.1234567Z\"}",
        };

        public static TheoryData<string> WriterForms => new TheoryData<string>(WriterFormLines);

        public static TheoryData<string> OtherForms => new TheoryData<string>(OtherFormLines);

        [Theory]
        [MemberData(nameof(WriterForms))]
        public void A_line_as_a_writer_writes_it_reads_in_one_pass_to_the_values_of_its_entry(string line)
        {
            Assert.True(TryRead(line, out _, out _, out _));
            AssertAgrees(line);
        }

        [Theory]
        [MemberData(nameof(OtherForms))]
        public void A_line_in_another_form_is_left_to_the_JSON_reader(string line)
        {
            Assert.False(TryRead(line, out _, out _, out _));
        }

        [Fact]
        public void No_change_of_a_byte_makes_the_one_pass_take_a_line_the_JSON_reader_refuses_or_reads_otherwise()
        {
            var replacements = Encoding.ASCII.GetBytes("\"\\{}[],:. -+0123456789eEtfnulrsa\t");
            var random = new Random(7);
            var taken = 0;
            foreach (var form in WriterFormLines)
            {
                var original = Encoding.UTF8.GetBytes(form);
                for (var round = 0; round < 3_000; round++)
                {
                    var bytes = (byte[])original.Clone();
                    var changes = 1 + random.Next(2);
                    for (var c = 0; c < changes; c++) bytes[random.Next(bytes.Length)] = replacements[random.Next(replacements.Length)];
                    var line = Encoding.ASCII.GetString(bytes);
                    if (!TryRead(line, out _, out _, out _)) continue;
                    taken++;
                    AssertAgrees(line);
                }
            }

            Assert.True(taken > 100, $"only {taken} changed lines were taken");
        }

        private static bool TryRead(string line, out long ticks, out int eventId, out int[] spans)
        {
            spans = new int[2 * WriterLine.FieldCount];
            return WriterLine.TryRead(Encoding.UTF8.GetBytes(line), spans, out ticks, out eventId);
        }

        /// <summary>The line decodes (the JSON reader takes it) to an entry with the values the one pass found.</summary>
        private static void AssertAgrees(string line)
        {
            Assert.True(TryRead(line, out var ticks, out var eventId, out var spans));
            var bytes = Encoding.UTF8.GetBytes(line);
            List<MonarchLogEntry> entries;
            try
            {
                entries = JsonLinesPayload.Read(bytes, 1, Partition);
            }
            catch (MonarchLogsException ex)
            {
                throw new Xunit.Sdk.XunitException($"The one pass took a line the reader refuses ({ex.Message}): {line}");
            }

            var entry = entries[0];
            Assert.Equal(BlockHeader.ToUnixTicks(entry.Timestamp), ticks);
            Assert.Equal(entry.EventId, eventId);
            var values = new[]
            {
                string.Empty, entry.Category, entry.Message, entry.Template, string.Empty, entry.EventName, entry.ExceptionType,
                entry.ExceptionMessage, entry.Exception, entry.TraceId, entry.SpanId, entry.Host, entry.Properties,
            };
            for (var field = 1; field < values.Length; field++)
            {
                if (field == JsonLinesPayload.EventIdIndex) continue;
                Assert.Equal(values[field], Encoding.ASCII.GetString(bytes, spans[2 * field], spans[(2 * field) + 1]));
            }
        }
    }
}
