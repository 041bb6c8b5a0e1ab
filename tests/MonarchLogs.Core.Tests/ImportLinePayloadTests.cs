using System;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using MonarchLogs.Core.Archive;
using MonarchLogs.Core.Format.Blocks;

namespace MonarchLogs.Core.Tests
{
    /// <summary>
    /// The import's fast way from an archive entry line to a block's payload line: it gives exactly
    /// the bytes a writer writes for the entry the line reads to, or leaves the line to the entry's way.
    /// </summary>
    public sealed class ImportLinePayloadTests
    {
        private static readonly DateTime Time = new DateTime(2026, 11, 28, 14, 28, 7, DateTimeKind.Utc).AddTicks(1234567);

        [Theory]
        [InlineData("Order 42 shipped", "{\"OrderId\":42,\"Nested\":{\"A\":[1,2]}}", 7, "")]
        [InlineData("é ü 日本語 in UTF-8", "{\"Text\":\"é 🦋\"}", 0, "web-1")]
        [InlineData("", "", -42, "")]
        [InlineData("m", "{\"Escaped\":\"a\\\"b\\\\c\\u0001\"}", int.MaxValue, "h")]
        public void A_plain_exported_line_becomes_the_payload_line_a_writer_writes_for_its_entry(string message, string properties, int eventId, string host)
        {
            var entry = Entry(message, properties, eventId, host);
            var output = new MemoryStream();
            Assert.True(ImportLinePayload.TryConvert(ArchiveLine(entry), null, output, out var service, out var level, out var ticks));
            Assert.Equal((entry.Service, entry.Level, BlockHeader.ToUnixTicks(entry.Timestamp)), (service, level, ticks));
            Assert.Equal(Encoding.UTF8.GetString(PayloadLine(entry)), Encoding.UTF8.GetString(output.ToArray()));
        }

        [Theory]
        [InlineData("a \"quoted\" message", "{\"I\":1}")]
        [InlineData("line\nbreak", "{\"I\":1}")]
        [InlineData("🦋, which the archive writes escaped", "{\"I\":1}")]
        [InlineData("m", "not an object")]
        [InlineData("m", "{\"I\":1} {\"J\":2}")]
        [InlineData("m", "{\"I\":\n1}")]
        [InlineData("m", "[1,2]")]
        public void A_line_whose_payload_line_would_differ_is_left_to_the_entry_s_way(string message, string properties)
        {
            var output = new MemoryStream();
            output.WriteByte((byte)'x');
            Assert.False(ImportLinePayload.TryConvert(ArchiveLine(Entry(message, properties, 1, "")), null, output, out _, out _, out _));
            Assert.Equal(1, output.Length);
        }

        [Theory]
        [InlineData("{\"ts\":\"2026-11-28T14:28:07Z\",\"level\":\"error\",\"service\":\"s\"}")]
        [InlineData("{\"ts\":\"2026-11-28T14:28:07.1234567Z\",\"level\":\"Error\",\"service\":\"s\"}")]
        [InlineData("{\"ts\":\"2026-11-28T14:28:07.1234567Z\",\"level\":\"error\",\"service\":\"s\",\"eventId\":\"5\"}")]
        [InlineData("{\"ts\":\"2026-11-28T14:28:07.1234567Z\",\"level\":\"error\",\"service\":\"s\",\"x\":1}")]
        [InlineData("{\"ts\":\"2026-11-28T14:28:07.1234567Z\",\"level\":\"error\",\"service\":\"s\",\"message\":\"a\",\"message\":\"b\"}")]
        [InlineData("{\"ts\":\"2026-11-28T14:28:07.1234567Z\",\"level\":\"error\"}")]
        [InlineData("{\"archive\":\"MonarchLogs\",\"version\":1}")]
        [InlineData("")]
        public void Lines_in_other_forms_are_left_to_the_entry_s_way(string line)
        {
            Assert.False(ImportLinePayload.TryConvert(Encoding.UTF8.GetBytes(line), null, new MemoryStream(), out _, out _, out _));
        }

        [Theory]
        [InlineData("70 7F 71")]
        [InlineData("63 C3 A9 FF")]
        [InlineData("61 C3")]
        [InlineData("78 ED A0 BD")]
        public void A_value_that_is_not_plain_UTF_8_is_left_to_the_entry_s_way(string hex)
        {
            // Raw bytes in a value: DEL, a byte no UTF-8 holds, a sequence cut short, a lone surrogate's bytes.
            Assert.False(ImportLinePayload.TryConvert(WithMessage(hex.Split(' ').Select(b => Convert.ToByte(b, 16)).ToArray()), null, new MemoryStream(), out _, out _, out _));
            Assert.True(ImportLinePayload.TryConvert(WithMessage(Encoding.UTF8.GetBytes("caf\u00e9 \U0001F98B")), null, new MemoryStream(), out _, out _, out _));
        }

        [Theory]
        [InlineData("Order 42 shipped", "{\"OrderId\":42,\"Nested\":{\"A\":[1,2.5e3,true,null]}}", 7, "")]
        [InlineData("", "", 0, "web-1")]
        [InlineData("m", "{}", -42, "h")]
        public void A_line_exactly_as_an_export_writes_it_is_copied_to_the_bytes_a_writer_writes(string message, string properties, int eventId, string host)
        {
            var entry = Entry(message, properties, eventId, host);
            var line = ArchiveLine(entry);
            var copy = new byte[line.Length];
            var length = ArchiveLineCopy.TryCopy(line, copy, null, out var service, out var level, out var ticks);
            Assert.True(length >= 0);
            Assert.Equal((entry.Service, entry.Level, BlockHeader.ToUnixTicks(entry.Timestamp)), (service, level, ticks));
            Assert.Equal(Encoding.UTF8.GetString(PayloadLine(entry)), Encoding.UTF8.GetString(copy, 0, length));
        }

        [Fact]
        public void No_change_of_a_byte_makes_the_copy_give_other_bytes_than_the_JSON_reader_s_way()
        {
            var replacements = Encoding.ASCII.GetBytes("\"\\{}[],:. -+0123456789eEtfnulrsaZT\t\n\u007f").Concat(new byte[] { 0xc3, 0xa9, 0xff }).ToArray();
            var forms = new[]
            {
                Entry("Invoice INV-1 issued to hooli for 12 cents", "{\"Service\":\"billing\",\"AmountCents\":128279,\"N\":{\"A\":[1,-2.5e+3,true,false,null]}}", 2002, "vm"),
                Entry("", "", 0, ""),
                Entry("m", "{\"Q\": \"a b\", \"E\":[]}", -7, "h"),
            };
            var random = new Random(11);
            var (taken, declined) = (0, 0);
            foreach (var form in forms)
            {
                var original = ArchiveLine(form);
                for (var round = 0; round < 4_000; round++)
                {
                    var bytes = (byte[])original.Clone();
                    var changes = 1 + random.Next(2);
                    for (var c = 0; c < changes; c++) bytes[random.Next(bytes.Length)] = replacements[random.Next(replacements.Length)];
                    var copy = new byte[bytes.Length];
                    var length = ArchiveLineCopy.TryCopy(bytes, copy, "fallback", out var service, out var level, out var ticks);
                    if (length < 0)
                    {
                        declined++;
                        continue;
                    }

                    taken++;
                    AssertReaderAgrees(bytes, copy.AsSpan(0, length).ToArray(), service, level, ticks);
                }
            }

            Assert.True(taken > 100 && declined > 100, $"{taken} changed lines copied, {declined} declined");
        }

        [Theory]
        [InlineData("", "x")]
        [InlineData("", "}")]
        [InlineData("", "{}")]
        [InlineData("", " ")]
        [InlineData(" ", "")]
        public void A_line_with_more_around_it_is_copied_only_as_the_JSON_reader_s_way_converts_it(string before, string after)
        {
            var line = Encoding.UTF8.GetBytes(before).Concat(ArchiveLine(Entry("m", "{\"I\":1}", 1, ""))).Concat(Encoding.UTF8.GetBytes(after)).ToArray();
            var copy = new byte[line.Length];
            var length = ArchiveLineCopy.TryCopy(line, copy, null, out var service, out var level, out var ticks);
            if (length >= 0) AssertReaderAgrees(line, copy.AsSpan(0, length).ToArray(), service, level, ticks);
            Assert.True(length < 0 || (before + after).Trim().Length == 0);
        }

        /// <summary>The JSON reader's way converts <paramref name="line"/> to the same payload line, service, level and time.</summary>
        private static void AssertReaderAgrees(byte[] line, byte[] copied, string service, MonarchLogLevel level, long ticks)
        {
            var output = new MemoryStream();
            Assert.True(ImportLinePayload.TryConvertWithReader(line, "fallback", output, out var readService, out var readLevel, out var readTicks), $"copied a line the reader's way leaves: {Encoding.UTF8.GetString(line)}");
            Assert.Equal((readService, readLevel, readTicks), (service, level, ticks));
            Assert.Equal(Encoding.UTF8.GetString(output.ToArray()), Encoding.UTF8.GetString(copied));
        }

        /// <summary>An archive line whose message is <paramref name="raw"/>, as it is.</summary>
        private static byte[] WithMessage(byte[] raw)
        {
            var line = ArchiveLine(Entry("MESSAGE", "{\"I\":1}", 1, ""));
            var at = Encoding.UTF8.GetString(line).IndexOf("MESSAGE", StringComparison.Ordinal);
            return line.Take(at).Concat(raw).Concat(line.Skip(at + "MESSAGE".Length)).ToArray();
        }

        private static MonarchLogEntry Entry(string message, string properties, int eventId, string host) => new MonarchLogEntry
        {
            Id = "1764340087123-0@orders/error",
            Timestamp = Time,
            Level = MonarchLogLevel.Error,
            Service = "orders",
            Category = "Monarch.Orders",
            Message = message,
            Template = message.Length > 0 ? "{A} {B}" : string.Empty,
            EventId = eventId,
            EventName = eventId != 0 ? "Shipped" : string.Empty,
            ExceptionType = host.Length > 0 ? "System.IO.IOException" : string.Empty,
            TraceId = "b1ab61cd87c227fd03f8bf5ec2cf295c",
            Host = host,
            Properties = properties,
        };

        private static byte[] ArchiveLine(MonarchLogEntry entry)
        {
            using var buffer = new MemoryStream();
            using (var json = new Utf8JsonWriter(buffer, ArchiveFormat.WriterOptions)) ArchiveEntryLine.Write(json, entry);
            return buffer.ToArray();
        }

        private static byte[] PayloadLine(MonarchLogEntry entry)
        {
            using var buffer = new MemoryStream();
            JsonLinesPayload.Write(new[] { entry }, buffer);
            return buffer.ToArray().Where((_, i) => i < buffer.Length - 1 || buffer.ToArray()[i] != (byte)'\n').ToArray();
        }
    }
}
