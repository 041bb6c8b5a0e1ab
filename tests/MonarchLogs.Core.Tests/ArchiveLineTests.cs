using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using System.Threading.Tasks;
using MonarchLogs.Core.Archive;
using MonarchLogs.Core.Format;
using MonarchLogs.Core.Format.Blocks;
using MonarchLogs.Core.Query;
using MonarchLogs.Core.Storage;
using StackExchange.Redis;
using Xunit;

namespace MonarchLogs.Core.Tests
{
    /// <summary>
    /// An export of a version 2 store copies the blocks' payload lines into archive lines without
    /// decoding the entries: the file must hold exactly the bytes the decoded entries give.
    /// </summary>
    public sealed class ArchiveLineTests : IClassFixture<ValkeyFixture>
    {
        private static readonly DateTime BaseTime = new DateTime(2026, 11, 28, 14, 28, 7, DateTimeKind.Utc).AddTicks(1234567);
        private readonly ValkeyFixture _valkey;

        public ArchiveLineTests(ValkeyFixture valkey) => _valkey = valkey;

        private IDatabase Db => _valkey.Connection.GetDatabase();

        /// <summary>Every ASCII character, escapes, other scripts, emoji, a lone surrogate, JSON properties and not.</summary>
        private static readonly string[] Texts =
        {
            string.Empty,
            new string(Enumerable.Range(0, 128).Select(c => (char)c).ToArray()),
            "quote \" backslash \\ slash / tab \t line\nbreak",
            "Grüße, 日本語, Ελληνικά, عربى",
            "emoji 😀 and \u2028 \u2029 \u00ad \ufeff",
            "lone \ud800 surrogate",
            "<script>&'+`",
        };

        private static readonly string[] Properties =
        {
            string.Empty,
            "{\"OrderId\":42,\"Customer\":\"acme\",\"Nested\":{\"a\":[1,2,{\"b\":\"\\\"q\\\\\"}]}}",
            "{\"Name\":\"Grüße 😀\"}",
            "{ \"Spaced\" : true }",
            "not json {",
            "[1,2,3]",
            "{\"a\":1}{\"b\":2}",
        };

        private static MonarchLogEntry Entry(string service, MonarchLogLevel level, int i) => new MonarchLogEntry
        {
            Service = service,
            Level = level,
            // Some entries share a tick, so that positions count their ordinals.
            Timestamp = BaseTime.AddTicks((i / 2) * 1_000),
            Category = Texts[i % Texts.Length],
            Message = "message " + i + " " + Texts[(i + 1) % Texts.Length],
            Template = i % 3 == 0 ? string.Empty : "template {N}",
            EventId = (i % 4) switch { 0 => 0, 1 => -17, 2 => int.MaxValue, _ => i },
            EventName = Texts[(i + 2) % Texts.Length],
            ExceptionType = i % 5 == 0 ? "System.InvalidOperationException" : string.Empty,
            ExceptionMessage = Texts[(i + 3) % Texts.Length],
            Exception = i % 5 == 0 ? "at A.B()\n   at C.D()" : string.Empty,
            TraceId = i % 2 == 0 ? "4bf92f3577b34da6a3ce929d0e0e4736" : string.Empty,
            SpanId = Texts[(i + 4) % Texts.Length],
            Host = i % 6 == 0 ? string.Empty : "host-" + (i % 3),
            Properties = Properties[i % Properties.Length],
        };

        private static byte[] LinesOfEntries(IEnumerable<MonarchLogEntry> entries)
        {
            var output = new MemoryStream();
            using var json = new Utf8JsonWriter(output, ArchiveFormat.WriterOptions);
            foreach (var entry in entries)
            {
                json.Reset(output);
                ArchiveEntryLine.Write(json, entry);
                json.Flush();
                output.WriteByte((byte)'\n');
            }

            return output.ToArray();
        }

        /// <summary>Exports the whole store; to a .jsonl.gz file when <paramref name="compress"/>, whose lines the compressor's thread makes.</summary>
        private static async Task<(byte[] Lines, ExportResult Result, List<PartitionError> Errors)> ExportAsync(LogStore store, bool compress = false)
        {
            var path = Path.Combine(Path.GetTempPath(), "monarch-line-export-" + Guid.NewGuid().ToString("N") + (compress ? ".jsonl.gz" : ".jsonl"));
            try
            {
                var errors = new List<PartitionError>();
                ExportResult result;
                using (var writer = ArchiveWriter.Create(path, overwrite: false))
                {
                    result = await store.ExportAsync(new LogQuery(), writer, errors.Add);
                }

                var file = new MemoryStream();
                using (var stream = ArchiveFormat.OpenRead(path)) stream.CopyTo(file);
                var bytes = file.ToArray();
                var header = Array.IndexOf(bytes, (byte)'\n') + 1;
                return (bytes.Skip(header).ToArray(), result, errors);
            }
            finally
            {
                File.Delete(path);
            }
        }

        private async Task AddHandWrittenAsync(LogStore store, Partition partition, string lines, int count, long firstTicks, long lastTicks)
        {
            var fields = new[]
            {
                new NameValueEntry(BlockFields.Count, count),
                new NameValueEntry(BlockFields.FirstTime, firstTicks),
                new NameValueEntry(BlockFields.LastTime, lastTicks),
                new NameValueEntry(BlockFields.Codec, "jsonl"),
                new NameValueEntry(BlockFields.Data, Encoding.UTF8.GetBytes(lines)),
            };
            // At the server's time, after the blocks appended before it: late, so listed in the late set.
            await BlockStoreSeeder.AddFieldsAtAsync(Db, store.Format, partition, fields, "*", new BlockHeader { Count = count, FirstTicks = firstTicks, LastTicks = lastTicks });
        }

        [Fact]
        public async Task An_export_copies_payload_lines_into_the_same_bytes_as_the_decoded_entries()
        {
            var store = _valkey.NewStore();
            var partitions = new[] { ("orders", MonarchLogLevel.Information), ("Zürich \"svc\"", MonarchLogLevel.Error), ("billing", MonarchLogLevel.Debug) };
            foreach (var (service, level) in partitions)
            {
                for (var b = 0; b < 3; b++)
                {
                    var block = Enumerable.Range(b * 40, 40).Select(i => Entry(service, level, i)).ToList();
                    await BlockStoreSeeder.AppendAsync(Db, store.Format, block);
                }
            }

            // A block written by hand: escapes where a writer writes none, other forms of ts and
            // eventId, nulls, unknown fields, fields out of order and twice, a blank line.
            var orders = store.Format.GetPartition("orders", MonarchLogLevel.Information);
            var t = BlockHeader.ToUnixTicks(BaseTime);
            await AddHandWrittenAsync(store, orders,
                "{\"ts\":\"2026-11-28T14:28:07.1234567Z\",\"message\":\"\\u0041\\/b\",\"category\":null,\"eventId\":\"12\",\"extra\":{\"x\":[1]},\"props\":\"{\\\"A\\\":1}\"}\n" +
                "\n" +
                "{\"host\":\"h\",\"ts\":\"2026-11-28T15:28:07.1234567+01:00\",\"props\":{\"A\":\t1},\"host\":\"h2\",\"eventId\":-3}\n" +
                "{\"ts\":\"2026-11-28T14:28:07.1234567\\u005a\",\"props\":null,\"traceId\":\"\\u00e9\",\"spanId\":\"\\ud83d\\ude00\",\"props\":7}\n",
                3, t, t);

            var (entryLines, entries) = await ReadEntriesAsync(store);
            var (lines, result, errors) = await ExportAsync(store);

            Assert.Empty(errors);
            Assert.Equal(entries.Count, result.Entries);
            Assert.Equal(entries[entries.Count - 1].Id, result.LastId);
            Assert.Equal(entries[0].Timestamp, result.From);
            Assert.Equal(entries[entries.Count - 1].Timestamp, result.To);
            Assert.Equal(Encoding.UTF8.GetString(entryLines), Encoding.UTF8.GetString(lines));
            Assert.Equal(entryLines, lines);

            var (compressed, compressedResult, _) = await ExportAsync(store, compress: true);
            Assert.Equal(entryLines, compressed);
            Assert.Equal(result.Entries, compressedResult.Entries);
            Assert.Equal(result.LastId, compressedResult.LastId);
        }

        [Fact]
        public async Task An_export_of_a_line_over_a_megabyte_that_a_writer_escapes_goes_on_with_the_lines_after_it()
        {
            var store = _valkey.NewStore();
            var block = Enumerable.Range(0, 6).Select(i => Entry("orders", MonarchLogLevel.Error, i)).ToList();
            // Control characters and non-ASCII text: the line takes the JSON reader's way, and is longer than a line buffer is kept.
            block[2] = new MonarchLogEntry
            {
                Service = block[2].Service, Level = block[2].Level, Timestamp = block[2].Timestamp, Host = block[2].Host,
                Message = new string('y', 1_100_000) + "\u0001 é \"",
            };
            await BlockStoreSeeder.AppendAsync(Db, store.Format, block);

            var (entryLines, entries) = await ReadEntriesAsync(store);
            var (lines, result, errors) = await ExportAsync(store, compress: true);

            Assert.Empty(errors);
            Assert.Equal(6, result.Entries);
            Assert.Equal(6, entries.Count);
            Assert.Equal(entryLines, lines);
        }

        [Fact]
        public async Task A_compressed_export_of_many_blocks_holds_every_line_in_order()
        {
            var store = _valkey.NewStore();
            // More lines than the compressor's thread takes in one batch, over partitions whose blocks interleave.
            foreach (var service in new[] { "orders", "billing" })
            {
                for (var b = 0; b < 12; b++)
                {
                    await BlockStoreSeeder.AppendAsync(Db, store.Format, Enumerable.Range(b * 100, 100).Select(i => Entry(service, MonarchLogLevel.Information, i)).ToList());
                }
            }

            var (entryLines, entries) = await ReadEntriesAsync(store);
            var (lines, result, errors) = await ExportAsync(store, compress: true);

            Assert.Empty(errors);
            Assert.Equal(2_400, entries.Count);
            Assert.Equal(entries.Count, result.Entries);
            Assert.Equal(entries[entries.Count - 1].Id, result.LastId);
            Assert.Equal(entryLines, lines);
        }

        [Fact]
        public async Task An_export_reports_a_block_whose_lines_do_not_read_and_writes_the_others()
        {
            var store = _valkey.NewStore();
            var good = Enumerable.Range(0, 10).Select(i => Entry("orders", MonarchLogLevel.Warning, i)).ToList();
            await BlockStoreSeeder.AppendAsync(Db, store.Format, good);
            var partition = store.Format.GetPartition("orders", MonarchLogLevel.Warning);
            var t = BlockHeader.ToUnixTicks(BaseTime);
            var bad = new[]
            {
                "{\"ts\":\"2026-11-28T14:28:07.1234567Z\",\"message\":1}\n",
                "{\"message\":\"no time\"}\n",
                "{\"ts\":\"2026-11-28T14:28:07.1234567Z\"} {}\n",
                "{\"ts\":\"2026-11-28T14:28:07.1234567Z\",\"eventId\":1.5}\n",
                "{\"ts\":\"2026-11-29T14:28:07.1234567Z\"}\n",
                "{\"ts\":\"2026-11-28T14:28:07.1234567Z\"}\n{\"ts\":\"2026-11-28T14:28:07.1234567Z\"}\n",
            };
            foreach (var text in bad) await AddHandWrittenAsync(store, partition, text, 1, t, t);
            // Invalid UTF-8, which a C# string cannot hold: written as bytes.
            await BlockStoreSeeder.AddFieldsAtAsync(Db, store.Format, partition, new[]
            {
                new NameValueEntry(BlockFields.Count, 1), new NameValueEntry(BlockFields.FirstTime, t), new NameValueEntry(BlockFields.LastTime, t),
                new NameValueEntry(BlockFields.Codec, "jsonl"),
                new NameValueEntry(BlockFields.Data, Encoding.UTF8.GetBytes("{\"ts\":\"2026-11-28T14:28:07.1234567Z\",\"message\":\"x").Concat(new byte[] { 0xff, 0xfe }).Concat(Encoding.UTF8.GetBytes("\"}")).ToArray()),
            }, "*", new BlockHeader { Count = 1, FirstTicks = t, LastTicks = t });

            var (entryLines, entries) = await ReadEntriesAsync(store, out var queryErrors);
            var (lines, result, errors) = await ExportAsync(store);

            Assert.Equal(good.Count, entries.Count);
            Assert.Equal(entries.Count, result.Entries);
            Assert.Equal(entryLines, lines);
            Assert.Equal(queryErrors.Count, errors.Count);
            Assert.Equal(bad.Length + 1, errors.Count);
            Assert.All(errors, e => Assert.Equal(BlockErrors.InvalidBlock, e.ErrorId));
            Assert.Equal(queryErrors.Select(e => e.Error.Message), errors.Select(e => e.Error.Message));
        }

        private async Task<(byte[] Lines, List<MonarchLogEntry> Entries)> ReadEntriesAsync(LogStore store) => await ReadEntriesAsync(store, out _);

        private Task<(byte[] Lines, List<MonarchLogEntry> Entries)> ReadEntriesAsync(LogStore store, out List<PartitionError> errors)
        {
            var found = new List<PartitionError>();
            errors = found;
            return Read();

            async Task<(byte[], List<MonarchLogEntry>)> Read()
            {
                var entries = new List<MonarchLogEntry>();
                await foreach (var entry in store.QueryAsync(new LogQuery { OldestFirst = true }, found.Add)) entries.Add(entry);
                return (LinesOfEntries(entries), entries);
            }
        }
    }
}
