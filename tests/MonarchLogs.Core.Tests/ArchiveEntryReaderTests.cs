using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using System.Text.Json;
using MonarchLogs.Core.Archive;

namespace MonarchLogs.Core.Tests
{
    /// <summary>
    /// The import's one-pass reader of archive entry lines: it reads an export's lines to exactly the
    /// entry the general reader (a JSON document, <see cref="ArchiveFormat.ReadEntry"/>) makes, and
    /// leaves every line it cannot read that way to the general reader.
    /// </summary>
    public sealed class ArchiveEntryReaderTests
    {
        private const string Plain =
            "{\"id\":\"1764340087123-0\",\"ts\":\"2026-11-28T14:28:07.1234567Z\",\"level\":\"error\",\"service\":\"orders\",\"category\":\"C\",\"message\":\"m\",\"template\":\"t\","
            + "\"eventId\":7,\"eventName\":\"E\",\"exType\":\"X\",\"exMessage\":\"xm\",\"exStack\":\"xs\",\"traceId\":\"abc\",\"spanId\":\"def\",\"host\":\"h\",\"props\":\"{\\\"I\\\":1}\"}";

        [Fact]
        public void An_exported_line_reads_in_one_pass_to_the_entry_the_general_reader_makes()
        {
            var line = Line(new MonarchLogEntry
            {
                Id = "1764340087123-0@orders/error",
                Timestamp = new DateTime(2026, 11, 28, 14, 28, 7, DateTimeKind.Utc).AddTicks(1234567),
                Level = MonarchLogLevel.Error,
                Service = "orders",
                Category = "Monarch.Orders",
                Message = "line\n\u001b[31mred\u202e \"quoted\" \\ é 😀",
                Template = "{A} {B}",
                EventId = -42,
                EventName = "Shipped",
                ExceptionType = "System.IO.IOException",
                ExceptionMessage = "disk full",
                Exception = "System.IO.IOException: disk full\n   at Job.Run()",
                TraceId = "b1ab61cd87c227fd03f8bf5ec2cf295c",
                SpanId = "f8cb2f156fe4ee24",
                Host = "web-1",
                Properties = "{\"A\":\"x\",\"B\":[1,2.5,true,null]}",
            });
            Assert.True(ArchiveEntryReader.TryRead(line, null, out var fast));
            AssertSame(General(line, null), fast);
            Assert.Equal(DateTimeKind.Utc, fast.Timestamp.Kind);
        }

        public static IEnumerable<object?[]> ReadLines() => new[]
        {
            new object?[] { Plain, null },
            // Fields in another order, some left out, null as empty, unknown fields of every kind ignored.
            new object?[] { "{\"level\":\"Info\",\"extra\":{\"a\":[1,{\"b\":2}]},\"ts\":\"2026-11-28T14:28:07Z\",\"message\":null,\"more\":[],\"n\":1.5,\"t\":true}", "fallback" },
            // A time with an offset, an event id as text, a level in another spelling, a service from the defaults.
            new object?[] { "{\"ts\":\"2026-11-28T15:28:07.5+01:00\",\"level\":\"WARN\",\"eventId\":\"12\"}", "fallback" },
            new object?[] { "{\"ts\":\"2026-11-28T14:28:07.1234567Z\",\"level\":\"debug\",\"service\":\"\",\"category\":\"\\u0041\\n\"} \t", "fallback" },
        };

        [Theory]
        [MemberData(nameof(ReadLines))]
        public void Other_well_formed_entries_read_as_the_general_reader_reads_them(string text, string? defaultService)
        {
            var line = Encoding.UTF8.GetBytes(text);
            Assert.True(ArchiveEntryReader.TryRead(line, defaultService, out var fast));
            AssertSame(General(line, defaultService), fast);
        }

        public static IEnumerable<object[]> LeftLines() => new[]
        {
            new object[] { "{\"archive\":\"MonarchLogs\",\"version\":1,\"storageFormat\":\"1\",\"kind\":\"export\",\"filter\":{}}" },
            new object[] { "{\"Timestamp\":\"2026-11-29T22:58:29.400Z\",\"EventId\":0,\"LogLevel\":\"Information\",\"Category\":\"C\",\"Message\":\"m\"}" },
            new object[] { Plain.Substring(0, Plain.Length - 10) },
            new object[] { Plain + "x" },
            new object[] { Plain + "{}" },
            new object[] { "[1,2,3]" },
            new object[] { "not json" },
            new object[] { "{\"ts\":\"yesterday\",\"level\":\"error\",\"service\":\"s\"}" },
            new object[] { "{\"ts\":\"2026-11-28T14:28:07Z\",\"level\":\"loud\",\"service\":\"s\"}" },
            new object[] { "{\"ts\":\"2026-11-28T14:28:07Z\",\"service\":\"s\"}" },
            new object[] { "{\"level\":\"error\",\"service\":\"s\"}" },
            new object[] { "{\"ts\":\"2026-11-28T14:28:07Z\",\"level\":\"error\"}" },
            new object[] { "{\"ts\":\"2026-11-28T14:28:07Z\",\"level\":\"error\",\"service\":\"bad\\u0007name\"}" },
            new object[] { "{\"ts\":\"2026-11-28T14:28:07Z\",\"level\":\"error\",\"service\":\"s\",\"eventId\":4294967296}" },
            new object[] { "{\"ts\":\"2026-11-28T14:28:07Z\",\"level\":\"error\",\"service\":\"s\",\"eventId\":\"seven\"}" },
            // What only the general reader decides: a field twice, a field name with escapes, a value of another kind.
            new object[] { "{\"ts\":\"2026-11-28T14:28:07Z\",\"level\":\"error\",\"service\":\"s\",\"message\":\"a\",\"message\":\"b\"}" },
            new object[] { "{\"\\u0074s\":\"2026-11-28T14:28:07Z\",\"level\":\"error\",\"service\":\"s\"}" },
            new object[] { "{\"ts\":\"2026-11-28T14:28:07Z\",\"level\":\"error\",\"service\":\"s\",\"message\":42}" },
            new object[] { "{\"ts\":\"2026-11-28T14:28:07Z\",\"level\":\"error\",\"service\":\"s\",\"props\":{\"a\":1}}" },
        };

        [Theory]
        [MemberData(nameof(LeftLines))]
        public void Any_other_line_is_left_to_the_general_reader(string text)
        {
            Assert.False(ArchiveEntryReader.TryRead(Encoding.UTF8.GetBytes(text), null, out _));
        }

        [Theory]
        [InlineData("{\"ts\":\"2026-11-28T14:28:07Z\",\"level\":\"error\",\"service\":\"s\",\"message\":\"")]
        [InlineData("{\"ts\":\"2026-11-28T14:28:07Z\",\"level\":\"error\",\"service\":\"s\",\"category\":\"")]
        [InlineData("{\"ts\":\"2026-11-28T14:28:07Z\",\"level\":\"error\",\"service\":\"")]
        public void Text_that_is_not_UTF8_is_left_to_the_general_reader(string before)
        {
            var line = new List<byte>(Encoding.UTF8.GetBytes(before));
            line.AddRange(new byte[] { 0xC3, 0x28, 0xFF });
            line.AddRange(Encoding.UTF8.GetBytes("\"}"));
            Assert.False(ArchiveEntryReader.TryRead(line.ToArray(), null, out _));
        }

        private static byte[] Line(MonarchLogEntry entry)
        {
            using var buffer = new MemoryStream();
            using (var json = new Utf8JsonWriter(buffer, ArchiveFormat.WriterOptions)) ArchiveEntryLine.Write(json, entry);
            return buffer.ToArray();
        }

        private static MonarchLogEntry General(byte[] line, string? defaultService)
        {
            using var document = JsonDocument.Parse(line);
            var entry = ArchiveFormat.ReadEntry(document.RootElement, defaultService, out var problem);
            Assert.Null(problem);
            return entry;
        }

        private static void AssertSame(MonarchLogEntry expected, MonarchLogEntry actual)
        {
            Assert.Equal(expected.Timestamp, actual.Timestamp);
            Assert.Equal(expected.Timestamp.Kind, actual.Timestamp.Kind);
            Assert.Equal(JsonSerializer.Serialize(expected), JsonSerializer.Serialize(actual));
        }
    }
}
