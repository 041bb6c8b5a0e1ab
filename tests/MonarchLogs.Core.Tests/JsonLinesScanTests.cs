using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using MonarchLogs.Core.Format.Blocks;
using Xunit;

namespace MonarchLogs.Core.Tests
{
    /// <summary>
    /// A compaction's and an import's scan of a block's lines reads a line as a writer writes it in
    /// one pass: it must give the very event time and tokens, in the same order, that the JSON
    /// reader's way gives the line, and leave to that way every line it does not read so.
    /// </summary>
    public sealed class JsonLinesScanTests
    {
        private static readonly DateTime BaseTime = new DateTime(2026, 11, 28, 14, 28, 7, DateTimeKind.Utc);

        private const string Ts = "{\"ts\":\"2026-11-28T14:28:07.1234567Z\"";

        private static string Nested(int depth) => Wrapped(depth - 1, "{\"n\":1}");

        private static string Wrapped(int depth, string value) => string.Concat(Enumerable.Repeat("{\"n\":", depth)) + value + new string('}', depth);

        /// <summary>Lines as a writer writes them in printable ASCII: the one pass reads them.</summary>
        private static readonly string[] OnePassLines =
        {
            Ts + "}",
            Ts + ",\"category\":\"\",\"eventName\":\"\",\"exType\":\"\",\"traceId\":\"\",\"spanId\":\"\",\"props\":\"\"}",
            Ts + ",\"category\":\"a.B\",\"message\":\"m\",\"eventId\":-2147483648,\"eventName\":\"shipped\",\"exType\":\"System.timeout\",\"traceId\":\"4bf92f3577b34DA6\",\"spanId\":\"00f0\",\"host\":\"h\"}",
            Ts + ",\"eventId\":2147483647,\"props\":{\"OrderId\":42,\"Amount\":-0.50,\"Big\":1e40,\"Exp\":4.711E3,\"Text\":\" 42 \",\"Ok\":\" True \",\"f\":false,\"t\":true,\"z\":null}}",
            Ts + ",\"props\":{\"Tags\":[\"a\",1.50,true,null,[\"nested\"],{\"x\":1}],\"e\":[],\"o\":{},\"\":\"\",\"dup\":1,\"dup\":2}}",
            Ts + ",\"props\":{ \"Spaced\" : [ 1 , \"two\" ] , \"n\" : 0E5 }}",
            Ts + ",\"props\":\"not an object\"}",
            Ts + ",\"props\":{\"Deep\":" + Wrapped(9, "{\"s\":\"]}[{\",\"x\":[1,{\"y\":\"}\"}],\"t\":true}") + ",\"k\":[[\"]\"],{\"z\":\"[\"},\"q\",-0.0,1E+2,true,null],"
                + "\"S\":\" +4.5e1 \",\"F\":\"  fAlSe \",\"N\":\"-.5\",\"W\":\"1e3\",\"I\":-7,\"Z\":0.000,\"e\":1e-2,\"l\":1234567890123456789012}}",
            Ts + ",\"props\":{\"Long\":\"" + new string('x', BlockTokens.MaxValueLength) + "\",\"TooLong\":\"" + new string('y', BlockTokens.MaxValueLength + 1) + "\",\"Digits\":" + new string('9', 300) + "}}",
            Ts + ",\"category\":\"" + new string('c', 5000) + "\",\"props\":{\"Zero\":0,\"MinusZero\":-0,\"Neg\":-12,\"Huge\":123456789012345678901,\"Frac\":12.0}}",
            Ts + ",\"props\":" + Nested(10) + "}",
            Ts + ",\"props\":" + Nested(32) + "}",
        };

        /// <summary>Lines the one pass leaves to the JSON reader, which reads some and refuses others.</summary>
        private static readonly string[] OtherLines =
        {
            Ts + ",\"category\":\"Caf\u00e9\",\"eventName\":\"stra\u00dfe \u01c6\"}",
            Ts + ",\"category\":\"a\\\"b\\\\c\\n\",\"traceId\":\"\\u0061bc\"}",
            Ts + ",\"props\":{\"Esc\\u0061ped\":\"caf\\u00e9\",\"\u00dcn\u00efcode\":\"\ud83e\udd8b\"}}",
            Ts + ",\"props\":\"{not an object\"}",
            Ts + ",\"props\":\"{\\\"a\\\":1}\"}",
            Ts + ",\"props\":[1,2]}",
            Ts + ",\"props\":" + Nested(33) + "}",
            Ts + ",\"props\":" + Nested(64) + "}",
            Ts + ",\"props\":" + Nested(65) + "}",
            Ts + ",\"category\":null}",
            Ts + ",\"extra\":{\"a\":[1]},\"category\":\"c\"}",
            Ts + ",\"spanId\":\"s\",\"traceId\":\"t\"}",
            Ts + ",\"eventId\":\"12\"}",
            Ts + ",\"eventId\":1.5}",
            Ts + " }",
            Ts + "}\r",
            "{\"category\":\"c\"," + Ts.Substring(1) + "}",
            "{\"ts\":\"2026-11-28T15:28:07.1234567+01:00\"}",
            "{\"ts\":\"2026-02-30T14:28:07.1234567Z\"}",
            Ts + ",\"props\":{\"a\":1,}}",
            Ts,
        };

        public static TheoryData<string> OnePass => new TheoryData<string>(OnePassLines);

        public static TheoryData<string> Other => new TheoryData<string>(OtherLines);

        [Fact]
        public void Benchmark_shaped_lines_read_in_one_pass_to_the_time_and_tokens_of_the_JSON_reader()
        {
            var lines = Lines(BenchmarkEntries(600));
            foreach (var line in lines)
            {
                Assert.True(Compare(line, tokens: true), Encoding.UTF8.GetString(line));
                Assert.True(Compare(line, tokens: false), Encoding.UTF8.GetString(line));
            }
        }

        [Theory]
        [MemberData(nameof(OnePass))]
        public void An_odd_line_as_a_writer_writes_it_reads_in_one_pass_alike(string line)
        {
            Assert.True(Compare(Encoding.UTF8.GetBytes(line), tokens: true));
            Assert.True(Compare(Encoding.UTF8.GetBytes(line), tokens: false));
        }

        [Theory]
        [MemberData(nameof(Other))]
        public void A_line_in_another_form_is_left_to_the_JSON_reader(string line)
        {
            Assert.False(Compare(Encoding.UTF8.GetBytes(line), tokens: true));
            Assert.False(Compare(Encoding.UTF8.GetBytes(line), tokens: false));
        }

        [Fact]
        public void A_block_of_mixed_lines_scans_to_what_the_JSON_reader_alone_gives()
        {
            var odd = BlockCodecTests.TokenProperties.Select((props, i) => Entry(i, "Caf\u00e9.\"Quoted\"" + i, props));
            var hasher = new TokenHasher();
            var lines = Lines(BenchmarkEntries(50).Concat(odd).ToList())
                .Concat(OnePassLines.Concat(OtherLines).Select(Encoding.UTF8.GetBytes))
                .Where(line => JsonLinesScan.TryLine(line, hasher, new TokenSet(), out _)).ToList();
            Assert.True(lines.Count > 80, $"only {lines.Count} lines the JSON reader reads");
            var payload = lines.SelectMany(line => line.Concat(new[] { (byte)'\n' })).ToArray();

            var scanned = new TokenSet();
            var times = new List<long>();
            Assert.True(JsonLinesScan.TryScan(payload, lines.Count, hasher, scanned, times));

            var read = new TokenSet();
            var readTimes = new List<long>();
            foreach (var line in lines)
            {
                Assert.True(JsonLinesScan.TryLine(line, hasher, read, out var ticks));
                readTimes.Add(ticks);
            }

            Assert.Equal(readTimes, times);
            Assert.Equal(read.Items.ToArray(), scanned.Items.ToArray());
        }

        [Fact]
        public void No_change_of_a_byte_makes_the_one_pass_read_a_line_otherwise_than_the_JSON_reader()
        {
            var replacements = Encoding.ASCII.GetBytes("\"\\{}[],:. -+0123456789eEtfnulrsaAzZ\t");
            var forms = Lines(BenchmarkEntries(6)).Concat(OnePassLines.Take(8).Select(Encoding.UTF8.GetBytes)).ToList();
            var random = new Random(11);
            var taken = 0;
            foreach (var original in forms)
            {
                for (var round = 0; round < 2_000; round++)
                {
                    var bytes = (byte[])original.Clone();
                    var changes = 1 + random.Next(2);
                    for (var c = 0; c < changes; c++) bytes[random.Next(bytes.Length)] = replacements[random.Next(replacements.Length)];
                    if (Compare(bytes, tokens: true)) taken++;
                }
            }

            Assert.True(taken > 1_000, $"only {taken} changed lines were taken");
        }

        /// <summary>
        /// Whether the one pass reads the line; when it does, the JSON reader's way reads it too, to
        /// the same time and the same tokens in the same order. A line it leaves adds no token.
        /// </summary>
        private static bool Compare(byte[] line, bool tokens)
        {
            var hasher = new TokenHasher();
            var fast = tokens ? new TokenSet() : null;
            var taken = JsonLinesScan.TryWriterLine(line, new int[2 * WriterLine.FieldCount], hasher, fast, out var ticks);
            if (!taken)
            {
                Assert.Equal(0, fast?.Count ?? 0);
                return false;
            }

            var read = tokens ? new TokenSet() : null;
            Assert.True(JsonLinesScan.TryLine(line, hasher, read, out var readTicks), "the JSON reader's way refuses a line the one pass reads: " + Encoding.UTF8.GetString(line));
            Assert.Equal(readTicks, ticks);
            if (tokens) Assert.Equal(read!.Items.ToArray(), fast!.Items.ToArray());
            return true;
        }

        /// <summary>Entries shaped as the benchmark's: a category, message and template, an event, a W3C trace, a host, a properties object.</summary>
        private static List<MonarchLogEntry> BenchmarkEntries(int count)
        {
            var random = new Random(5);
            var entries = new List<MonarchLogEntry>();
            for (var i = 0; i < count; i++)
            {
                var props = "{\"Service\":\"billing\",\"RequestId\":\"req-" + random.Next(0x1000000, int.MaxValue).ToString("x8") + "\",\"InvoiceId\":\"INV-2026-"
                    + random.Next(10_000, 99_999) + "\",\"Customer\":\"hooli\",\"AmountCents\":" + random.Next(100, 250_000) + "}";
                entries.Add(Entry(i, "Monarch.Billing.InvoiceService", props, i % 10 == 0 ? "System.TimeoutException" : string.Empty));
            }

            return entries;
        }

        private static MonarchLogEntry Entry(int i, string category, string props, string exceptionType = "")
        {
            var random = new Random(i);
            return new MonarchLogEntry
            {
                Service = "billing", Level = MonarchLogLevel.Error, Timestamp = BaseTime.AddTicks(i * 1234567L),
                Category = category, Message = "Invoice INV-2026-" + i + " issued to hooli for 128279 cents",
                Template = "Invoice {InvoiceId} issued to {Customer} for {AmountCents} cents", EventId = i % 7 == 0 ? 0 : 2002, EventName = "InvoiceIssued", ExceptionType = exceptionType,
                TraceId = random.Next().ToString("x8") + random.Next().ToString("x8") + "f943f18ecf73e20af282cd1d", SpanId = random.Next().ToString("x8") + "7f415a34",
                Host = "vm", Properties = props,
            };
        }

        /// <summary>The lines a writer writes for the entries, without their line ends.</summary>
        private static List<byte[]> Lines(List<MonarchLogEntry> entries)
        {
            using var output = new MemoryStream();
            JsonLinesPayload.Write(entries, output);
            var bytes = output.ToArray();
            var lines = new List<byte[]>();
            for (int start = 0, end; start < bytes.Length; start = end + 1)
            {
                end = Array.IndexOf(bytes, (byte)'\n', start);
                lines.Add(bytes.AsSpan(start, end - start).ToArray());
            }

            return lines;
        }
    }
}
